import SillageMetrics

/// Totals an export publishes twice, in two tables, protected by complementary suppression.
///
/// The tables declare them (`TableStage.sharedTotals`): per stream, the sessions of
/// `daily_activity` (summed over the period's days) and of `session_lengths` (summed over
/// the duration buckets) are the same number. A lone withheld cell among them would be that
/// number minus all the others, so a second one — the smallest published — is withheld with
/// it (its whole row, like any suppression). The same holds when one side is a part of a
/// table (the `0s` bucket against the day's bounces).
public enum LinkedTotals {
    /// `exempt`: tables published with noise, whose exact values no subtraction can recover.
    public static func protect(
        _ tables: inout [Table], reports: inout [SuppressionReport], exempt: Set<String> = [],
        totals: [SharedTotal] = TableRegistry.sharedTotals
    ) {
        for total in totals { protect(total, &tables, reports: &reports, exempt: exempt) }
    }

    static func protect(_ total: SharedTotal, _ tables: inout [Table], reports: inout [SuppressionReport], exempt: Set<String>) {
        guard total.cells.allSatisfy({ !exempt.contains($0.table) }) else { return }
        let members = total.cells.compactMap { link -> (Int, Int, Int, (Int, Cell)?)? in
            guard let t = tables.firstIndex(where: { $0.name == link.table }),
                let column = tables[t].columns.firstIndex(where: { $0.name == link.column }),
                let stream = tables[t].columns.firstIndex(where: { $0.name == total.per })
            else { return nil }
            guard let name = link.whereColumn, let value = link.whereValue else { return (t, column, stream, nil) }
            guard let w = tables[t].columns.firstIndex(where: { $0.name == name }) else { return nil }
            return (t, column, stream, (w, .text(value)))
        }
        guard members.count == total.cells.count else { return }
        var streams = Set<String>()
        // The dimension is a code label (a stream) or a gated value (a course).
        for (t, _, s, _) in members { for row in tables[t].rows where row[s] != .empty { streams.insert(row[s].csvText) } }
        for stream in streams.sorted() {
            var cells: [(table: Int, row: Int)] = []
            var values: [Int64] = [], hidden: [Bool] = []
            for (t, column, s, only) in members {
                for (r, row) in tables[t].rows.enumerated()
                where row[s] != .empty && row[s].csvText == stream && only.map({ row[$0.0] == $0.1 }) ?? true {
                    cells.append((t, r))
                    if case .integer(let v) = row[column] { values.append(v); hidden.append(false) } else { values.append(0); hidden.append(true) }
                }
            }
            var line = MarginalTable(values: [values], suppressed: [hidden], rowTotals: true, columnTotals: false)
            guard ComplementarySuppression.protect(&line) > 0 else { continue }
            for (k, cell) in cells.enumerated() where line.suppressed[0][k] && !hidden[k] {
                let t = cell.table
                for c in tables[t].columns.indices where tables[t].columns[c].isMeasure && tables[t].rows[cell.row][c] != .empty {
                    tables[t].rows[cell.row][c] = .empty
                    reports[t].cellsSuppressed += 1
                }
                reports[t].rowsComplementary += 1
            }
        }
    }
}
