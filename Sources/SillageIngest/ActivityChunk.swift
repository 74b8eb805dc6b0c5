#if canImport(Glibc)
    import Glibc
#endif
import SillageCore
import SillagePrivacy

/// Per-chunk state shared by the activity-log parsers: memoised pseudonyms, interned objects
/// and courses, per-day counts and the chunk's result.
///
/// Identifiers enter only through `actor(_:_:)`, which keys them at once; the memo holding
/// identifier bytes lives and dies with the chunk's task.
struct ActivityChunk {
    var result = ChunkResult()
    /// Every course and object key, search term and name the chunk hands on passes the gate.
    var gate = PublishableGate(capacity: 512)
    private var actors = ByteKeyTable<ActorKey>(capacity: 512)
    private var names = ByteKeyTable<Void>(capacity: 64)
    private var memoKey: [UInt8] = []
    let zone: ZoneRules
    let stream: UInt8
    /// Local days to read; events outside are skipped as `outside-window`.
    let window: DayWindow?
    /// Records are the statements of one document: rejects name a statement, not a line.
    var countsStatements = false

    init(zone: ZoneRules, stream: UInt8, window: DayWindow? = nil) {
        self.zone = zone
        self.stream = stream
        self.window = window
        memoKey.reserveCapacity(128)
    }

    /// The pseudonym of `identifier` in a prepared namespace; `tag` tells namespaces apart in the memo.
    mutating func actor(_ namespace: Pseudonymiser.Prepared, tag: UInt8, _ identifier: UnsafeRawBufferPointer) -> ActorKey {
        memoKey.removeAll(keepingCapacity: true)
        memoKey.append(tag)
        memoKey.append(contentsOf: identifier)
        let known = actors.count
        let index = memoKey.withUnsafeBytes { key in actors.insert(key) { namespace.key(identifier) } }
        if actors.count > known { result.noteIdentifier(identifier) }
        return actors.values[index]
    }

    /// Notes a name the parser drops (a report's full names) for the PII guard, once per chunk.
    mutating func noteName(_ bytes: UnsafeRawBufferPointer) {
        let known = names.count
        _ = names.insert(bytes) { () }
        if names.count > known { result.noteIdentifier(bytes) }
    }

    /// Records an event; a fact (something recorded about the learner, not done by them then)
    /// feeds completion metrics only.
    mutating func emit(
        time: Int64, actor: ActorKey, kind: EventKind, course: UInt32, object: UInt32, searchResults: Int32 = -1,
        isFact: Bool = false
    ) {
        let day = zone.localDay(utcMillis: time)
        if let window, !window.contains(day) {
            result.counts[skip: .outsideWindow] += 1
            return
        }
        result.daily[day, default: DailyCounts()].events += 1
        result.events.append(
            Event(
                time: time, actor: actor, day: day, stream: stream, kind: kind, object: object,
                course: course, searchResults: searchResults, isFact: isFact))
    }

    mutating func skip(_ reason: SkipReason, time: Int64?) {
        result.counts[skip: reason] += 1
        if let time { result.daily[zone.localDay(utcMillis: time), default: DailyCounts()][skip: reason] += 1 }
    }

    mutating func reject(_ reason: RejectReason, line: Int, bytes: UnsafeRawBufferPointer) {
        result.reject(reason, line: line, bytes: bytes, isStatement: countsStatements)
    }

    /// The chunk's result, with the interned strings in id order.
    mutating func finish(lines: Int) -> ChunkResult {
        result.lines = lines
        result.objects = gate.values()
        return result
    }
}

extension ActivityChunk {
    /// Parses a chunk of CSV records with the steps every CSV input shares: the overlong-record
    /// marker, the header (the input's first record), malformed records and records shorter
    /// than `minFields`, and the chunk's physical line count. `body` gets each data record with
    /// its line and bytes, and must account for it (an event, a skip or a reject).
    static func parseCSV(
        _ chunk: LineChunk, zone: ZoneRules, stream: UInt8, window: DayWindow?, delimiter: UInt8, minFields: Int,
        _ body: (inout ActivityChunk, CSVRecordReader, _ line: Int, _ record: UnsafeRawBufferPointer) -> Void
    ) -> ChunkResult {
        if let rejected = ChunkResult.overlong(chunk) { return rejected }
        var out = ActivityChunk(zone: zone, stream: stream, window: window)
        chunk.bytes.withUnsafeBytes { all in
            var reader = CSVRecordReader(all, delimiter: delimiter)
            var first = chunk.offset == 0
            while reader.next() {
                defer { first = false }
                let record =
                    reader.fields.isEmpty
                    ? UnsafeRawBufferPointer(start: nil, count: 0)
                    : UnsafeRawBufferPointer(rebasing: all[reader.fields[0].start..<reader.fields[reader.fields.count - 1].end])
                if first {
                    out.skip(.header, time: nil)
                    continue
                }
                if reader.isMalformed || reader.fields.count < minFields {
                    out.reject(.malformedCSV, line: reader.line, bytes: record)
                    continue
                }
                body(&out, reader, reader.line, record)
            }
        }
        let lines = chunk.bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + (chunk.bytes.last == 0x0A || chunk.bytes.isEmpty ? 0 : 1)
        return out.finish(lines: lines)
    }

    /// Parses a chunk of newline-separated records (JSON lines); `body` gets each line
    /// (without its newline) and its 1-based number, and must account for it.
    static func parseLines(
        _ chunk: LineChunk, zone: ZoneRules, stream: UInt8, window: DayWindow?,
        _ body: (inout ActivityChunk, UnsafeRawBufferPointer, _ number: Int) -> Void
    ) -> ChunkResult {
        if let rejected = ChunkResult.overlong(chunk) { return rejected }
        var out = ActivityChunk(zone: zone, stream: stream, window: window)
        let lines = chunk.forEachLine { line, number in
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                out.skip(.blankLine, time: nil)
                return
            }
            body(&out, line, number)
        }
        return out.finish(lines: lines)
    }
}
