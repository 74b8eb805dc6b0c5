import SillageCore
import SillagePrivacy
import SillageMetrics

/// Cell-key perturbation of a table's counts (SPEC §8): each count of people is published as
/// `PerturbationTable.perturb(value, cellKey)`, the cell key summing the record keys of the
/// people behind that cell; each sum (sessions, page views, views) by the magnitude variant,
/// its deviation scaled to its largest contribution (`perturbMagnitude`).
///
/// The same people give the same published value in every table, export and recipient;
/// one person more gives a fresh draw, so two releases differenced give noise, not the
/// person. The row's count of people, which `minCount` is judged on, becomes the smaller of
/// the true count and its perturbation by the key of everyone in the row. Needs
/// `table.contributions` (`MetricInput.recordContributions`).
public struct CellKeyPerturbation: Sendable {
    public let table: PerturbationTable
    let keys: CellKeys
    /// Record keys already computed: a release's tables count the same people.
    private var memo: [ActorKey: UInt32] = [:]

    public init(table: PerturbationTable, master: MasterKey) {
        self.table = table
        keys = CellKeys(master: master)
    }

    /// Perturbs `t`'s counts in place; returns how many published counts changed.
    public mutating func apply(_ t: inout Table) -> Int {
        guard t.contributions.count == t.rows.count else { return 0 }
        let counted = t.columns.indices.filter { c in
            t.columns[c].role == .people || t.columns[c].role == .count || t.columns[c].role == .sum
        }
        let keys = self.keys
        // Moved out and back, not copied: the dictionary is mutated without duplicating it.
        var memo = self.memo
        self.memo = [:]
        defer { self.memo = memo }
        func recordKey(_ a: ActorKey) -> UInt32 {
            if let k = memo[a] { return k }
            let k = keys.recordKey(a)
            memo[a] = k
            return k
        }
        var changed = 0
        for r in t.rows.indices {
            let parts = t.contributions[r].byActor
            for c in counted {
                guard case .integer(let v) = t.rows[r][c], v > 0 else { continue }
                let key = CellKeys.cellKey(parts.compactMap { actor, cells in (cells[c] ?? 0) > 0 ? recordKey(actor) : nil })
                let published: Int64
                if t.columns[c].role == .people {
                    published = Int64(table.perturb(Int(v), cellKey: key))
                } else {
                    // The true value is part of a sum's key: the same people with another total
                    // (another day) get another draw, so two rows' difference is noise too.
                    let top = parts.values.reduce(Int64(0)) { max($0, $1[c] ?? 0) }
                    let name = t.columns[c].name
                    let valued = key ^ UInt32(truncatingIfNeeded: (UInt64(v) &* 0x9E37_79B9_7F4A_7C15) >> 32)
                    published = Int64(
                        table.perturbMagnitude(
                            Int(v), top: Int(top), cellKey: CellKeys.columnKey(valued, column: name),
                            remainderKey: CellKeys.columnKey(valued, column: name + "/offset")))
                }
                if published != v { changed += 1 }
                t.rows[r][c] = .integer(published)
            }
            // Suppression judges the smaller of the true and the perturbed people count: a
            // published row has `minCount` real people, and shows no people count below it.
            // A row about someone stays one (perturbed to 0 it would pass for a row about nobody).
            let everyone = CellKeys.cellKey(parts.keys.map(recordKey))
            let exact = t.actorsPerRow[r]
            t.actorsPerRow[r] = exact > 0 ? min(exact, max(1, table.perturb(exact, cellKey: everyone))) : 0
        }
        // Ratios follow the published counts, never the exact ones.
        t.recomputeRatios()
        return changed
    }
}
