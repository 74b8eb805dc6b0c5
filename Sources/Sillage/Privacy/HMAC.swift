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
        out.withUnsafeMutableBytes { finish(inner, into: $0.baseAddress!) }
        return out
    }

    /// Completes a tag begun with `begin()` into 32 bytes at `out`, without allocating.
    public func finish(_ inner: SHA256, into out: UnsafeMutableRawPointer) {
        var inner = inner
        var innerDigest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &innerDigest) { inner.finalize(into: $0.baseAddress!) }
        var outer = outerStart
        withUnsafeBytes(of: innerDigest) { outer.update($0) }
        outer.finalize(into: out)
    }
}

/// Lower-case hexadecimal text of bytes.
public func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Bytes from hexadecimal text, or nil when the text is not an even run of hex digits.
public func bytesFromHex(_ text: some StringProtocol) -> [UInt8]? {
    var out = [UInt8]()
    var high: UInt8? = nil
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
        default: return nil
        }
        if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
    }
    return high == nil ? out : nil
}
