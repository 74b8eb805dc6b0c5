import Dispatch

/// Makes microdata k-anonymous by full-domain generalisation, then suppression of what is left.
///
/// Each quasi-identifier has a hierarchy of levels (0 = as recorded, last = `*`); a node of
/// the lattice picks one level per quasi-identifier. Every node is evaluated: a group of
/// records sharing all generalised values must hold at least `k` records *and* `k` distinct
/// people (records carry a person, and a group of 11 sessions of two people would single each
/// of them out); records in smaller groups are suppressed, which is allowed up to
/// `maxSuppressed`. Among the feasible nodes, the one with the smallest discernibility
/// (Σ group size², each suppressed record costing the whole table) wins; ties go to the less
/// generalised node, then to the lexicographically smaller one, so the choice is deterministic.
public struct KAnonymity: Sendable {
    /// One quasi-identifier: the code of every record at every level (`codes[level][record]`).
    public struct Hierarchy: Sendable {
        public var codes: [[Int32]]

        public init(codes: [[Int32]]) {
            self.codes = codes
        }
    }

    /// What the chosen node gives.
    public struct Outcome: Sendable, Equatable {
        /// The level chosen for each quasi-identifier, in the order given.
        public var levels: [Int]
        /// Records kept (false: suppressed).
        public var kept: [Bool]
        public var recordsSuppressed: Int
        public var groups: Int
        /// Smallest group, in records and in distinct people (nil when nothing is kept).
        public var smallestGroup: Int?
        public var smallestGroupPeople: Int?
        /// Smallest number of distinct sensitive values in a group (nil without a sensitive attribute or when nothing is kept).
        public var lDiversity: Int?
        /// A node met k within the suppression allowance; false: every record was suppressed.
        public var feasible: Bool
        /// Prosecutor risk (1 / distinct people of the record's group): maximum and average over kept records.
        public var maxRisk: Double
        public var averageRisk: Double
    }

    public let k: Int
    public let maxSuppressed: Int

    public init(k: Int, maxSuppressed: Int) {
        self.k = max(1, k)
        self.maxSuppressed = max(0, maxSuppressed)
    }

    /// Chooses the node and the suppressed records. `people[i]` is record i's person (dense ids);
    /// `sensitive[i]` its sensitive value, if one is declared.
    public func anonymise(hierarchies: [Hierarchy], people: [Int32], sensitive: [Int32]?) -> Outcome {
        let n = people.count
        // Records ordered by person: a group's records then come person by person, so counting
        // changes of person counts distinct people in one pass.
        // Everything below works on the records in that order (sequential memory in the hot
        // loop); `kept` is mapped back at the end.
        let order = (0..<n).sorted { people[$0] != people[$1] ? people[$0] < people[$1] : $0 < $1 }
        let dense = hierarchies.map { h in h.codes.map { codes in Self.denseCodes(order.map { codes[$0] }) } }
        let sensitive = sensitive.map { values in order.map { values[$0] } }
        let people = order.map { people[$0] }
        // Nodes are independent: evaluated on every core, then compared in lattice order, so
        // the choice does not depend on the number of threads.
        let nodes = Self.nodes(heights: hierarchies.map { $0.codes.count })
        let costs = NodeCosts(count: nodes.count)
        DispatchQueue.concurrentPerform(iterations: nodes.count) { j in
            let keys = groupKeys(dense: dense, levels: nodes[j], count: n)
            var suppressed = 0, cost = 0
            for g in GroupTable(keys: keys, people: people).groups {
                if Int(g.records) < k || Int(g.people) < k { suppressed += Int(g.records) } else { cost += Int(g.records) * Int(g.records) }
            }
            costs.set(j, suppressed <= maxSuppressed ? cost + suppressed * n : nil)
        }
        var best: (cost: Int, levels: [Int])? = nil
        for (j, levels) in nodes.enumerated() {
            guard let cost = costs.get(j) else { continue }
            if let b = best {
                let sum = levels.reduce(0, +), bestSum = b.levels.reduce(0, +)
                guard cost < b.cost || (cost == b.cost && (sum < bestSum || (sum == bestSum && levels.lexicographicallyPrecedes(b.levels)))) else {
                    continue
                }
            }
            best = (cost, levels)
        }
        let feasible = best != nil
        let levels = best?.levels ?? hierarchies.map { $0.codes.count - 1 }
        let keys = groupKeys(dense: dense, levels: levels, count: n)
        let groups = GroupTable(keys: keys, people: people)
        var kept = [Bool](repeating: false, count: n)
        var outcome = Outcome(
            levels: levels, kept: [], recordsSuppressed: 0, groups: 0, smallestGroup: nil, smallestGroupPeople: nil,
            lDiversity: nil, feasible: feasible, maxRisk: 0, averageRisk: 0)
        var values: [UInt64: Set<Int32>] = [:]
        var riskSum = 0.0
        for i in 0..<n {
            let g = groups[keys[i]]
            guard feasible, Int(g.records) >= k, Int(g.people) >= k else { outcome.recordsSuppressed += 1; continue }
            kept[order[i]] = true
            let risk = 1 / Double(g.people)
            riskSum += risk
            outcome.maxRisk = max(outcome.maxRisk, risk)
            if let sensitive { values[keys[i], default: []].insert(sensitive[i]) }
        }
        let keptGroups = groups.groups.filter { feasible && Int($0.records) >= k && Int($0.people) >= k }
        outcome.kept = kept
        outcome.groups = keptGroups.count
        outcome.smallestGroup = keptGroups.map { Int($0.records) }.min()
        outcome.smallestGroupPeople = keptGroups.map { Int($0.people) }.min()
        if sensitive != nil { outcome.lDiversity = values.values.map(\.count).min() }
        let keptCount = n - outcome.recordsSuppressed
        outcome.averageRisk = keptCount > 0 ? riskSum / Double(keptCount) : 0
        return outcome
    }

    /// Every level vector, lowest levels first.
    static func nodes(heights: [Int]) -> [[Int]] {
        var out: [[Int]] = [[]]
        for h in heights {
            out = out.flatMap { prefix in (0..<h).map { prefix + [$0] } }
        }
        return out
    }

    /// Renumbers codes 0, 1, 2… in order of value, so packed keys stay small.
    static func denseCodes(_ codes: [Int32]) -> (codes: [UInt32], bits: Int) {
        let distinct = Array(Set(codes)).sorted()
        var index: [Int32: UInt32] = [:]
        for (i, c) in distinct.enumerated() { index[c] = UInt32(i) }
        let bits = distinct.count <= 1 ? 0 : (64 - UInt64(distinct.count - 1).leadingZeroBitCount)
        return (codes.map { index[$0]! }, bits)
    }

    /// One key per record for a node: its codes packed into 64 bits, or, when they would not
    /// fit, a dense group number built attribute by attribute.
    private func groupKeys(dense: [[(codes: [UInt32], bits: Int)]], levels: [Int], count n: Int) -> [UInt64] {
        let chosen = levels.enumerated().map { dense[$0.offset][$0.element] }
        if chosen.reduce(0, { $0 + $1.bits }) <= 64 {
            var keys = [UInt64](repeating: 0, count: n)
            for c in chosen where c.bits > 0 {
                for i in 0..<n { keys[i] = keys[i] << UInt64(c.bits) | UInt64(c.codes[i]) }
            }
            return keys
        }
        var keys = [UInt64](repeating: 0, count: n)
        for c in chosen {
            var numbering: [UInt64: UInt64] = [:]
            for i in 0..<n {
                let pair = keys[i] << 32 | UInt64(c.codes[i])
                if let id = numbering[pair] {
                    keys[i] = id
                } else {
                    let id = UInt64(numbering.count)
                    numbering[pair] = id
                    keys[i] = id
                }
            }
        }
        return keys
    }

    /// One slot per node, each written by exactly one iteration of `concurrentPerform`.
    final class NodeCosts: @unchecked Sendable {
        private let slots: UnsafeMutablePointer<Int>
        private let count: Int

        init(count: Int) {
            self.count = count
            slots = .allocate(capacity: max(1, count))
            slots.initialize(repeating: -1, count: max(1, count))
        }

        deinit { slots.deallocate() }

        /// nil: the node needs more suppression than allowed.
        func set(_ j: Int, _ cost: Int?) { slots[j] = cost ?? -1 }
        func get(_ j: Int) -> Int? { slots[j] >= 0 ? slots[j] : nil }
    }

    struct Group {
        var records: Int32 = 0
        var people: Int32 = 0
        var lastPerson: Int32 = -1
    }

    /// Groups of one node: an open-addressing table on the packed keys (evaluated for every
    /// node of the lattice, so it is the hot loop; `Dictionary`'s seeded hashing costs several
    /// times more). Records are added person by person, so a change of person within a group
    /// counts one more distinct person.
    struct GroupTable {
        private var slots: [UInt64]
        private var occupied: [Bool]
        private var index: [Int32]
        private(set) var groups: [Group] = []
        private let mask: Int

        init(keys: [UInt64], people: [Int32]) {
            var capacity = 16
            while capacity < keys.count * 2 { capacity <<= 1 }
            mask = capacity - 1
            slots = [UInt64](repeating: 0, count: capacity)
            occupied = [Bool](repeating: false, count: capacity)
            index = [Int32](repeating: -1, count: capacity)
            for i in keys.indices {
                let g = slot(keys[i])
                groups[g].records += 1
                if groups[g].lastPerson != people[i] {
                    groups[g].lastPerson = people[i]
                    groups[g].people += 1
                }
            }
        }

        /// Where a key's probe sequence starts (Fibonacci hashing).
        private func home(_ key: UInt64) -> Int {
            Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 17) & mask
        }

        private mutating func slot(_ key: UInt64) -> Int {
            var h = home(key)
            while occupied[h] {
                if slots[h] == key { return Int(index[h]) }
                h = (h + 1) & mask
            }
            occupied[h] = true
            slots[h] = key
            index[h] = Int32(groups.count)
            groups.append(Group())
            return groups.count - 1
        }

        /// The group of a key that was added.
        subscript(key: UInt64) -> Group {
            var h = home(key)
            while slots[h] != key || !occupied[h] { h = (h + 1) & mask }
            return groups[Int(index[h])]
        }
    }
}
