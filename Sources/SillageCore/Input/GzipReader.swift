import CZlib

/// Inflates a gzip stream (RFC 1952), member after member, from another reader.
///
/// The gzip framing (header fields, CRC-32 and length trailer) is parsed here; zlib only
/// inflates the raw deflate data. A truncated stream or a corrupt member is an error naming
/// the member and the compressed offset, never a silent partial read.
public final class GzipReader: ByteReader {
    private var source: any ByteReader
    private let displayName: String
    /// Created at the first member, reset for each next one.
    private var stream: ZStream? = nil
    private var input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var sourceDone = false
    private var member = 0
    private var crc: UInt = 0
    private var memberLength: UInt32 = 0
    private var finished = false
    private var inMember = false
    /// Compressed bytes consumed so far.
    public private(set) var compressedOffset: Int64 = 0

    /// True when `prefix` starts with the gzip magic bytes 1f 8b.
    public static func hasMagic(_ prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.count >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b
    }

    public init(source: any ByteReader, displayName: String, bufferSize: Int = 1 << 20) {
        self.source = source
        self.displayName = displayName
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        input.deallocate()
    }

    private func fail(_ what: String) -> SillageError {
        SillageError.data(
            "gzip member \(member + 1) \(what) (compressed offset \(compressedOffset))",
            at: displayName, hint: "the file may be truncated or damaged; recompress it or exclude it")
    }

    /// Ensures at least `count` bytes are buffered, unless the source ends first.
    private func fill(_ count: Int) throws(SillageError) -> Bool {
        while inputEnd - inputStart < count {
            if inputStart > 0 {
                let live = inputEnd - inputStart
                Bytes.move(in: input, from: inputStart, to: 0, count: live)
                inputStart = 0
                inputEnd = live
            }
            if sourceDone { return false }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd...]))
            if n == 0 { sourceDone = true; return inputEnd - inputStart >= count }
            inputEnd += n
        }
        return true
    }

    private func take(_ count: Int) {
        inputStart += count
        compressedOffset += Int64(count)
    }

    private func byte(_ i: Int) -> UInt8 { input[inputStart + i] }

    /// Skips a zero-terminated header field.
    private func skipZeroTerminated() throws(SillageError) {
        while true {
            guard try fill(1) else { throw fail("ends inside its header") }
            let b = byte(0)
            take(1)
            if b == 0 { return }
        }
    }

    /// Reads one member header; returns false at a clean end of input.
    private func readHeader() throws(SillageError) -> Bool {
        guard try fill(1) else { return false }
        let magicAvailable = try fill(2)
        guard magicAvailable, byte(0) == 0x1f, byte(1) == 0x8b else {
            if member > 0 {
                throw fail("is followed by bytes that are not a gzip member")
            }
            throw fail("does not start with the gzip magic bytes")
        }
        guard try fill(10) else { throw fail("ends inside its header") }
        guard byte(2) == 8 else { throw fail("uses compression method \(byte(2)), not deflate") }
        let flags = byte(3)
        take(10)
        if flags & 0x04 != 0 {
            guard try fill(2) else { throw fail("ends inside its header") }
            let extra = Int(byte(0)) | Int(byte(1)) << 8
            take(2)
            guard try fill(extra) else { throw fail("ends inside its header") }
            take(extra)
        }
        if flags & 0x08 != 0 { try skipZeroTerminated() }
        if flags & 0x10 != 0 { try skipZeroTerminated() }
        if flags & 0x02 != 0 {
            guard try fill(2) else { throw fail("ends inside its header") }
            take(2)
        }
        if let stream {
            stream.reset()
        } else {
            do throws(SillageError) { stream = try ZStream(.inflate) } catch { throw SillageError(error.kind, error.message, at: displayName) }
        }
        crc = ZStream.crc32(0, UnsafeRawBufferPointer(start: nil, count: 0))
        memberLength = 0
        return true
    }

    private func readTrailer() throws(SillageError) {
        guard try fill(8) else { throw fail("ends before its CRC and length trailer") }
        var expectedCRC: UInt32 = 0
        var expectedLength: UInt32 = 0
        for i in 0..<4 {
            expectedCRC |= UInt32(byte(i)) << (8 * UInt32(i))
            expectedLength |= UInt32(byte(4 + i)) << (8 * UInt32(i))
        }
        take(8)
        guard UInt32(truncatingIfNeeded: crc) == expectedCRC else { throw fail("fails its CRC-32 check") }
        guard memberLength == expectedLength else { throw fail("has a length that does not match its trailer") }
        member += 1
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SillageError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let capacity = min(buffer.count, Int(UInt32.max))
        while !finished {
            if !inMember {
                if try !readHeader() {
                    if member == 0 { throw fail("is empty") }
                    finished = true
                    return 0
                }
                inMember = true
            }
            if inputEnd == inputStart {
                guard try fill(1) else { throw fail("ends inside its compressed data") }
            }
            guard let stream else { throw fail("was read before its header") }
            let (status, consumed, produced) = stream.inflate(
                UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]), into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<capacity]))
            take(consumed)
            if produced > 0 {
                crc = ZStream.crc32(crc, UnsafeRawBufferPointer(rebasing: buffer[..<produced]))
                memberLength &+= UInt32(truncatingIfNeeded: produced)
            }
            switch status {
            case Z_STREAM_END:
                try readTrailer()
                inMember = false
                if produced > 0 { return produced }
            case Z_OK, Z_BUF_ERROR:
                if produced > 0 { return produced }
                if consumed == 0 {
                    guard try fill(inputEnd - inputStart + 1) else { throw fail("ends inside its compressed data") }
                }
            default:
                throw fail("has corrupt compressed data (zlib status \(status))")
            }
        }
        return 0
    }
}
