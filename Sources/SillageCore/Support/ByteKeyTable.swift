/// A hash table keyed by byte strings, storing keys in one arena.
///
/// Lookups take raw memory, so a parser can ask "seen these bytes before?" without making
/// a `String` or an `Array` per line. Used to memoise user-agent classes and to intern
/// normalised objects. Not thread-safe: each parsing task owns its tables.
public struct ByteKeyTable<Value> {
    private struct Slot {
        var hash: UInt64
        var start: Int32
        var length: Int32
        var entry: Int32  // -1 = empty
    }

    private var slots: [Slot]
    private var mask: Int
    private var arena: [UInt8] = []
    /// Entries in insertion order.
    public private(set) var values: [Value] = []
    private var keyRanges: [(start: Int32, length: Int32)] = []

    public init(capacity: Int = 256) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(hash: 0, start: 0, length: 0, entry: -1), count: size)
        mask = size - 1
    }

    public var count: Int { values.count }

    /// The key bytes of entry `index`.
    public func key(at index: Int) -> [UInt8] {
        let range = keyRanges[index]
        return Array(arena[Int(range.start)..<Int(range.start + range.length)])
    }

    /// Fast 64-bit hash of raw bytes (multiply–xorshift over 8-byte words).
    @inline(__always)
    public static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        guard let base = key.baseAddress else { return h }
        var i = 0
        let n = key.count
        while i + 8 <= n {
            let w = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 29
        return h
    }

    private func keyEquals(_ slot: Slot, _ key: UnsafeRawBufferPointer) -> Bool {
        guard Int(slot.length) == key.count else { return false }
        if key.count == 0 { return true }
        return arena.withUnsafeBytes { Bytes.equal($0, at: Int(slot.start), key) }
    }

    /// The entry index for `key`, if present.
    public func index(of key: UnsafeRawBufferPointer) -> Int? {
        let h = ByteKeyTable.hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[i]
            if slot.entry < 0 { return nil }
            if slot.hash == h && keyEquals(slot, key) { return Int(slot.entry) }
            i = (i + 1) & mask
        }
    }

    /// The value for `key`, if present.
    public func value(for key: UnsafeRawBufferPointer) -> Value? {
        index(of: key).map { values[$0] }
    }

    /// Inserts `key` with the value made by `make` unless present; returns the entry index.
    @discardableResult
    public mutating func insert(_ key: UnsafeRawBufferPointer, _ make: () -> Value) -> Int {
        let h = ByteKeyTable.hash(key)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[i]
            if slot.entry < 0 { break }
            if slot.hash == h && keyEquals(slot, key) { return Int(slot.entry) }
            i = (i + 1) & mask
        }
        let entry = values.count
        let start = Int32(arena.count)
        arena.append(contentsOf: key)
        values.append(make())
        keyRanges.append((start, Int32(key.count)))
        slots[i] = Slot(hash: h, start: start, length: Int32(key.count), entry: Int32(entry))
        if values.count * 2 > slots.count { grow() }
        return entry
    }

    private mutating func grow() {
        let size = slots.count * 2
        var fresh = Array(repeating: Slot(hash: 0, start: 0, length: 0, entry: -1), count: size)
        let newMask = size - 1
        for slot in slots where slot.entry >= 0 {
            var i = Int(truncatingIfNeeded: slot.hash) & newMask
            while fresh[i].entry >= 0 { i = (i + 1) & newMask }
            fresh[i] = slot
        }
        slots = fresh
        mask = newMask
    }
}

#if canImport(Glibc)
    import Glibc
#endif

extension ByteKeyTable: Sendable where Value: Sendable {}
