import SillageCore
/// HMAC-SHA256 (RFC 2104) with the key's pads hashed once.
///
/// Creating the value costs two compressions; each `authenticate` then costs only the
/// message's blocks plus one outer block, which matters because every parsed record is keyed.
/// Checked against the RFC 4231 test cases.
public struct HMACSHA256: Sendable {
    private let innerStart: SHA256
    private let outerStart: SHA256

    /// Prepares the pads for `key` (any length; keys longer than a block are hashed first).
    public init<Key: Collection>(key: Key) where Key.Element == UInt8 {
        var block = [UInt8](repeating: 0, count: SHA256.blockSize)
        let keyBytes = Array(key)
        let shortKey = keyBytes.count > SHA256.blockSize ? SHA256.hash(keyBytes) : keyBytes
        for (i, byte) in shortKey.enumerated() { block[i] = byte }
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        innerStart = inner
        outerStart = outer
    }

    /// The 32-byte tag of `message`.
    public func authenticate<Bytes: Collection>(_ message: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var inner = innerStart
        inner.update(message)
        return finish(inner)
    }

    /// Starts a tag over a message fed in parts (avoids concatenating buffers).
    public func begin() -> SHA256 { innerStart }

    /// Completes a tag begun with `begin()`.
    public func finish(_ inner: SHA256) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { finish(inner, into: Bytes.start(of: $0)) }
        return out
    }

    /// Completes a tag begun with `begin()` into 32 bytes at `out`, without allocating.
    public func finish(_ inner: SHA256, into out: UnsafeMutableRawPointer) {
        var inner = inner
        var innerDigest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &innerDigest) { inner.finalize(into: Bytes.start(of: $0)) }
        var outer = outerStart
        withUnsafeBytes(of: innerDigest) { outer.update($0) }
        outer.finalize(into: out)
    }
}
