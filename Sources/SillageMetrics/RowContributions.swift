import SillageCore

/// The largest share one actor holds of a sum, accumulated while a table is built.
///
/// A count of sessions, page views, views or failed searches is a sum over people; when
/// one person makes most of it, publishing it publishes them (SPEC §6).
public struct Contributions: Sendable {
    /// The sum.
    public private(set) var total: Int64 = 0
    private var byActor: [ActorKey: Int64] = [:]

    public init() {}

    public mutating func add(_ actor: ActorKey, _ value: Int64) {
        guard value > 0 else { return }
        total += value
        byActor[actor, default: 0] += value
    }

    /// Each person's part of the sum.
    public var perActor: [ActorKey: Int64] { byActor }

    /// The top contributor's share of the sum (0 for an empty sum).
    public var topShare: Double {
        guard total > 0, let top = byActor.values.max() else { return 0 }
        return Double(top) / Double(total)
    }
}

/// What each person put into each count of one table row, recorded only for tables published
/// with differential privacy, whose noise scale rests on bounding exactly that.
///
/// Builders name the column; appending the row to its table resolves the names to the
/// table's column indices (a name the table lacks is a programming error and traps).
public struct RowContributions: Sendable {
    private var byName: [ActorKey: [String: Int64]] = [:]
    /// Per person, per column index of the table: their part of that cell (set by `Table.append`).
    public private(set) var byActor: [ActorKey: [Int: Int64]] = [:]

    public init() {}

    /// Each of `actors` counts once in `column` (a count of distinct people).
    public mutating func people(_ column: String, _ actors: some Sequence<ActorKey>) {
        for a in actors { byName[a, default: [:]][column, default: 0] += 1 }
    }

    /// The people behind a sum, with their parts.
    public mutating func sum(_ column: String, _ contributions: Contributions) {
        for (a, v) in contributions.perActor { byName[a, default: [:]][column, default: 0] += v }
    }

    public mutating func add(_ actor: ActorKey, column: String, _ value: Int64) {
        byName[actor, default: [:]][column, default: 0] += value
    }

    /// The parts by column index of `columns`.
    func resolved(against columns: [Column]) -> RowContributions {
        var out = self
        var index: [String: Int] = [:]
        for (i, c) in columns.enumerated() { index[c.name] = i }
        out.byActor = byName.mapValues { cells in
            var byIndex: [Int: Int64] = [:]
            for (name, v) in cells {
                guard let i = index[name] else { preconditionFailure("contribution to \(name), a column the table lacks") }
                byIndex[i, default: 0] += v
            }
            return byIndex
        }
        return out
    }
}
