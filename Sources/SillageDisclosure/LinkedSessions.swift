/// k^m-anonymity for linkable session microdata (Terrovitis et al.): a reader who knows any m
/// of a person's sessions — as published, every column — finds them shared by at least k
/// people, so the pseudonym that links a person's rows never singles them out.
///
/// A session is an item (its published row); a person is the set of their distinct items.
/// The protection raises generalisation levels (coarser values, fewer distinct items) from
/// the k-anonymous starting point, then suppresses: a person's item whose combination with
/// others of theirs is shared by fewer than k people leaves the file (all of that person's
/// sessions with that row), rarest first, until no combination of up to m items is.
public struct LinkedSessions: Sendable {
    public let k: Int
    public let m: Int

    public init(k: Int, m: Int) {
        self.k = max(1, k)
        self.m = max(1, min(3, m))
    }

    /// Combinations counted per level: beyond, the level is skipped for a coarser one.
    static let combinationLimit = 20_000_000

    /// The items each person keeps: `items[p]` are person p's distinct items (dense ids,
    /// sorted). Returns the kept items per person, and whether the limit was respected.
    public func protect(_ items: [[Int32]]) -> [[Int32]]? {
        var sets = items
        guard Self.combinations(sets, upTo: m) <= Self.combinationLimit, sets.allSatisfy({ ($0.last ?? 0) < 1 << 21 }) else { return nil }
        // Removing items only lowers supports, so earlier sizes are rechecked until stable.
        var changed = true
        while changed {
            changed = false
            for size in 1...m {
                let support = Self.supports(sets, size: size)
                for p in sets.indices where sets[p].count >= size {
                    while let weak = weakest(sets[p], size: size, support: support) {
                        sets[p].removeAll { $0 == weak }
                        changed = true
                        if sets[p].count < size { break }
                    }
                }
                if changed { break }
            }
        }
        return sets
    }

    /// The item of `set` to drop first: the one of the rarest combination under k.
    func weakest(_ set: [Int32], size: Int, support: [UInt64: Int32]) -> Int32? {
        var worst: (count: Int32, item: Int32)? = nil
        Self.forEachCombination(of: set, size: size) { key, members in
            let count = support[key] ?? 0
            guard Int(count) < k else { return }
            let item = members.max() ?? members[0]
            if worst == nil || count < worst!.count || (count == worst!.count && item > worst!.item) { worst = (count, item) }
        }
        return worst?.item
    }

    /// Share of people singled out — some `size` or fewer of their items shared by no one
    /// else — for size 1 to 3.
    public static func singleOutRates(_ sets: [[Int32]]) -> [Double] {
        let people = sets.filter { !$0.isEmpty }
        guard !people.isEmpty else { return [0, 0, 0] }
        var singled = Set<Int>()
        var rates: [Double] = []
        for size in 1...3 {
            let support = supports(people, size: size)
            for (p, set) in people.enumerated() where !singled.contains(p) {
                var unique = false
                forEachCombination(of: set, size: size) { key, _ in if support[key] == 1 { unique = true } }
                if unique { singled.insert(p) }
            }
            rates.append(Double(singled.count) / Double(people.count))
        }
        return rates
    }

    /// How many combinations of up to `size` items the sets hold.
    static func combinations(_ sets: [[Int32]], upTo size: Int) -> Int {
        sets.reduce(0) { total, set in
            let n = set.count
            return total + n + (size >= 2 ? n * (n - 1) / 2 : 0) + (size >= 3 ? n * (n - 1) * (n - 2) / 6 : 0)
        }
    }

    /// People per combination of `size` items (a person with fewer items counts for none).
    static func supports(_ sets: [[Int32]], size: Int) -> [UInt64: Int32] {
        var support: [UInt64: Int32] = [:]
        for set in sets { forEachCombination(of: set, size: size) { key, _ in support[key, default: 0] += 1 } }
        return support
    }

    /// Calls `body` with each combination of `size` items of the sorted `set`, packed as one
    /// key (21 bits per item: dense ids stay below 2^21; one size per dictionary).
    static func forEachCombination(of set: [Int32], size: Int, _ body: (UInt64, [Int32]) -> Void) {
        let n = set.count
        guard n >= size else { return }
        func key(_ items: [Int32]) -> UInt64 { items.reduce(UInt64(0)) { ($0 << 21) | UInt64(UInt32(bitPattern: $1) & 0x1F_FFFF) } }
        switch size {
        case 1: for a in set { body(key([a]), [a]) }
        case 2:
            for i in 0..<n { for j in (i + 1)..<n { body(key([set[i], set[j]]), [set[i], set[j]]) } }
        default:
            for i in 0..<n {
                for j in (i + 1)..<n { for l in (j + 1)..<n { body(key([set[i], set[j], set[l]]), [set[i], set[j], set[l]]) } }
            }
        }
    }
}
