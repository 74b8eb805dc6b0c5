#if canImport(Glibc)
    import Glibc
#endif

/// A run of whole lines cut from an input, ready to be parsed on any thread.
public struct LineChunk: Sendable {
    /// Whole lines; only the input's last chunk may lack a final newline.
    public var bytes: [UInt8]
    /// Position of the chunk in its input, from 0.
    public var index: Int
    /// Offset of the chunk's first byte in the (decompressed) input.
    public var offset: Int64
    /// True when this chunk stands for one line longer than the limit, which was dropped.
    public var isOverlongLine: Bool
    /// For `.newlineWithDirectives`: the last directive line before the chunk (empty when
    /// none), so that a chunk parsed on its own knows the layout in force at its start.
    public var context: [UInt8] = []

    public init(bytes: [UInt8], index: Int, offset: Int64, isOverlongLine: Bool, context: [UInt8] = []) {
        self.bytes = bytes
        self.index = index
        self.offset = offset
        self.isOverlongLine = isOverlongLine
        self.context = context
    }
}

extension LineChunk {
    /// Calls `body` with each line of the chunk (without its newline or a CR before it) and
    /// its 1-based number; returns the number of lines.
    @discardableResult
    public func forEachLine(_ body: (UnsafeRawBufferPointer, Int) -> Void) -> Int {
        bytes.withUnsafeBytes { all in
            let n = all.count
            var start = 0
            var number = 0
            while start < n {
                let end = Bytes.firstIndex(of: 0x0A, in: all, from: start) ?? n
                number += 1
                var lineEnd = end
                if lineEnd > start, all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                body(UnsafeRawBufferPointer(rebasing: all[start..<lineEnd]), number)
                start = end + 1
            }
            return number
        }
    }
}

/// Where a chunk may end.
public enum RecordBoundary: Sendable, Equatable {
    /// After any newline (log lines, JSON lines).
    case newline
    /// After a newline outside double quotes (RFC 4180 CSV, whose fields may hold newlines).
    case csvNewline
    /// Nowhere: the whole input is one record (a JSON array or an LRS page), up to the limit.
    case wholeInput
    /// After any newline, carrying the last line that starts with `prefix` (W3C `#Fields:`)
    /// into each chunk's `context`; `initial` is the one in force where reading starts.
    case newlineWithDirectives(prefix: [UInt8], initial: [UInt8])
}

/// Cuts a byte stream into chunks of whole lines, reading large blocks.
///
/// Lines are never copied one by one: a block is read, cut after its last newline with
/// `memrchr`, and the tail is carried into the next block. A line longer than
/// `maxLineBytes` is not buffered without bound: it is discarded up to its newline and
/// reported as one overlong line, so a 10 MB line costs neither memory nor a crash.
public struct LineChunker {
    private var reader: any ByteReader
    private let chunkSize: Int
    public let maxLineBytes: Int
    private var carry: [UInt8] = []
    private var discarding = false
    private var atEnd = false
    private var nextIndex = 0
    private var offset: Int64 = 0
    private let holdBackUnterminatedLine: Bool
    private let boundary: RecordBoundary
    /// Bytes of a last line without a newline that were held back (see `init`).
    public private(set) var heldBackBytes = 0
    /// The directive in force after the chunks handed out so far.
    private var directive: [UInt8] = []

    /// - Parameters:
    ///   - startOffset: the input offset of the first byte the reader returns (when resuming).
    ///   - holdBackUnterminatedLine: leave a final line without a newline unread, because a
    ///     growing log may still be writing it; the next run reads it once it is complete.
    public init(
        reader: any ByteReader, chunkSize: Int = 4 << 20, maxLineBytes: Int = 1 << 20,
        startOffset: Int64 = 0, holdBackUnterminatedLine: Bool = false, boundary: RecordBoundary = .newline
    ) {
        self.reader = reader
        self.boundary = boundary
        self.chunkSize = max(chunkSize, 64)
        self.maxLineBytes = maxLineBytes
        self.offset = startOffset
        self.holdBackUnterminatedLine = holdBackUnterminatedLine
        if case .newlineWithDirectives(_, let initial) = boundary { directive = initial }
    }

    /// Offset just past the last byte handed out (or skipped as part of an overlong line).
    public var consumedOffset: Int64 { offset }

    private mutating func emit(_ bytes: [UInt8], overlong: Bool = false) -> LineChunk {
        let chunk = LineChunk(bytes: bytes, index: nextIndex, offset: offset, isOverlongLine: overlong, context: directive)
        nextIndex += 1
        offset += Int64(bytes.count)
        if case .newlineWithDirectives(let prefix, _) = boundary, let last = LineChunker.lastLine(startingWith: prefix, in: bytes) {
            directive = last
        }
        return chunk
    }

    /// The last line of `bytes` that starts with `prefix` (its newline excluded); lines are
    /// found with `memchr` on the prefix's first byte, so a chunk without one costs one scan.
    public static func lastLine(startingWith prefix: [UInt8], in bytes: [UInt8]) -> [UInt8]? {
        guard let first = prefix.first else { return nil }
        var found: Range<Int>? = nil
        bytes.withUnsafeBytes { raw in
            var i = 0
            while let hit = Bytes.firstIndex(of: first, in: raw, from: i) {
                i = hit + 1
                guard hit == 0 || raw[hit - 1] == 0x0A, hit + prefix.count <= raw.count,
                    prefix.indices.allSatisfy({ raw[hit + $0] == prefix[$0] })
                else { continue }
                var end = Bytes.firstIndex(of: 0x0A, in: raw, from: hit) ?? raw.count
                if end > hit, raw[end - 1] == 0x0D { end -= 1 }
                found = hit..<end
            }
        }
        return found.map { Array(bytes[$0]) }
    }

    /// The next chunk, or nil when the input is exhausted.
    public mutating func next() throws(SillageError) -> LineChunk? {
        while true {
            if atEnd {
                if carry.isEmpty { return nil }
                let last = carry
                carry = []
                if discarding { discarding = false; offset += Int64(last.count); continue }
                if holdBackUnterminatedLine { heldBackBytes = last.count; continue }
                return emit(last)
            }
            let carried = carry.count
            var failure: SillageError? = nil
            // Filled straight from read(2): no zero-fill of a buffer about to be overwritten.
            // A whole document grows geometrically so that it is copied O(1) times per byte.
            let readSize = boundary == .wholeInput ? max(chunkSize, carried) : chunkSize
            var buffer = [UInt8](unsafeUninitializedCapacity: carried + readSize) { raw, count in
                let bytes = UnsafeMutableRawBufferPointer(raw)
                carry.withUnsafeBytes { Bytes.copy(UnsafeRawBufferPointer(rebasing: $0[..<carried]), into: bytes) }
                var filled = carried
                while filled < bytes.count {
                    do throws(SillageError) {
                        let n = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled...]))
                        if n == 0 { atEnd = true; break }
                        filled += n
                    } catch {
                        failure = error
                        break
                    }
                }
                count = filled
            }
            carry = []
            if let failure { throw failure }
            if discarding {
                let newline = buffer.withUnsafeBytes { raw -> Int? in
                    guard let base = raw.baseAddress, raw.count > 0,
                        let hit = memchr(base, 0x0A, raw.count)
                    else { return nil }
                    return base.distance(to: UnsafeRawPointer(hit))
                }
                if let newline {
                    discarding = false
                    offset += Int64(newline + 1)
                    carry = Array(buffer[(newline + 1)...])
                } else {
                    offset += Int64(buffer.count)
                }
                continue
            }
            let lastNewline: Int? = buffer.withUnsafeBytes { raw -> Int? in
                switch boundary {
                case .newline, .newlineWithDirectives:
                    // The last newline is at most one line from the end, so a backward scan is short.
                    var i = raw.count - 1
                    while i >= 0 {
                        if raw[i] == 0x0A { return i }
                        i -= 1
                    }
                    return nil
                case .csvNewline:
                    // Quote parity from the start of the buffer, which starts at a record boundary;
                    // a doubled quote toggles twice and leaves the parity unchanged.
                    var inQuotes = false
                    var last: Int? = nil
                    for i in 0..<raw.count {
                        let c = raw[i]
                        if c == 0x22 { inQuotes.toggle() } else if c == 0x0A && !inQuotes { last = i }
                    }
                    return last
                case .wholeInput:
                    return nil
                }
            }
            guard let lastNewline else {
                if atEnd, boundary == .wholeInput {
                    return buffer.isEmpty ? nil : emit(buffer)
                }
                if atEnd {
                    if buffer.isEmpty { return nil }
                    if holdBackUnterminatedLine { heldBackBytes = buffer.count; return nil }
                    return emit(buffer)
                }
                if buffer.count >= maxLineBytes {
                    discarding = true
                    let chunk = LineChunk(bytes: [], index: nextIndex, offset: offset, isOverlongLine: true)
                    nextIndex += 1
                    offset += Int64(buffer.count)
                    return chunk
                }
                carry = buffer
                continue
            }
            if lastNewline + 1 < buffer.count {
                carry = Array(buffer[(lastNewline + 1)...])
                buffer.removeSubrange((lastNewline + 1)...)
            }
            return emit(buffer)
        }
    }
}

/// Limits shared by the chunker and the parsers.
public enum LineChunkerDefaults {
    /// Lines longer than this are rejected as `line-too-long` (1 MiB).
    public static let maxLineBytes = 1 << 20
    /// Bytes of decompressed content that fingerprint an input (and that a format is sniffed from).
    public static let fingerprintBytes = 4096
}
