/// The kinds of store rows a table is computed from.
public enum MetricSource: Sendable, Hashable, CaseIterable {
    case sessions, actorDays, facts, catalogue
}

/// A published table: its name, the store rows it is computed from and how, and the totals
/// it shares with other tables.
public struct TableStage: Sendable {
    public var name: String
    /// What `build` reads of its input (the rest may be left empty); a test builds every
    /// table from these alone and from everything, and compares.
    public var reads: Set<MetricSource>
    public var build: @Sendable (MetricInput) -> Table
    /// Totals this table publishes that another table publishes too (checked together by
    /// complementary suppression, so that no withheld cell is their difference).
    public var sharedTotals: [SharedTotal] = []
    /// Made for the completion reports: an export has it only when it names it.
    public var forReports = false
}

/// Cells of one column in several tables that add up to the same number for each value of a
/// dimension (per stream, the sessions of `daily_activity` summed over its days and those of
/// `session_lengths` summed over its buckets; the day's bounces and the `0s` bucket, whose
/// sessions are the bounces and the few sessions whose events share one second).
public struct SharedTotal: Sendable, Equatable {
    public var cells: [TotalCell]
    /// The dimension the totals are taken per.
    public var per: String

    public init(cells: [TotalCell], per: String) {
        self.cells = cells
        self.per = per
    }
}

/// One side of a shared total: a column of a table, over all its rows or those whose
/// `whereColumn` reads `whereValue`.
public struct TotalCell: Sendable, Equatable {
    public var table: String
    public var column: String
    public var whereColumn: String? = nil
    public var whereValue: String? = nil

    public init(_ table: String, _ column: String, where whereColumn: String? = nil, is whereValue: String? = nil) {
        self.table = table
        self.column = column
        self.whereColumn = whereColumn
        self.whereValue = whereValue
    }
}

/// The one list of published tables, in publication order; the pipeline's `StageRegistry`
/// reaches it for table names.
public enum TableRegistry {
    /// Tables by name, in publication order.
    public static let tableList: [TableStage] = [
        TableStage(name: DailyActivity.name, reads: [.sessions, .actorDays], build: DailyActivity.build),
        TableStage(
            name: SessionLengths.name, reads: [.sessions, .actorDays], build: SessionLengths.build,
            sharedTotals: [
                SharedTotal(cells: [TotalCell(DailyActivity.name, "sessions"), TotalCell(SessionLengths.name, "sessions")], per: "stream"),
                SharedTotal(
                    cells: [
                        TotalCell(DailyActivity.name, "bounces"),
                        TotalCell(SessionLengths.name, "sessions", where: "duration_bucket", is: SessionLengths.scale.labels[0]),
                    ], per: "stream"),
            ]),
        TableStage(name: ConnectionDays.name, reads: [.sessions, .actorDays], build: ConnectionDays.build),
        TableStage(name: CourseCompletion.name, reads: [.facts, .catalogue], build: CourseCompletion.build),
        TableStage(name: ActivityCompletion.name, reads: [.facts, .catalogue], build: ActivityCompletion.build),
        TableStage(name: ContentViews.name, reads: [.facts], build: ContentViews.build),
        TableStage(name: FailedSearches.name, reads: [.facts], build: FailedSearches.build),
        TableStage(name: CourseProgress.name, reads: [.facts, .catalogue], build: CourseProgress.build, forReports: true),
        TableStage(name: CourseWeeks.name, reads: [.facts], build: CourseWeeks.build, forReports: true),
        TableStage(
            name: CourseConnectionDays.name, reads: [.facts], build: CourseConnectionDays.build,
            sharedTotals: [
                SharedTotal(cells: [TotalCell(CourseCompletion.name, "learners"), TotalCell(CourseConnectionDays.name, "learners")], per: "course"),
                SharedTotal(cells: [TotalCell(CourseProgress.name, "learners"), TotalCell(CourseConnectionDays.name, "learners")], per: "course"),
            ], forReports: true),
        TableStage(name: ActivityEngagement.name, reads: [.facts, .catalogue], build: ActivityEngagement.build, forReports: true),
    ]

    public static let tables: [String: TableStage] = Dictionary(uniqueKeysWithValues: tableList.map { ($0.name, $0) })
    public static var tableNames: [String] { tableList.map(\.name) }
    /// The tables an export publishes when it does not list its own.
    public static var defaultTables: [String] { tableList.filter { !$0.forReports }.map(\.name) }
    /// True when `table` is computed from sessions or learner-days: what session microdata
    /// would give back.
    public static func readsSessions(_ table: String) -> Bool {
        let reads = tables[table]?.reads ?? []
        return reads.contains(.sessions) || reads.contains(.actorDays)
    }
    /// Every total two tables publish, as their declarations say.
    public static var sharedTotals: [SharedTotal] { tableList.flatMap(\.sharedTotals) }
}
