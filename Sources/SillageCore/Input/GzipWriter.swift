import CZlib

/// Compresses bytes into one deterministic gzip member (RFC 1952).
///
/// The header is written here with mtime 0, no file name and OS "unix", so the same input
/// always gives the same bytes; zlib only produces the raw deflate stream. The trailer holds
/// the CRC-32 and the length modulo 2^32.
public enum GzipWriter {
    public static func compress(_ data: [UInt8], level: Int32 = 6) throws(SillageError) -> [UInt8] {
        let stream: ZStream
        do throws(SillageError) { stream = try ZStream(.deflate, level: level) } catch {
            throw SillageError.runtime("zlib could not start compressing")
        }
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
        var body = [UInt8](repeating: 0, count: stream.deflateBound(data.count) + 16)
        let (status, _, produced) = data.withUnsafeBytes { input in
            body.withUnsafeMutableBytes { output in stream.deflateAll(input, into: output) }
        }
        guard status == Z_STREAM_END else { throw SillageError.runtime("zlib could not compress (status \(status))") }
        out.append(contentsOf: body[..<produced])
        let crc = data.withUnsafeBytes { UInt32(truncatingIfNeeded: ZStream.crc32(0, $0)) }
        let length = UInt32(truncatingIfNeeded: data.count)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        return out
    }
}
