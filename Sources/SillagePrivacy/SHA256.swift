import SillageCore
/// SHA-256 (FIPS 180-4), incremental, allocation-free once created.
///
/// Written in the project because Sillage takes no package dependencies; it is checked
/// against the FIPS 180-4 example vectors in the tests. Use `SHA256.hash(_:)` for one-shot
/// digests and `update`/`finalize` to hash a stream.
public struct SHA256: Sendable {
    public static let digestSize = 32
    public static let blockSize = 64

    /// The round constants, in memory allocated once for the process (never freed), so the
    /// compression loop reads them without touching an array's reference count.
    nonisolated(unsafe) static let k: UnsafePointer<UInt32> = {
        let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
        p.initialize(from: roundConstants, count: 64)
        return UnsafePointer(p)
    }()

    @usableFromInline static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// The eight working words of the chaining value.
    @usableFromInline var h0: UInt32 = 0x6a09e667, h1: UInt32 = 0xbb67ae85
    @usableFromInline var h2: UInt32 = 0x3c6ef372, h3: UInt32 = 0xa54ff53a
    @usableFromInline var h4: UInt32 = 0x510e527f, h5: UInt32 = 0x9b05688c
    @usableFromInline var h6: UInt32 = 0x1f83d9ab, h7: UInt32 = 0x5be0cd19
    /// Bytes not yet forming a whole block, kept inline to avoid a heap buffer.
    @usableFromInline var pending = PendingBlock()
    @usableFromInline var pendingCount = 0
    @usableFromInline var totalBytes: UInt64 = 0

    public init() {}

    /// The digest of `bytes` in one call.
    public static func hash<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Feeds more bytes.
    public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if let done = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        let copy = Array(bytes)
        copy.withUnsafeBytes { update($0) }
    }

    /// Feeds more bytes from raw memory; the hot path of pseudonymisation.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard var base = buffer.baseAddress, buffer.count > 0 else { return }
        var remaining = buffer.count
        totalBytes &+= UInt64(remaining)
        if pendingCount > 0 {
            let take = min(remaining, 64 - pendingCount)
            withUnsafeMutableBytes(of: &pending) { block in
                (Bytes.start(of: block) + pendingCount).copyMemory(from: base, byteCount: take)
            }
            pendingCount += take
            base += take
            remaining -= take
            if pendingCount == 64 {
                let block = pending
                withUnsafeBytes(of: block) { compress(Bytes.start(of: $0)) }
                pendingCount = 0
            }
        }
        while remaining >= 64 {
            compress(base)
            base += 64
            remaining -= 64
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { block in
                Bytes.start(of: block).copyMemory(from: base, byteCount: remaining)
            }
            pendingCount = remaining
        }
    }

    /// Pads, processes the last block(s) and returns the 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { finalize(into: Bytes.start(of: $0)) }
        return out
    }

    /// Pads and writes the 32-byte digest to `out`, without allocating.
    public mutating func finalize(into out: UnsafeMutableRawPointer) {
        let bitLength = totalBytes &* 8
        var tail = PendingBlock()
        withUnsafeMutableBytes(of: &tail) { block in
            let p = Bytes.start(of: block)
            withUnsafeBytes(of: pending) { p.copyMemory(from: Bytes.start(of: $0), byteCount: pendingCount) }
            p.storeBytes(of: 0x80, toByteOffset: pendingCount, as: UInt8.self)
            for i in (pendingCount + 1)..<64 { p.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
            if pendingCount >= 56 {
                compress(UnsafeRawPointer(p))
                for i in 0..<64 { p.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
            }
            p.storeBytes(of: bitLength.bigEndian, toByteOffset: 56, as: UInt64.self)
            compress(UnsafeRawPointer(p))
        }
        let words = [h0, h1, h2, h3, h4, h5, h6, h7]
        for (i, word) in words.enumerated() {
            out.storeBytes(of: word.bigEndian, toByteOffset: i * 4, as: UInt32.self)
        }
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x >> n) | (x << (32 &- n))
    }

    /// Processes one 64-byte block at `block`.
    @usableFromInline mutating func compress(_ block: UnsafeRawPointer) {
        var w = MessageSchedule()
        withUnsafeMutableBytes(of: &w) { raw in
            let ws = Bytes.start(of: raw).assumingMemoryBound(to: UInt32.self)
            for i in 0..<16 {
                ws[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            for i in 16..<64 {
                let a = ws[i - 15], b = ws[i - 2]
                let s0 = SHA256.rotr(a, 7) ^ SHA256.rotr(a, 18) ^ (a >> 3)
                let s1 = SHA256.rotr(b, 17) ^ SHA256.rotr(b, 19) ^ (b >> 10)
                ws[i] = ws[i - 16] &+ s0 &+ ws[i - 7] &+ s1
            }
            var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
            do {
                let k = SHA256.k
                for i in 0..<64 {
                    let s1 = SHA256.rotr(e, 6) ^ SHA256.rotr(e, 11) ^ SHA256.rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[i] &+ ws[i]
                    let s0 = SHA256.rotr(a, 2) ^ SHA256.rotr(a, 13) ^ SHA256.rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    h = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ t2
                }
            }
            h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
            h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
        }
    }
}

/// 64 bytes of inline storage for a partial block.
@usableFromInline struct PendingBlock: Sendable {
    @usableFromInline var a: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline init() {}
}

/// 64 words of inline storage for the message schedule.
struct MessageSchedule {
    var w:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}
