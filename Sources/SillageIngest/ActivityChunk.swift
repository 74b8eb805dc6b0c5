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
    private var strings = ByteKeyTable<Void>(capacity: 512)
    private var actors = ByteKeyTable<ActorKey>(capacity: 512)
    private var names = ByteKeyTable<Void>(capacity: 64)
    private var memoKey: [UInt8] = []
    let zone: ZoneRules
    let stream: UInt8
    /// Local days to read; events outside are skipped as `outside-window`.
    let window: ClosedRange<Int32>?

    init(zone: ZoneRules, stream: UInt8, window: ClosedRange<Int32>? = nil) {
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

    /// The id of an object or course key (0 for none).
    mutating func intern(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard bytes.count > 0 else { return 0 }
        return UInt32(strings.insert(bytes) { () } + 1)
    }

    mutating func intern(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { intern($0) }
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
        result.reject(reason, line: line, bytes: bytes)
    }

    /// The chunk's result, with the interned strings in id order.
    mutating func finish(lines: Int) -> ChunkResult {
        result.lines = lines
        result.objects = (0..<strings.count).map { String(decoding: strings.key(at: $0), as: UTF8.self) }
        return result
    }
}

extension ActivityChunk {
    /// Parses a chunk of CSV records with the steps every CSV input shares: the overlong-record
    /// marker, the header (the input's first record), malformed records and records shorter
    /// than `minFields`, and the chunk's physical line count. `body` gets each data record with
    /// its line and bytes, and must account for it (an event, a skip or a reject).
    static func parseCSV(
        _ chunk: LineChunk, zone: ZoneRules, stream: UInt8, window: ClosedRange<Int32>?, delimiter: UInt8, minFields: Int,
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
        _ chunk: LineChunk, zone: ZoneRules, stream: UInt8, window: ClosedRange<Int32>?,
        _ body: (inout ActivityChunk, UnsafeRawBufferPointer, _ number: Int) -> Void
    ) -> ChunkResult {
        if let rejected = ChunkResult.overlong(chunk) { return rejected }
        var out = ActivityChunk(zone: zone, stream: stream, window: window)
        var lines = 0
        chunk.bytes.withUnsafeBytes { all in
            var start = 0
            let n = all.count
            while start < n {
                let end = Bytes.firstIndex(of: 0x0A, in: all, from: start) ?? n
                lines += 1
                var lineEnd = end
                if lineEnd > start, all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: all[start..<lineEnd])
                start = end + 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    out.skip(.blankLine, time: nil)
                    continue
                }
                body(&out, line, lines)
            }
        }
        return out.finish(lines: lines)
    }
}

/// Canonical keys for courses and activities, shared by every source so that the same
/// course read from Moodle, from xAPI or from Open edX gets the same key.
///
/// Moodle courses are their numeric id (`12`), Moodle activities `cm:<course-module id>`
/// (completion events do not say the module type, so views and completions meet on the id);
/// Open edX keys are kept (`course-v1:…`, `block-v1:…`); other IRIs keep their path,
/// scrubbed. Search terms become `search:<term>` after scrubbing.
public enum ObjectKeys {
    /// `cm:45` for the Moodle course module 45.
    public static func moodleModule(cmid: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: Array("cm:\(cmid)".utf8))
    }

    /// Appends the canonical key of an activity or course IRI (an xAPI object id).
    ///
    /// Returns `true` when the IRI names a course.
    @discardableResult
    public static func fromIRI(_ iri: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        let text = Array(iri)
        // Open edX keys anywhere in the IRI.
        if let at = find(text, Array("block-v1:".utf8)) {
            appendUntil(text, from: at, into: &out)
            return false
        }
        if let at = find(text, Array("course-v1:".utf8)) {
            appendUntil(text, from: at, into: &out)
            return true
        }
        let isURL = find(text, Array("://".utf8)) != nil
        if isURL {
            let path = text.withUnsafeBytes { URLScrubber.pathRange($0) }
            let pathBytes = Array(text[path])
            var id: [UInt8] = []
            if let q = text.firstIndex(of: UInt8(ascii: "?")) {
                for pair in text[(q + 1)...].split(separator: UInt8(ascii: "&")) where pair.starts(with: Array("id=".utf8)) {
                    id = Array(pair.dropFirst(3))
                }
            }
            let isNumber = !id.isEmpty && id.count < 12 && id.allSatisfy { $0 >= 48 && $0 <= 57 }
            // Moodle: /course/view.php?id=N is course N; /mod/<type>/view.php?id=N is activity <type>:N.
            if isNumber, pathBytes.elementsEqual(Array("/course/view.php".utf8)) {
                // Course 1 is Moodle's site front page, not a course (as in the logstore parser).
                if id == [UInt8(ascii: "1")] { return false }
                out.append(contentsOf: id)
                return true
            }
            if isNumber, pathBytes.starts(with: Array("/mod/".utf8)), pathBytes.count > 5 {
                out.append(contentsOf: Array("cm:".utf8))
                out.append(contentsOf: id)
                return false
            }
            text.withUnsafeBytes { moodleScrubber.normalise($0, into: &out) }
            return false
        }
        // Other identifiers (uuid://…, urn:…): kept, unless they hold something personal.
        let before = out.count
        text.withUnsafeBytes { URLScrubber.appendEncoded($0, into: &out) }
        if text.contains(UInt8(ascii: "@")) {
            out.removeSubrange(before...)
            out.append(contentsOf: URLScrubber.emailPlaceholder)
        } else if out.count - before > URLScrubber.maxObjectBytes {
            out.removeSubrange((before + URLScrubber.maxObjectBytes)...)
        }
        return false
    }

    /// Appends a scrubbed search term as `search:<term>`: lower-cased, spaces folded, at
    /// most 64 bytes; terms that look personal (e-mail, phone, long number, token) become
    /// their placeholder.
    public static func searchTerm(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(contentsOf: Array("search:".utf8))
        var term: [UInt8] = []
        var lastSpace = true
        var i = 0
        while i < raw.count && term.count < 64 {
            var c = raw[i]
            if c == UInt8(ascii: "+") { c = 0x20 }
            if c == UInt8(ascii: "%"), i + 2 < raw.count, let h = hexValue(raw[i + 1]), let l = hexValue(raw[i + 2]) {
                c = h << 4 | l
                i += 2
            }
            i += 1
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                if !lastSpace { term.append(0x20) }
                lastSpace = true
                continue
            }
            lastSpace = false
            term.append((c >= 65 && c <= 90) ? c | 0x20 : c)
        }
        while term.last == 0x20 { term.removeLast() }
        // Cut at a character boundary.
        while let last = term.last, last & 0xC0 == 0x80 || (last & 0x80 != 0 && String(validating: term, as: UTF8.self) == nil) {
            term.removeLast()
        }
        let personal = term.withUnsafeBytes { raw -> [UInt8]? in
            if let p = URLScrubber.placeholder(for: raw) { return p }
            let words = term.split(separator: 0x20)
            for w in words {
                if let p = w.withUnsafeBytes({ URLScrubber.placeholder(for: $0) }) { return p }
            }
            return PIIScanner().finding(in: String(decoding: term, as: UTF8.self)) != nil ? Array("{personal}".utf8) : nil
        }
        if let personal { out.append(contentsOf: personal) } else { URLScrubber.appendEncodedText(term, into: &out) }
    }

    static let moodleScrubber = URLScrubber(profile: .moodle)

    /// True when `haystack` contains `needle`, without copying either.
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard n > 0, haystack.count >= n else { return n == 0 }
        let first = needle.utf8Start[0]
        for i in 0...(haystack.count - n) where haystack[i] == first {
            if Bytes.equal(haystack, at: i, Bytes.view(needle)) { return true }
        }
        return false
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }

    /// Appends from `start` to the end of the key (before `/`, `?`, `#` or a space).
    static func appendUntil(_ text: [UInt8], from start: Int, into out: inout [UInt8]) {
        var i = start
        while i < text.count, text[i] != UInt8(ascii: "/"), text[i] != UInt8(ascii: "?"), text[i] != UInt8(ascii: "#"),
            text[i] != 0x20, i - start < 200
        {
            out.append(text[i])
            i += 1
        }
    }
}
