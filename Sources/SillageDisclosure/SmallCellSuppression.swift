import SillageMetrics

/// What disclosure control did to one table, for `privacy-report.json`.
public struct SuppressionReport: Sendable, Equatable {
    public var table: String
    public var rows: Int
    /// Rows suppressed because fewer than `minCount` people are behind them.
    public var rowsSuppressed: Int
    public var cellsSuppressed: Int
    /// Rows suppressed because one person dominates a sum (dominance rule).
    public var rowsDominated = 0
    /// Rows withheld so that a suppressed value cannot be recovered from a total (complementary suppression).
    public var rowsComplementary = 0
    /// Published counts changed by rounding to the export's base.
    public var cellsRounded = 0
    /// Rows left out because a value in them was produced by fewer than `minCount` people
    /// (`KVocabulary`); not in `rows`.
    public var rowsBelowVocabulary = 0
    /// Published counts moved by cell-key perturbation.
    public var cellsPerturbed = 0

    public init(table: String, rows: Int, rowsSuppressed: Int, cellsSuppressed: Int, rowsDominated: Int = 0) {
        self.table = table
        self.rows = rows
        self.rowsSuppressed = rowsSuppressed
        self.cellsSuppressed = cellsSuppressed
        self.rowsDominated = rowsDominated
    }
}

/// Suppresses every measure of a row computed from fewer than `minCount` distinct actors (SPEC §6).
///
/// Rows with no actor at all are kept: a zero describes nobody. The dimensions (date,
/// stream, bucket) stay, so a reader sees that a value was withheld rather than missing.
public struct SmallCellSuppression: Sendable {
    public let minCount: Int

    public init(minCount: Int) {
        self.minCount = minCount
    }

    public func apply(_ table: inout Table) -> SuppressionReport {
        var report = SuppressionReport(table: table.name, rows: table.rows.count, rowsSuppressed: 0, cellsSuppressed: 0)
        let measures = table.columns.indices.filter { table.columns[$0].isMeasure }
        if table.omitSuppressedRows {
            var kept: [[Cell]] = []
            var keptActors: [Int] = []
            var keptShares: [Double] = []
            for r in table.rows.indices {
                let actors = table.actorsPerRow[r]
                if actors < minCount {
                    report.rowsSuppressed += 1
                    report.cellsSuppressed += table.columns.count
                } else {
                    kept.append(table.rows[r])
                    keptActors.append(actors)
                    keptShares.append(table.topSharePerRow[r])
                }
            }
            table.rows = kept
            table.actorsPerRow = keptActors
            table.topSharePerRow = keptShares
            return report
        }
        for r in table.rows.indices {
            let actors = table.actorsPerRow[r]
            guard actors > 0, actors < minCount else { continue }
            report.rowsSuppressed += 1
            for c in measures where table.rows[r][c] != .empty {
                table.rows[r][c] = .empty
                report.cellsSuppressed += 1
            }
        }
        return report
    }
}
