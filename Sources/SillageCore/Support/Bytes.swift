#if canImport(Glibc)
    import Glibc
#endif

/// The operations on raw bytes that need a pointer, audited once here: the rest of the code
/// works on buffer views and indices, never on a base address of its own.
///
/// Every function accepts empty buffers (whose base address may be nil) and checks its
/// ranges, so a caller cannot read or write outside a buffer through them.
public enum Bytes {
    /// The index of the first `byte` in `buffer` at or after `from`, or nil (memchr).
    @inlinable
    public static func firstIndex(of byte: UInt8, in buffer: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
        guard from >= 0, from < buffer.count, let base = buffer.baseAddress,
            let hit = memchr(base + from, Int32(byte), buffer.count - from)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    /// True when `buffer` holds exactly `other`'s bytes starting at `offset` (false when they
    /// would run past its end).
    @inlinable
    public static func equal(_ buffer: UnsafeRawBufferPointer, at offset: Int, _ other: UnsafeRawBufferPointer) -> Bool {
        guard offset >= 0, other.count <= buffer.count - offset else { return false }
        guard other.count > 0, let a = buffer.baseAddress, let b = other.baseAddress else { return true }
        return memcmp(a + offset, b, other.count) == 0
    }

    /// True when the two views hold the same bytes.
    @inlinable
    /// True when `needle` occurs in `haystack` (candidates found with `memchr` on its first byte).
    public static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return needle.isEmpty }
        var i = 0
        while let hit = firstIndex(of: first, in: haystack, from: i), hit + needle.count <= haystack.count {
            var k = 1
            while k < needle.count && haystack[hit + k] == needle[k] { k += 1 }
            if k == needle.count { return true }
            i = hit + 1
        }
        return false
    }

    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && equal(a, at: 0, b)
    }

    /// The bytes of a static string, for comparisons without a copy.
    @inlinable
    public static func view(_ text: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// Copies `source` into `destination` at `offset`; the bytes must fit.
    @inlinable
    public static func copy(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, at offset: Int = 0) {
        precondition(offset >= 0 && source.count <= destination.count - offset, "copy past the end of a buffer")
        guard source.count > 0, let to = destination.baseAddress, let from = source.baseAddress else { return }
        (to + offset).copyMemory(from: from, byteCount: source.count)
    }

    /// Moves `count` bytes of `buffer` from `from` to `to` (the ranges may overlap: memmove).
    @inlinable
    public static func move(in buffer: UnsafeMutableRawBufferPointer, from: Int, to: Int, count: Int) {
        precondition(
            from >= 0 && to >= 0 && count >= 0 && from + count <= buffer.count && to + count <= buffer.count, "move past the end of a buffer")
        guard count > 0, let base = buffer.baseAddress else { return }
        memmove(base + to, base + from, count)
    }

    /// Writes `bytes` from `offset` with write(2); returns what write returned.
    @inlinable
    public static func write(_ fd: Int32, _ bytes: [UInt8], from offset: Int) -> Int {
        bytes.withUnsafeBytes { raw in
            guard offset < raw.count, let base = raw.baseAddress else { return 0 }
            return Glibc.write(fd, base + offset, raw.count - offset)
        }
    }

    /// The start of a buffer that cannot be empty (a fixed-size block, digest or tuple).
    @inlinable
    public static func start(of buffer: UnsafeMutableRawBufferPointer) -> UnsafeMutableRawPointer {
        guard let base = buffer.baseAddress, buffer.count > 0 else { preconditionFailure("a fixed-size buffer is empty") }
        return base
    }

    /// The start of a buffer that cannot be empty (a fixed-size block, digest or tuple).
    @inlinable
    public static func start(of buffer: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        guard let base = buffer.baseAddress, buffer.count > 0 else { preconditionFailure("a fixed-size buffer is empty") }
        return base
    }
}
