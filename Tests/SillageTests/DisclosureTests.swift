import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageMetrics
@testable import SillageDisclosure
@testable import SillagePipeline

/// The suppressed cells of `t` whose value the published cells and totals determine: cell k
/// is determined exactly when its unit vector lies in the row space of the equations
/// (Gaussian elimination; independent of the graph argument the protection uses).
private func recoverableCells(_ t: MarginalTable) -> [(Int, Int)] {
    var unknowns: [(Int, Int)] = []
    for r in t.values.indices { for c in t.values[r].indices where t.suppressed[r][c] { unknowns.append((r, c)) } }
    guard !unknowns.isEmpty else { return [] }
    var equations: [[Double]] = []
    if t.rowTotals {
        for r in t.values.indices { equations.append(unknowns.map { $0.0 == r ? 1 : 0 }) }
    }
    if t.columnTotals {
        for c in t.values[0].indices { equations.append(unknowns.map { $0.1 == c ? 1 : 0 }) }
    }
    func rank(_ m: [[Double]]) -> Int {
        var m = m, rank = 0
        let columns = m.first?.count ?? 0
        for col in 0..<columns where rank < m.count {
            guard let pivot = (rank..<m.count).max(by: { abs(m[$0][col]) < abs(m[$1][col]) }), abs(m[pivot][col]) > 1e-9 else { continue }
            m.swapAt(rank, pivot)
            for i in 0..<m.count where i != rank {
                let f = m[i][col] / m[rank][col]
                if f != 0 { for j in 0..<columns { m[i][j] -= f * m[rank][j] } }
            }
            rank += 1
        }
        return rank
    }
    let base = rank(equations)
    return unknowns.indices.filter { k in
        rank(equations + [unknowns.indices.map { $0 == k ? 1 : 0 }]) == base
    }.map { unknowns[$0] }
}

/// Random tables with totals, small cells suppressed first: after complementary suppression
/// no suppressed cell can be recovered, and every primary suppression is still in place.
@Test(arguments: [(true, true), (true, false), (false, true)])
func noSuppressedCellIsRecoverableFromTheTotals(rowTotals: Bool, columnTotals: Bool) {
    var rng = SplitMix(state: rowTotals ? (columnTotals ? 11 : 12) : 13)
    var protectedTables = 0
    for _ in 0..<400 {
        let rows = 2 + rng.below(5), columns = 2 + rng.below(5)
        let values = (0..<rows).map { _ in (0..<columns).map { _ in Int64(rng.below(4) == 0 ? rng.below(11) : rng.below(200)) } }
        let primary = values.map { $0.map { $0 > 0 && $0 < 11 } }
        var t = MarginalTable(values: values, suppressed: primary, rowTotals: rowTotals, columnTotals: columnTotals)
        let before = recoverableCells(t)
        ComplementarySuppression.protect(&t)
        let after = recoverableCells(t)
        #expect(after.isEmpty, "recoverable \(after) in \(values) suppressed \(t.suppressed)")
        for r in 0..<rows { for c in 0..<columns where primary[r][c] { #expect(t.suppressed[r][c]) } }
        if !before.isEmpty { protectedTables += 1 }
    }
    #expect(protectedTables > 50, "the generator must produce tables that need protecting")
}

@Test func aLoneSuppressedCellTakesTheSmallestPublishedOneWithIt() {
    var t = MarginalTable(values: [[40, 3, 25, 0, 60]], suppressed: [[false, true, false, false, false]], rowTotals: true, columnTotals: false)
    #expect(ComplementarySuppression.protect(&t) == 1)
    #expect(t.suppressed == [[false, true, true, false, false]], "25 goes, not the zero")
}

@Test func aBridgeIsClosedByTheCheapestRectangle() {
    // Suppressing (0,0) alone: row 0 and column 0 each give it away.
    var t = MarginalTable(
        values: [[5, 90, 12], [80, 70, 60], [14, 100, 13]],
        suppressed: [[true, false, false], [false, false, false], [false, false, false]],
        rowTotals: true, columnTotals: true)
    ComplementarySuppression.protect(&t)
    #expect(t.suppressed == [[true, false, true], [false, false, false], [true, false, true]])
    #expect(recoverableCells(t).isEmpty)
}

/// daily_activity and session_lengths publish the same per-stream session total: a lone
/// withheld bucket would be recoverable from the days, so the smallest published cell goes too.
@Test func sessionsWithheldInOneTableCannotBeRecoveredFromTheOther() {
    func table(_ name: String, _ rows: [(String, Cell)]) -> Table {
        var t = Table(
            name: name, title: name, description: name,
            columns: [
                Column("stream", .string, "s"), Column("key", .string, "k"),
                Column("sessions", .integer, "n", role: .count), Column("users", .integer, "u", role: .count),
            ],
            primaryKey: ["stream", "key"])
        for (i, (stream, sessions)) in rows.enumerated() {
            t.append([.text(stream), .text("\(i)"), sessions, sessions == .empty ? .empty : .integer(12)], actors: 12)
        }
        return t
    }
    var tables = [
        table("daily_activity", [("web", .integer(30)), ("web", .integer(40)), ("lms", .integer(50))]),
        table(
            "session_lengths",
            [
                ("web", .empty), ("web", .integer(25)), ("web", .integer(40)), ("web", .integer(0)),
                ("lms", .empty), ("lms", .empty), ("lms", .integer(20)),
            ]),
    ]
    var reports = tables.map { SuppressionReport(table: $0.name, rows: $0.rows.count, rowsSuppressed: 0, cellsSuppressed: 0) }
    LinkedTotals.protect(&tables, reports: &reports)
    #expect(tables[1].rows[1][2] == .empty && tables[1].rows[1][3] == .empty, "web: the 25-session bucket goes with the withheld one")
    #expect(tables[0].rows.map { $0[2] } == [.integer(30), .integer(40), .integer(50)])
    #expect(tables[1].rows[6][2] == .integer(20), "lms already has two withheld cells")
    #expect(reports[1].rowsComplementary == 1 && reports[1].cellsSuppressed == 2)
    // Without the tables' declaration of the shared total, the lone withheld bucket stays recoverable.
    var undeclared = [
        table("daily_activity", [("web", .integer(30)), ("web", .integer(40))]),
        table("session_lengths", [("web", .empty), ("web", .integer(25)), ("web", .integer(40))]),
    ]
    var undeclaredReports = undeclared.map { SuppressionReport(table: $0.name, rows: $0.rows.count, rowsSuppressed: 0, cellsSuppressed: 0) }
    LinkedTotals.protect(&undeclared, reports: &undeclaredReports, totals: [])
    #expect(undeclared[1].rows[1][2] == .integer(25))
}

/// What the registry declares about its tables holds for the tables the builders make.
@Test(arguments: TableRegistry.tableList.map(\.name))
func aTablesDeclarationMatchesWhatItsBuilderPublishes(name: String) throws {
    let stage = try #require(TableRegistry.tables[name])
    let table = stage.build(MetricInput(sessions: [], actorDays: []))
    #expect(table.name == name)
    #expect(Set(table.primaryKey).isSubset(of: table.columns.filter { $0.role == .dimension }.map(\.name)))
    for column in table.columns where column.role == .people || column.role == .count || column.role == .sum {
        #expect(column.type == .integer, "\(name).\(column.name): counts and sums are integers")
    }
    for column in table.columns where column.type == .number { #expect(column.role == .measure, "\(name).\(column.name)") }
    for total in stage.sharedTotals {
        for cell in total.cells {
            let other = try #require(TableRegistry.tables[cell.table]).build(MetricInput(sessions: [], actorDays: []))
            // Counts, or people counted once each (a learner is in one bucket of a course).
            #expect(
                other.columns.contains { $0.name == cell.column && ($0.role == .count || $0.role == .people) }, "\(cell.table).\(cell.column)")
            #expect(other.columns.contains { $0.name == total.per && $0.role == .dimension }, "\(cell.table).\(total.per)")
        }
    }
}

@Test(arguments: [
    (5, 0, 0), (5, 2, 0), (5, 3, 5), (5, 7, 5), (5, 8, 10), (5, 12, 10), (5, 13, 15), (10, 15, 20), (10, 14, 10),
    (1, 7, 7), (3, 4, 3), (3, 5, 6), (5, -3, -5), (5, -2, 0),
])
func countsRoundToTheNearestMultiple(base: Int, value: Int64, rounded: Int64) {
    #expect(Rounding(base: base).round(value) == rounded)
}

@Test func roundingTouchesIntegerMeasuresOnly() {
    var t = Table(
        name: "t", title: "t", description: "t",
        columns: [
            Column("k", .integer, "k"), Column("n", .integer, "n", role: .count),
            Column("median", .number, "m", role: .measure), Column("empty", .integer, "e", role: .count),
        ],
        primaryKey: ["k"])
    t.append([.integer(13), .integer(13), .decimal(13.3, digits: 1), .empty], actors: 12)
    #expect(Rounding(base: 5).apply(&t) == 1)
    #expect(t.rows[0] == [.integer(13), .integer(15), .decimal(13.3, digits: 1), .empty])
}

@Test func anExportRoundsItsCountsWhenAsked() async throws {
    let dir = TestSupport.temporaryDirectory("rounding")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen", ["--seed", "91", "--learners", "60", "--days", "3"])
    var p = try TestSupport.pipeline("combined", [dir + "/gen/access.log"], in: dir, minCount: 2)
    p.exports[0].roundTo = 5
    let report = try await Runner(pipeline: p).run()
    let rows = TestSupport.csvRows(try TestSupport.gunzip(report.exports[0].directory + "/daily_activity.csv.gz"))
    #expect(rows.count > 2)
    for row in rows.dropFirst() {
        for field in row[2...5] where !field.isEmpty { #expect(Int(field)! % 5 == 0, "\(row)") }
    }
    let privacy = try String(contentsOfFile: report.exports[0].directory + "/privacy-report.json", encoding: .utf8)
    #expect(privacy.contains("\"base\": 5"))
    #expect(try String(contentsOfFile: report.exports[0].directory + "/README.md", encoding: .utf8).contains("nearest multiple of **5**"))
}

/// k-vocabulary, as a research partner would attack it: a learner who opens an object no one
/// else opens (a page named after them, a course id with their user name) leaves a row whose
/// key alone says "this person was here that week", even with its measures blanked.
@Test(arguments: [false, true])
func aValueFewPeopleProducedLeavesTheTableKeyAndAll(protected: Bool) throws {
    var facts = ActivityFacts()
    let week = Int32(20_540)
    let shared: Publishable = "cm:7"
    let personal: Publishable = "urn:course:cours-de-{name}"
    for i in 0..<5 {
        facts.contentViews[
            ActivityFacts.ContentViewKey(object: shared, course: "5", week: week, actor: ActorKey(high: 1, low: UInt64(i))), default: 0] += 2
    }
    facts.contentViews[ActivityFacts.ContentViewKey(object: personal, course: "5", week: week, actor: ActorKey(high: 1, low: 0)), default: 0] += 3
    var table = ContentViews.build(MetricInput(sessions: [], actorDays: [], facts: facts))
    let vocabulary = KVocabulary(facts: facts, minCount: protected ? 3 : 0)
    #expect(vocabulary.people(personal) == 1 && vocabulary.people(shared) == 5)
    let removed = vocabulary.apply(&table)
    _ = SmallCellSuppression(minCount: 3).apply(&table)
    let published = table.rows.flatMap { $0.map(\.csvText) }
    // Without the vocabulary, suppression blanks the row's measures but its key is published.
    #expect(published.contains(personal.text) == !protected)
    #expect(removed == (protected ? 1 : 0))
    #expect(published.contains(shared.text), "a value five people produced stays")
    #expect(table.actorsPerRow.count == table.rows.count && table.topSharePerRow.count == table.rows.count)
}
