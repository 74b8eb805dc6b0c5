/// A published table: its name and how it is computed from the store's rows.
public struct TableStage: Sendable {
    public var name: String
    public var build: @Sendable (MetricInput) -> Table
}

/// The one list of published tables, in publication order; the pipeline's `StageRegistry`
/// reaches it for table names.
public enum TableRegistry {
    /// Tables by name, in publication order.
    public static let tableList: [TableStage] = [
        TableStage(name: DailyActivity.name, build: DailyActivity.build),
        TableStage(name: SessionLengths.name, build: SessionLengths.build),
        TableStage(name: ConnectionDays.name, build: ConnectionDays.build),
        TableStage(name: CourseCompletion.name, build: CourseCompletion.build),
        TableStage(name: ActivityCompletion.name, build: ActivityCompletion.build),
        TableStage(name: ContentViews.name, build: ContentViews.build),
        TableStage(name: FailedSearches.name, build: FailedSearches.build),
    ]

    public static let tables: [String: TableStage] = Dictionary(uniqueKeysWithValues: tableList.map { ($0.name, $0) })
    public static var tableNames: [String] { tableList.map(\.name) }
    public static var defaultTables: [String] { tableNames }
}
