import SillageCore
import SillageIngest
import SillagePrivacy

/// Receives progress while inputs are read; implemented by the terminal display.
public protocol ProgressSink: AnyObject {
    /// `bytesDone` of `bytesTotal` (nil when unknown: standard input) decompressed bytes of
    /// the whole run have been read; `file` is being read.
    func update(file: String, bytesDone: Int64, bytesTotal: Int64?)
    func finishFile()
    /// A step after reading (sessionising, committing, publishing) has begun.
    func phase(_ description: String)
}

/// Decompressed bytes of a run's inputs: read before the current file, and the expected
/// total (nil when unknown).
public struct RunBytes: Sendable {
    public var done: Int64 = 0
    public var total: Int64? = nil

    public init(done: Int64 = 0, total: Int64? = nil) {
        self.done = done
        self.total = total
    }

    /// The decompressed size a file is expected to have: its size, or for gzip the size
    /// its trailer records (modulo 4 GiB, of the last member: not below the compressed
    /// size); nil for standard input or a file that cannot be read.
    public static func expectedSize(_ path: String) -> Int64? {
        guard path != "-", let file = try? FileReader(path: path), let size = file.size else { return nil }
        var magic = [UInt8](repeating: 0, count: 2), trailer = [UInt8](repeating: 0, count: 4)
        guard size >= 18, file.pread(into: &magic, at: 0) == 2, magic == [0x1F, 0x8B], file.pread(into: &trailer, at: size - 4) == 4
        else { return size }
        let recorded = Int64(trailer[0]) | Int64(trailer[1]) << 8 | Int64(trailer[2]) << 16 | Int64(trailer[3]) << 24
        return max(recorded, size)
    }
}

/// What reading one slice of a file produced, merged in chunk order.
public struct FileIngest: Sendable {
    public var events: [Event] = []
    public var lines = 0
    public var counts = OutcomeCounts()
    /// Events and skips per local day.
    public var daily: [Int32: DailyCounts] = [:]
    /// Access logs: the server report's counts per local day.
    public var server: [Int32: ServerDay] = [:]
    /// Access logs: requests per day, object (the run's interner id) and status class.
    public var serverObjects: [ServerObjectKey: Int] = [:]
    /// Catalogue entries and memberships.
    public var references: [ReferenceRow] = []
    /// Keyed hashes of the names first met in this slice, for the store.
    public var names: [ActorKey] = []
    /// Rejects with absolute line numbers (1-based), the first few only.
    public var rejectSamples: [RejectSample] = []
    /// Their raw bytes, for the private reject file.
    public var rejectedBytes: [[UInt8]] = []
    /// Decompressed bytes consumed, from the start of the content.
    public var endOffset: Int64 = 0
    /// Bytes of an unterminated last line left for the next run (last slice only).
    public var heldBackBytes = 0
    /// The slice that ends the input.
    public var isLast = false

    /// Records that produced an event, a skip or a reject.
    public var records: Int { events.count + references.count + counts.totalSkips + counts.totalRejects }
}

/// Reads one input with large sequential reads and parses its chunks on all cores.
///
/// Chunks are parsed concurrently by a bounded task group and merged strictly in chunk
/// order, so the events, counts and line numbers do not depend on the number of threads.
public struct IngestDriver {
    public var threads: Int
    public var chunkSize: Int

    public init(threads: Int, chunkSize: Int = 4 << 20) {
        self.threads = max(1, threads)
        self.chunkSize = chunkSize
    }

    /// Parses `reader`'s content in slices of about `sliceBytes`, handing each slice to
    /// `onSlice` in order; `objects` is the run's interner, extended with each slice's objects.
    ///
    /// A slice ends after a whole chunk, never inside an overlong line being skipped, so its
    /// `endOffset` is a point the next run may resume from. The last slice (`isLast`) may be
    /// empty; it carries the held-back bytes of an unfinished last line.
    public func ingest(
        reader: any ByteReader, displayName: String, parsing: FileParsing,
        startOffset: Int64, startLine: Int, holdBackUnterminatedLine: Bool,
        sliceBytes: Int64 = .max,
        objects: inout Interner<Publishable>, names: inout KnownNames, progress: ProgressSink?, runBytes: RunBytes = RunBytes(),
        onSlice: (FileIngest, inout Interner<Publishable>) async throws(SillageError) -> Void
    ) async throws(SillageError) {
        let parser = parsing.parser
        var chunker = LineChunker(
            reader: reader, chunkSize: chunkSize, maxLineBytes: parsing.maxRecordBytes,
            startOffset: startOffset, holdBackUnterminatedLine: holdBackUnterminatedLine,
            boundary: parsing.boundary)
        var merger = SliceMerger(startLine: startLine, startOffset: startOffset, sliceBytes: sliceBytes)
        var failure: SillageError? = nil
        await withTaskGroup(of: (Int, ChunkResult).self) { group in
            var inFlight = 0
            while failure == nil {
                let chunk: LineChunk?
                do throws(SillageError) {
                    chunk = try chunker.next()
                } catch {
                    failure = error
                    break
                }
                guard let chunk else { break }
                merger.chunkEnds[chunk.index] = chunk.isOverlongLine ? nil : chunker.consumedOffset
                progress?.update(
                    file: displayName, bytesDone: runBytes.done + chunker.consumedOffset - startOffset,
                    bytesTotal: runBytes.total.map { max($0, runBytes.done + chunker.consumedOffset - startOffset) })
                group.addTask { (chunk.index, parser.parse(chunk)) }
                inFlight += 1
                if inFlight >= threads + 1, let (index, result) = await group.next() {
                    inFlight -= 1
                    merger.pending[index] = result
                    do throws(SillageError) { try await merger.mergeReady(objects: &objects, names: &names, onSlice: onSlice) } catch {
                        failure = error
                    }
                }
            }
            for await (index, result) in group {
                merger.pending[index] = result
            }
            if failure == nil {
                do throws(SillageError) { try await merger.mergeReady(objects: &objects, names: &names, onSlice: onSlice) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        progress?.update(
            file: displayName, bytesDone: runBytes.done + chunker.consumedOffset - startOffset,
            bytesTotal: runBytes.total.map { max($0, runBytes.done + chunker.consumedOffset - startOffset) })
        progress?.finishFile()
        merger.out.endOffset = chunker.consumedOffset
        merger.out.heldBackBytes = chunker.heldBackBytes
        merger.out.isLast = true
        try await onSlice(merger.out, &objects)
    }
}

/// Merges parsed chunks strictly in chunk order into slices of about `sliceBytes`.
struct SliceMerger {
    private(set) var lineBase: Int
    private var sliceStart: Int64
    private let sliceBytes: Int64
    private var nextToMerge = 0
    /// The slice being filled.
    var out = FileIngest()
    /// Parsed chunks waiting for the chunks before them.
    var pending: [Int: ChunkResult] = [:]
    /// Where each chunk ends, or nil for an overlong line (no resume point).
    var chunkEnds: [Int: Int64?] = [:]

    init(startLine: Int, startOffset: Int64, sliceBytes: Int64) {
        lineBase = startLine
        sliceStart = startOffset
        self.sliceBytes = sliceBytes
    }

    /// Merges the chunks that are next in order; hands over a slice when one is full.
    mutating func mergeReady(
        objects: inout Interner<Publishable>, names: inout KnownNames,
        onSlice: (FileIngest, inout Interner<Publishable>) async throws(SillageError) -> Void
    ) async throws(SillageError) {
        while let r = pending.removeValue(forKey: nextToMerge) {
            merge(r, objects: &objects, names: &names)
            let end = chunkEnds.removeValue(forKey: nextToMerge) ?? nil
            nextToMerge += 1
            if let end, end - sliceStart >= sliceBytes {
                out.endOffset = end
                try await onSlice(out, &objects)
                out = FileIngest()
                sliceStart = end
            }
        }
    }

    /// Adds one chunk's result, with its strings mapped to the run's interner and its
    /// line numbers made absolute.
    ///
    /// The chunk's names are learnt first, then each of its texts is checked against every
    /// name met so far in this run and earlier ones: chunks merge in order, so the result
    /// does not depend on the number of threads.
    mutating func merge(_ r: ChunkResult, objects: inout Interner<Publishable>, names: inout KnownNames) {
        let known = names.added.count
        for identifier in r.identifiers { names.learn(identifier) }
        out.names += names.added[known...]
        var remap = [UInt32](repeating: 0, count: r.objects.count + 1)
        for (i, o) in r.objects.enumerated() { remap[i + 1] = objects.intern(names.check(o)) }
        for var e in r.events {
            // Both ids index the chunk's strings: both must be mapped to the run's.
            e.object = remap[Int(e.object)]
            e.course = remap[Int(e.course)]
            out.events.append(e)
        }
        for (i, s) in r.rejectSamples.enumerated() where out.rejectSamples.count < ChunkResult.maxSamples {
            out.rejectSamples.append(RejectSample(line: s.isStatement ? s.line : lineBase + s.line, reason: s.reason, isStatement: s.isStatement))
            out.rejectedBytes.append(i < r.rejectedBytes.count ? r.rejectedBytes[i] : [])
        }
        out.counts.add(r.counts)
        out.references += r.references
        for (day, counts) in r.daily { out.daily[day, default: DailyCounts()].add(counts) }
        for (day, tally) in r.server { out.server[day, default: ServerDay()].add(tally) }
        for (k, n) in r.serverObjects {
            let key = ServerObjectKey(day: k.day, object: remap[Int(k.object)], statusClass: k.statusClass, actor: k.actor)
            out.serverObjects[key, default: 0] += n
        }
        out.lines += r.lines
        lineBase += r.lines
    }
}
