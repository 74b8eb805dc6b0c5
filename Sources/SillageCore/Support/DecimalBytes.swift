/// Formats an integer in decimal into stack memory, for keying ids without a `String`.
@inline(__always)
package func withDecimalBytes<T>(_ value: Int64, _ body: (UnsafeRawBufferPointer) -> T) -> T {
    var buffer = (UInt64(0), UInt64(0), UInt64(0))  // 24 bytes: enough for any Int64
    return withUnsafeMutableBytes(of: &buffer) { raw in
        var v = value.magnitude
        var i = raw.count
        repeat {
            i -= 1
            raw[i] = UInt8(48 + v % 10)
            v /= 10
        } while v > 0
        if value < 0 { i -= 1; raw[i] = UInt8(ascii: "-") }
        return body(UnsafeRawBufferPointer(rebasing: raw[i...]))
    }
}
