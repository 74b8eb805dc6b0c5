import SillagePrivacy
import SillageMetrics

/// The release-level check (SPEC §8): the tables of one export protected together, after
/// each was protected on its own, so that no figure withheld in one table can be read from
/// the others.
///
/// The relations it enforces are those the tables declare: a ratio column (`completion_rate`
/// = completers ÷ learners) and a share column (`share_of_learners` = an activity's
/// completers ÷ the course's learners in `course_completion`) make the numerator a part of a
/// whole, so the rest of the whole (the non-completers) is a group too; shared totals
/// (`LinkedTotals`) make a withheld cell the difference of published ones; a rank orders
/// rows by a count. In order:
/// 1. counts are rounded to the export's base;
/// 2. a row is withheld when a group its figures reveal — a count of people, or whole − part
///    for a declared part of a whole — holds between 1 and `minCount` − 1 people, in the
///    exact counts or in those a reader computes from published, perturbed or rounded values;
/// 3. ratios, shares and ranks are recomputed from the published values (a share whose whole
///    is withheld is empty);
/// 4. shared totals get complementary suppression.
public enum ReleaseCheck {
    /// Applies the check to `tables` (and their `reports`, in the same order). `aside`: tables
    /// a share divides by that the export does not publish, protected the same way;
    /// `exact`: the tables in a part-of-a-whole relation as built, before perturbation and
    /// suppression, by name; `pinned`: items whose rank the catalogue fixes; `exempt`:
    /// tables published with noise.
    public static func apply(
        _ tables: inout [Table], reports: inout [SuppressionReport], aside: [Table], exact: [String: Table], minCount: Int,
        roundTo: Int, perturbed: Bool, exempt: Set<String>, pinned: (Publishable) -> Bool
    ) {
        let rounding = Rounding(base: roundTo)
        for t in tables.indices { reports[t].cellsRounded = rounding.apply(&tables[t]) }
        var others = aside
        let exactGroups = Groups(exact: exact, minCount: minCount)
        for t in others.indices {
            var unused = SuppressionReport(table: others[t].name, rows: 0, rowsSuppressed: 0, cellsSuppressed: 0)
            rounding.apply(&others[t])
            exactGroups.withhold(&others[t], report: &unused, wholes: { _ in nil })
        }
        for t in tables.indices where tables[t].columns.allSatisfy({ $0.share == nil }) {
            exactGroups.withhold(&tables[t], report: &reports[t], wholes: { _ in nil })
        }
        let wholes = tables.filter { $0.columns.allSatisfy { $0.share == nil } } + others
        func whole(_ name: String) -> Table? { wholes.first { $0.name == name } }
        for t in tables.indices where tables[t].columns.contains(where: { $0.share != nil }) {
            exactGroups.withhold(&tables[t], report: &reports[t], wholes: whole)
        }
        for t in tables.indices {
            // A noisy table publishes counts only (its rates and shares stay empty).
            if !exempt.contains(tables[t].name) {
                tables[t].recomputeRatios(perturbed: perturbed || roundTo > 1)
                tables[t].recomputeShares(from: whole)
            }
            tables[t].recomputeRanks(pinned: pinned)
        }
        LinkedTotals.protect(&tables, reports: &reports, exempt: exempt)
    }

    /// The tables that hold a part of a whole (a ratio of people counts or a share) or are
    /// the whole another table's share divides by: the check needs their exact counts. Read
    /// once from the registry's declarations.
    public static let partsOfWholes: Set<String> = {
        let probe = MetricInput(sessions: [], actorDays: [])
        var names = Set<String>()
        for stage in TableRegistry.tableList {
            let columns = stage.build(probe).columns
            func counted(_ name: String) -> Bool { columns.contains { $0.name == name && $0.role == .people } }
            if columns.contains(where: { c in c.share != nil || c.ratio.map { counted($0.numerator) && counted($0.denominator) } == true }) {
                names.insert(stage.name)
            }
            names.formUnion(columns.compactMap { $0.share?.table })
        }
        return names
    }()

    /// The part-of-a-whole relations of a table, judged on published and on exact values.
    struct Groups {
        var exact: [String: Table]
        var minCount: Int

        func small(_ v: Int64) -> Bool { v > 0 && v < Int64(minCount) }

        /// Withholds the rows whose figures reveal a group of 1 to `minCount` − 1 people,
        /// counting them in `report`. `wholes` gives the published tables shares divide by.
        func withhold(_ table: inout Table, report: inout SuppressionReport, wholes: (String) -> Table?) {
            let people = table.columns.indices.filter { table.columns[$0].role == .people }
            let relations = self.relations(of: table, wholes: wholes)
            let exactRows = exact[table.name].map(Groups.rowsByKey) ?? [:]
            var keep: [Bool] = []
            for r in table.rows.indices {
                let row = table.rows[r]
                var reveals = people.contains { value(row, $0).map(small) ?? false }
                let exactRow = exactRows[Groups.key(row, table)]
                for relation in relations {
                    if let a = value(row, relation.part), let b = relation.published(row), small(b - a) { reveals = true }
                    if let e = exactRow, let a = value(e, relation.part), let b = relation.exact(e), small(b - a) { reveals = true }
                }
                keep.append(!(reveals && table.omitSuppressedRows))
                guard reveals else { continue }
                // Counted with the rows under minCount: a counter of its own would say which
                // group was small (the non-completers) where one row is withheld.
                report.rowsSuppressed += 1
                for c in table.columns.indices where table.columns[c].isMeasure && (table.omitSuppressedRows || row[c] != .empty) {
                    table.rows[r][c] = .empty
                    report.cellsSuppressed += 1
                }
                if table.omitSuppressedRows { report.cellsSuppressed += table.columns.count - table.columns.filter(\.isMeasure).count }
            }
            if table.omitSuppressedRows { table.keepRows(keep) }
        }

        struct Relation {
            var part: Int
            var published: ([Cell]) -> Int64?
            var exact: ([Cell]) -> Int64?
        }

        /// Declared parts of a whole: a ratio of two people counts of the row, a share of the
        /// people count of another table's row with the same key.
        func relations(of table: Table, wholes: (String) -> Table?) -> [Relation] {
            var out: [Relation] = []
            for column in table.columns {
                if let ratio = column.ratio, let n = index(ratio.numerator, table), let d = index(ratio.denominator, table),
                    table.columns[n].role == .people, table.columns[d].role == .people
                {
                    out.append(Relation(part: n, published: { value($0, d) }, exact: { value($0, d) }))
                }
                if let share = column.share, let n = index(share.numerator, table), let k = index(share.key, table) {
                    let published = wholes(share.table).map { Groups.column(share.column, of: $0, by: share.key) } ?? [:]
                    let exact = self.exact[share.table].map { Groups.column(share.column, of: $0, by: share.key) } ?? [:]
                    out.append(Relation(part: n, published: { published[$0[k].csvText] }, exact: { exact[$0[k].csvText] }))
                }
            }
            return out
        }

        static func column(_ name: String, of table: Table, by key: String) -> [String: Int64] {
            guard let c = index(name, table), let k = index(key, table) else { return [:] }
            var values: [String: Int64] = [:]
            for row in table.rows { if let v = value(row, c) { values[row[k].csvText] = v } }
            return values
        }

        static func key(_ row: [Cell], _ table: Table) -> String {
            table.primaryKey.compactMap { index($0, table) }.map { row[$0].csvText }.joined(separator: "\u{0}")
        }

        static func rowsByKey(_ table: Table) -> [String: [Cell]] {
            var rows: [String: [Cell]] = [:]
            for row in table.rows { rows[key(row, table)] = row }
            return rows
        }
    }

}

private func index(_ name: String, _ table: Table) -> Int? { table.columns.firstIndex { $0.name == name } }

private func value(_ row: [Cell], _ c: Int) -> Int64? { if case .integer(let v) = row[c] { return v } else { return nil } }
