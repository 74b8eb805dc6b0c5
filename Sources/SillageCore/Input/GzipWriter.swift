import CZlib

/// Compresses bytes into one deterministic gzip member (RFC 1952).
///
/// The header is written here with mtime 0, no file name and OS "unix", so the same input
/// always gives the same bytes; zlib only produces the raw deflate stream. The trailer holds
/// the CRC-32 and the length modulo 2^32.
public enum GzipWriter {
    public static func compress(_ data: [UInt8], level: Int32 = 6) throws(SillageError) -> [UInt8] {
        var stream = z_stream()
        guard
            deflateInit2_(
                &stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else {
            throw SillageError.runtime("zlib could not start compressing")
        }
        defer { deflateEnd(&stream) }
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
        let bound = Int(deflateBound(&stream, UInt(data.count)))
        var body = [UInt8](repeating: 0, count: bound + 16)
        var produced = 0
        var status: Int32 = Z_OK
        data.withUnsafeBytes { input in
            body.withUnsafeMutableBytes { output in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = UInt32(input.count)
                stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = UInt32(output.count)
                status = deflate(&stream, Z_FINISH)
                produced = output.count - Int(stream.avail_out)
            }
        }
        guard status == Z_STREAM_END else { throw SillageError.runtime("zlib could not compress (status \(status))") }
        out.append(contentsOf: body[..<produced])
        let crc = data.withUnsafeBytes { raw in
            UInt32(truncatingIfNeeded: crc32(0, raw.baseAddress?.assumingMemoryBound(to: Bytef.self), UInt32(raw.count)))
        }
        let length = UInt32(truncatingIfNeeded: data.count)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        return out
    }
}
