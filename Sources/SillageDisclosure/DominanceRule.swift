import SillageMetrics

/// Suppresses every measure of a row whose sums or durations one actor dominates: more than
/// `maxShare` (default 0.85) of the row's largest-share sum comes from one person.
public struct DominanceRule: Sendable {
    public let maxShare: Double

    public init(maxShare: Double = 0.85) {
        self.maxShare = maxShare
    }

    /// Applies the rule to rows that small-cell suppression left published; adds to `report`.
    public func apply(_ table: inout Table, report: inout SuppressionReport) {
        let measures = table.columns.indices.filter { table.columns[$0].isMeasure }
        var kept: [[Cell]] = [], keptActors: [Int] = [], keptShares: [Double] = []
        for r in table.rows.indices {
            let published = measures.contains { table.rows[r][$0] != .empty }
            // A one-person row is minCount's to judge: it dominates itself by definition.
            guard published, table.actorsPerRow[r] >= 2, table.topSharePerRow[r] > maxShare else {
                kept.append(table.rows[r]); keptActors.append(table.actorsPerRow[r]); keptShares.append(table.topSharePerRow[r])
                continue
            }
            report.rowsDominated += 1
            if table.omitSuppressedRows {
                report.cellsSuppressed += table.columns.count
                continue
            }
            for c in measures where table.rows[r][c] != .empty {
                table.rows[r][c] = .empty
                report.cellsSuppressed += 1
            }
            kept.append(table.rows[r]); keptActors.append(table.actorsPerRow[r]); keptShares.append(table.topSharePerRow[r])
        }
        table.rows = kept
        table.actorsPerRow = keptActors
        table.topSharePerRow = keptShares
    }
}
