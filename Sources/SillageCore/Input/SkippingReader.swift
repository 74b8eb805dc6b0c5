/// Discards the first bytes of a stream that cannot seek (a gzip member), to resume inside it.
package final class SkippingReader: ByteReader {
    private var inner: any ByteReader
    private var remaining: Int64
    private let displayName: String

    package init(_ inner: any ByteReader, skipping count: Int64, displayName: String) {
        self.inner = inner
        self.remaining = count
        self.displayName = displayName
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(SillageError) -> Int {
        while remaining > 0 {
            let n = try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.prefix(Int(min(Int64(buffer.count), remaining)))))
            if n == 0 {
                throw SillageError.data(
                    "the content ends \(remaining) bytes before the point already read", at: displayName,
                    hint: "the file is not the one read before; run with --reprocess \(displayName) to read it again")
            }
            remaining -= Int64(n)
        }
        return try inner.read(into: buffer)
    }
}
