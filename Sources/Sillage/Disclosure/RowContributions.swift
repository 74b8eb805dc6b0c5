/// What each person put into each count of one table row, recorded only for tables published
/// with differential privacy, whose noise scale rests on bounding exactly that.
public struct RowContributions: Sendable {
    /// Per person, per column index of the table: their part of that cell.
    public private(set) var byActor: [ActorKey: [Int: Int64]] = [:]

    public init() {}

    /// Each of `actors` counts once in `column` (a count of distinct people).
    public mutating func people(_ column: Int, _ actors: some Sequence<ActorKey>) {
        for a in actors { byActor[a, default: [:]][column, default: 0] += 1 }
    }

    /// The people behind a sum, with their parts.
    public mutating func sum(_ column: Int, _ contributions: Contributions) {
        for (a, v) in contributions.perActor { byActor[a, default: [:]][column, default: 0] += v }
    }

    public mutating func add(_ actor: ActorKey, column: Int, _ value: Int64) {
        byActor[actor, default: [:]][column, default: 0] += value
    }
}
