import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageMetrics
@testable import SillageDisclosure
@testable import SillageExport
@testable import SillageStore
@testable import SillagePipeline

@Test(arguments: [(0.1, 1), (0.5, 1), (1.0, 1), (1.0, 10), (2.0, 3)])
func geometricNoiseHasTheMechanismsMeanAndVariance(epsilon: Double, sensitivity: Int) {
    let mechanism = GeometricMechanism(epsilon: epsilon, sensitivity: sensitivity)
    let n = 200_000
    var sum = 0.0, squares = 0.0, zeros = 0
    for i in 0..<n {
        let z = Double(mechanism.sample(SHA256.hash(Array("draw \(epsilon) \(sensitivity) \(i)".utf8))))
        sum += z
        squares += z * z
        if z == 0 { zeros += 1 }
    }
    let mean = sum / Double(n), variance = squares / Double(n) - mean * mean
    let sd = mechanism.variance.squareRoot()
    #expect(abs(mean) < 5 * sd / Double(n).squareRoot(), "mean \(mean), expected 0 ± \(5 * sd / Double(n).squareRoot())")
    #expect(abs(variance / mechanism.variance - 1) < 0.05, "variance \(variance), expected \(mechanism.variance)")
    let p0 = mechanism.zeroProbability
    #expect(abs(Double(zeros) / Double(n) - p0) < 5 * (p0 * (1 - p0) / Double(n)).squareRoot(), "P(0) \(Double(zeros) / Double(n)), expected \(p0)")
}

private func actor(_ i: Int) -> ActorKey { ActorKey(high: UInt64(i) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(i)) }

/// `rows` rows, each with `people` people of its own, each adding `each` to the sum column;
/// `newcomer` adds one more person to the first row.
private func syntheticTable(rows: Int, people: Int, each: Int64, newcomer: Bool = false) -> Table {
    var table = Table(
        name: "synthetic", title: "", description: "",
        columns: [
            Column("cell", .string, ""),
            Column("users", .integer, "", role: .people),
            Column("views", .integer, "", role: .count),
            Column("median", .number, "", role: .measure),
        ], primaryKey: ["cell"])
    for r in 0..<rows {
        var parts = RowContributions()
        for p in 0..<people {
            parts.add(actor(r * people + p), column: "users", 1)
            parts.add(actor(r * people + p), column: "views", each)
        }
        if newcomer && r == 0 { parts.add(actor(1_000_000), column: "users", 1) }
        table.append(
            [.text("c\(r)"), .integer(Int64(people)), .integer(Int64(people) * each), .decimal(1.5, digits: 1)],
            actors: people, contributions: parts)
    }
    return table
}

private func key(_ recipient: String) throws -> HMACSHA256 {
    DifferentialPrivacy.tableKey(
        master: try MasterKey(bytes: [UInt8](repeating: 9, count: 32)), recipient: recipient,
        export: "e", period: "all", table: "synthetic")
}

@Test func publishedCellsCarryNoiseOfTheStatedScale() throws {
    var table = syntheticTable(rows: 10_000, people: 8, each: 5)
    var settings = NoisyTableDefinition(table: "synthetic", epsilon: 2, maxRowsPerActor: 1, maxPerCell: 5)
    // The noise itself is measured here: no row is withheld by partition selection.
    settings.partitionSelection = false
    let dp = DifferentialPrivacy(settings: settings, minCount: 0)
    #expect(dp.sensitivity(of: table) == 6, "1 row × (1 for users + 5 for views)")
    let (_, report) = dp.apply(&table, key: try key("lab"))
    let mechanism = GeometricMechanism(epsilon: 2, sensitivity: 6)
    #expect(report.sensitivity == 6 && report.cellsNoised == 20_000 && report.cellsWithheld == 10_000)
    var noise: [Double] = []
    for row in table.rows {
        guard case .integer(let v) = row[2] else { Issue.record("views withheld: \(row)"); return }
        noise.append(Double(v - 40))
        #expect(row[3] == .empty, "medians are not published under noise")
    }
    let mean = noise.reduce(0, +) / Double(noise.count)
    let variance = noise.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(noise.count)
    #expect(abs(mean) < 5 * mechanism.variance.squareRoot() / 100, "mean noise \(mean)")
    #expect(abs(variance / mechanism.variance - 1) < 0.12, "variance \(variance), mechanism \(mechanism.variance)")
    #expect(noise.contains { $0 != 0 }, "noise was added")
}

@Test func theSameReleaseRepeatsItsNoiseAndAnotherRecipientOrChangedDataDoNot() throws {
    var settings = NoisyTableDefinition(table: "synthetic", epsilon: 1, maxRowsPerActor: 1, maxPerCell: 5)
    settings.partitionSelection = false
    let dp = DifferentialPrivacy(settings: settings, minCount: 0)
    var a = syntheticTable(rows: 200, people: 8, each: 3), b = a, c = a
    _ = dp.apply(&a, key: try key("lab"))
    _ = dp.apply(&b, key: try key("lab"))
    _ = dp.apply(&c, key: try key("ministry"))
    #expect(a.rows == b.rows, "a re-export repeats every noisy value: nothing to average")
    #expect(zip(a.rows, c.rows).filter { $0 != $1 }.count > 150, "another recipient's draws are independent")
    // One person more in row 0: a different release, fresh draws everywhere.
    var d = syntheticTable(rows: 200, people: 8, each: 3, newcomer: true)
    _ = dp.apply(&d, key: try key("lab"))
    #expect(zip(a.rows.dropFirst(), d.rows.dropFirst()).filter { $0 != $1 }.count > 150)
}

@Test func contributionsAreBoundedPerPersonBeforeNoise() throws {
    var table = Table(
        name: "t", title: "", description: "",
        columns: [
            Column("day", .string, ""), Column("users", .integer, "", role: .people), Column("views", .integer, "", role: .count),
        ], primaryKey: ["day"])
    let busy = actor(7)
    for r in 0..<30 {
        var parts = RowContributions()
        parts.add(busy, column: "users", 1)
        parts.add(busy, column: "views", r == 0 ? 9 : 2)
        table.append([.text("d\(r)"), .integer(1), .integer(2)], actors: 1, contributions: parts)
    }
    let settings = NoisyTableDefinition(table: "t", epsilon: 1, maxRowsPerActor: 5, maxPerCell: 4)
    let dp = DifferentialPrivacy(settings: settings, minCount: 0)
    #expect(dp.sensitivity(of: table) == 5 * (1 + 4))
    let (_, report) = dp.apply(&table, key: try key("lab"))
    #expect(report.rowContributionsDropped == 25, "one person counts in 5 of their 30 rows")
    #expect(report.contributionsClamped <= 1, "a 9 is capped at 4 if its row is among the 5 kept")
}

@Test func theLedgerChargesEachReleaseOnceAndRefusesAnOverspend() throws {
    let dir = TestSupport.temporaryDirectory("ledger")
    defer { TestSupport.remove(dir) }
    let store = try Store(path: dir + "/store.sqlite")
    func charge(_ table: String, _ release: String, _ e: Double) throws -> BudgetPosition {
        try store.charge(
            [BudgetCharge(export: "dash", period: "all", table: table, epsilon: e, release: release)],
            recipient: "team", budget: 1.2, storeBudget: 1.2, run: nil)
    }
    let first = try charge("daily_activity", "r1", 0.5)
    #expect(first.charged == 0.5 && first.spentThrough == 0.5)
    let again = try charge("daily_activity", "r1", 0.5)
    #expect(again.charged == 0 && again.spentThrough == 0.5, "the same release costs nothing")
    let changed = try charge("daily_activity", "r2", 0.5)
    #expect(changed.charged == 0.5 && abs(changed.spentThrough - 1.0) < 1e-12)
    #expect(abs(try charge("daily_activity", "r1", 0.5).spentThrough - 0.5) < 1e-12, "figures as of that release")
    do {
        _ = try charge("connection_days", "r3", 0.5)
        Issue.record("an overspend was accepted")
    } catch let error as SillageError {
        #expect(error.kind == .configuration)
        #expect(
            error.description.contains("privacy budget: recipient team has spent ε 1 of 1.2; this export would add ε 0.5 (connection_days 0.5)"),
            "\(error.description)")
    }
    #expect(abs(try store.epsilonSpent(recipient: "team") - 1.0) < 1e-12, "nothing charged by the refused export")
    #expect(try store.epsilonSpent(recipient: "other") == 0)
}

@Test func anExportThatWouldOverspendIsRefusedAndTheEarlierOneStays() throws {
    let dir = TestSupport.temporaryDirectory("dp-cli")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen", ["--seed", "3", "--learners", "120", "--days", "10"])
    let keyFile = try TestSupport.keyFile(in: dir)
    let pipeline = """
        {
          "version": 1,
          "key": { "file": "\(keyFile)", "createIfMissing": false },
          "store": "\(dir)/store.sqlite",
          "output": "\(dir)/out",
          "retention": { "sessionDays": 36500, "inactiveLearnerDays": 36500 },
          "inputs": [{ "type": "combined", "paths": ["\(dir)/gen/access.log*"] }],
          "recipients": [{ "name": "pedagogy", "epsilonBudget": 1 }],
          "exports": [{
            "name": "dashboard", "recipient": "pedagogy", "tables": ["daily_activity", "connection_days"],
            "differentialPrivacy": [
              { "table": "daily_activity", "epsilon": 0.4, "maxRowsPerActor": 10, "maxPerCell": 3 },
              { "table": "connection_days", "epsilon": 0.4, "maxRowsPerActor": 1 }
            ]
          }]
        }
        """
    try pipeline.write(toFile: dir + "/p.json", atomically: true, encoding: .utf8)
    let first = try TestSupport.run(TestSupport.binary, ["run", dir + "/p.json"])
    #expect(first.status == 0, "\(first.stderr)")
    let exportDir = dir + "/out/dashboard/pedagogy/all"
    let sums = try String(contentsOfFile: exportDir + "/SHA256SUMS", encoding: .utf8)
    let privacy = try String(contentsOfFile: exportDir + "/privacy-report.json", encoding: .utf8)
    #expect(privacy.contains("\"epsilonSpent\": 0.8") && privacy.contains("\"epsilonLeft\": 0.2"), "\(privacy)")
    #expect(
        privacy.contains("\"sensitivity\": 100") && privacy.contains("\"sensitivity\": 1"),
        "10 × (users 1 + sessions, page views, bounces 3 each) and 1 × 1")
    // Nothing changed: the same release, no charge, the same bytes.
    let second = try TestSupport.run(TestSupport.binary, ["run", dir + "/p.json"])
    #expect(second.status == 0, "\(second.stderr)")
    #expect(try String(contentsOfFile: exportDir + "/SHA256SUMS", encoding: .utf8) == sums)
    // New data: a new release, which the 0.2 left cannot pay for. (With these bounds no day
    // of daily_activity reaches the partition-selection threshold: its release, every row
    // withheld, is the one already charged.)
    try TestSupport.generateLogs(into: dir + "/gen2", ["--seed", "4", "--learners", "120", "--days", "3"])
    try FileManager.default.copyItem(atPath: dir + "/gen2/access.log", toPath: dir + "/gen/access.log.1")
    let third = try TestSupport.run(TestSupport.binary, ["run", dir + "/p.json"])
    #expect(third.status == 2)
    #expect(
        third.stderr.contains(
            "privacy budget: recipient pedagogy has spent ε 0.8 of 1; this export would add ε 0.4 (connection_days 0.4), which is more than the 0.2 left; nothing was published"
        ),
        "\(third.stderr)")
    #expect(third.stderr.contains("$.recipients[0].epsilonBudget"))
    #expect(try String(contentsOfFile: exportDir + "/SHA256SUMS", encoding: .utf8) == sums, "the earlier export is untouched")
    let budget = try TestSupport.run(TestSupport.binary, ["budget", dir + "/p.json"])
    #expect(budget.status == 0)
    #expect(budget.stdout.contains("pedagogy             1        0.8      0.2      2 "), "\(budget.stdout)")
    let journal = try TestSupport.run(TestSupport.binary, ["journal", dir + "/p.json", "--action", "export", "--json"])
    #expect(journal.stdout.contains("\"epsilonCharged\": 0.8") || journal.stdout.contains("\"epsilonCharged\":0.8"), "\(journal.stdout)")
}

@Test func aStoreOfSchema3GainsTheBudgetLedger() throws {
    let dir = TestSupport.temporaryDirectory("schema3")
    defer { TestSupport.remove(dir) }
    do {
        let store = try Store(path: dir + "/store.sqlite")
        try store.database.execute("DROP TABLE privacy_budget; UPDATE meta SET value = '3' WHERE key = 'schema'")
    }
    let store = try Store(path: dir + "/store.sqlite")
    let q = try store.database.prepare("SELECT value FROM meta WHERE key = 'schema'")
    _ = try q.step()
    #expect(q.text(0) == String(Store.schemaVersion))
    let position = try store.charge(
        [BudgetCharge(export: "e", period: "all", table: "daily_activity", epsilon: 0.25, release: "r")],
        recipient: "lab", budget: 1, storeBudget: 1, run: nil)
    #expect(position.spentThrough == 0.25)
}

@Test func everyTableCanBePublishedWithNoise() async throws {
    let dir = TestSupport.temporaryDirectory("dp-all")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen/web", ["--seed", "21", "--learners", "200", "--days", "10", "--activity", dir + "/gen/lms"])
    var p = try TestSupport.pipeline("combined", [dir + "/gen/web/access.log"], in: dir, minCount: 2)
    p.inputs.append(InputDefinition(type: "moodle-logstore", paths: [dir + "/gen/lms/logstore.csv"]))
    p.recipients = [RecipientDefinition(name: "default", epsilonBudget: 20)]
    p.exports[0].tables = TableRegistry.tableNames
    p.exports[0].noisyTables = TableRegistry.tableNames.map { NoisyTableDefinition(table: $0, epsilon: 1, maxRowsPerActor: 3, maxPerCell: 2) }
    let report = try await Runner(pipeline: p).run()
    let outcome = try #require(report.exports.first)
    #expect(outcome.noise.map(\.table) == TableRegistry.tableNames)
    #expect(abs((outcome.budget?.spentThrough ?? 0) - Double(TableRegistry.tableNames.count)) < 1e-9)
    for n in outcome.noise {
        let table = try #require(TableRegistry.tables[n.table]).build(MetricInput(sessions: [], actorDays: []))
        let counts = table.columns.filter { $0.isMeasure && $0.type == .integer }
        #expect(n.sensitivity == 3 * counts.reduce(0) { $0 + ($1.countsPeople ? 1 : 2) }, "\(n.table)")
        let rows = TestSupport.csvRows(try TestSupport.gunzip(outcome.directory + "/" + n.table + ".csv.gz"))
        let header = try #require(rows.first)
        for row in rows.dropFirst() {
            for (c, name) in header.enumerated() {
                guard let column = table.columns.first(where: { $0.name == name }), column.isMeasure else { continue }
                if column.type == .integer {
                    #expect(row[c].isEmpty || (Int(row[c]) ?? -1) >= 0, "\(n.table).\(name) = \(row[c])")
                } else {
                    #expect(row[c].isEmpty, "\(n.table).\(name) is not published under noise")
                }
            }
        }
    }
    #expect(outcome.noise.contains { $0.table == "content_views" && $0.cellsNoised > 0 })
    #expect(outcome.noise.contains { $0.table == "course_completion" && $0.cellsNoised > 0 })
}

/// Builders name the columns their contributions go to; the names resolve against the table's
/// own columns when the row is appended, so reordering columns cannot misattribute them.
@Test func contributionsFollowTheirColumnsByName() async {
    var table = Table(
        name: "t", title: "", description: "",
        columns: [Column("views", .integer, "", role: .count), Column("k", .string, ""), Column("users", .integer, "", role: .people)],
        primaryKey: ["k"])
    var parts = RowContributions()
    parts.add(actor(1), column: "users", 1)
    parts.add(actor(1), column: "views", 4)
    table.append([.integer(4), .text("a"), .integer(1)], actors: 1, contributions: parts)
    #expect(table.contributions[0].byActor[actor(1)] == [2: 1, 0: 4])
    await #expect(processExitsWith: .failure) {
        var t = Table(name: "t", title: "", description: "", columns: [Column("k", .string, "")], primaryKey: ["k"])
        var p = RowContributions()
        p.add(ActorKey(high: 1, low: 1), column: "no_such_column", 1)
        t.append([.text("a")], actors: 1, contributions: p)
    }
}

/// A research partner reads the privacy report of two DP releases, one learner apart: no
/// exact counter there (rows built, contributions clamped, cells withheld) may follow the
/// data, or it would say what the noise hides. Only the parameters and the release digest do.
@Test func aNoisyTablesReportHoldsNoExactCounter() async throws {
    let dir = TestSupport.temporaryDirectory("dp-report")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen/web", ["--seed", "23", "--learners", "60", "--days", "4", "--activity", dir + "/gen/lms"])
    func report(extraLearner: Bool, name: String) async throws -> (String, String) {
        var paths = [dir + "/gen/lms/logstore.csv"]
        if extraLearner {
            let header = try String(contentsOfFile: paths[0], encoding: .utf8).split(separator: "\n")[0]
            try (header + "\n1,\\core\\event\\course_viewed,core,viewed,course,,,r,2,100,50,12,9999,12,,0,,1774778400,web,,\n")
                .write(toFile: dir + "/extra.csv", atomically: false, encoding: .utf8)
            paths.append(dir + "/extra.csv")
        }
        var p = try TestSupport.pipeline("moodle-logstore", paths, in: dir + "/" + name, minCount: 2)
        p.recipients = [RecipientDefinition(name: "default", epsilonBudget: 10)]
        p.exports[0].tables = ["daily_activity", "course_completion"]
        p.exports[0].noisyTables = p.exports[0].tables.map { NoisyTableDefinition(table: $0, epsilon: 1, maxRowsPerActor: 3, maxPerCell: 2) }
        let outcome = try #require(try await Runner(pipeline: p).run().exports.first)
        var json = try String(contentsOfFile: outcome.directory + "/privacy-report.json", encoding: .utf8)
        // The release digests change with the data by design; everything else must not.
        json = json.split(separator: "\n").filter { !$0.contains("\"release\"") && !$0.contains("generatedAt") }.joined(separator: "\n")
        let readme = try String(contentsOfFile: outcome.directory + "/README.md", encoding: .utf8)
        return (json, readme)
    }
    let (a, readmeA) = try await report(extraLearner: false, name: "a")
    let (b, readmeB) = try await report(extraLearner: true, name: "b")
    #expect(a == b, "the privacy report follows the data")
    #expect(readmeA == readmeB, "the codebook follows the data")
    #expect(a.contains("withheld: exact counts of a differentially private table would undo its noise"))
}

/// The first differentially private release of a store says that its ledger starts empty
/// (a new store would otherwise hand a recipient a fresh budget silently); the next does not.
@Test func theFirstNoisyReleaseOfAStoreSaysItsLedgerStartsEmpty() async throws {
    let dir = TestSupport.temporaryDirectory("dp-ledger")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen/web", ["--seed", "29", "--learners", "30", "--days", "2", "--activity", dir + "/gen/lms"])
    var p = try TestSupport.pipeline("moodle-logstore", [dir + "/gen/lms/logstore.csv"], in: dir, minCount: 2)
    p.recipients = [RecipientDefinition(name: "default", epsilonBudget: 10)]
    p.exports[0].tables = ["daily_activity"]
    p.exports[0].noisyTables = [NoisyTableDefinition(table: "daily_activity", epsilon: 1, maxRowsPerActor: 3, maxPerCell: 2)]
    let first = try await Runner(pipeline: p).run()
    #expect(first.notices.contains { $0.contains("ε ledger") && $0.contains("started empty") }, "\(first.notices)")
    // Said to the operator, not in the export: the export's bytes depend on the data only.
    p.exports[0].noisyTables[0].epsilon = 0.5
    let second = try await Runner(pipeline: p).run()
    #expect(!second.notices.contains { $0.contains("ε ledger") }, "\(second.notices)")
}

/// Partition selection: 1,000 rows (search terms, days, courses) each with one person
/// behind it. Without it, a row is published whenever its noisy count of people passes
/// `minCount` by chance; with it, the share published stays within δ (here with a large δ,
/// so that the bound can be measured, and with the default, where none is).
@Test(arguments: [(false, 0.01), (true, 0.01), (true, 1e-6)])
func rowsOfOnePersonAppearWithProbabilityAtMostDelta(selection: Bool, delta: Double) throws {
    var table = syntheticTable(rows: 1000, people: 1, each: 1)
    var settings = NoisyTableDefinition(table: "synthetic", epsilon: 1, maxRowsPerActor: 1, maxPerCell: 5)
    settings.delta = delta
    settings.partitionSelection = selection
    let (_, report) = DifferentialPrivacy(settings: settings, minCount: 11).apply(&table, key: try key("lab"))
    // A row present with empty cells would still say that someone was there: rows are counted.
    #expect(table.rows.allSatisfy { $0[1] != .empty }, "a row that fails selection leaves the table")
    let published = table.rows.count
    let share = Double(published) / 1000
    if selection {
        // Binomial(1000, ≤ δ): δ plus four standard deviations.
        #expect(share <= delta + 4 * (delta * (1 - delta) / 1000).squareRoot(), "\(published) of 1000 one-person rows published")
        #expect(report.threshold > 11 && report.delta == delta)
    } else {
        #expect(share > 2 * delta, "without partition selection \(published) of 1000 one-person rows are published (the attack works)")
    }
}

/// Renaming a recipient to get fresh noise and a fresh budget, 30 times, then averaging the
/// releases: without a store-wide cap every release is published and the average comes
/// closer to the exact counts; with the cap (by default the largest recipient budget) the
/// second release is refused; with a stable id the renamed recipient gets the same release
/// again, and nothing new to average.
@Test func renamingARecipientBuysNeitherFreshNoiseNorBudget() async throws {
    let dir = TestSupport.temporaryDirectory("dp-rename")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen", ["--seed", "3", "--learners", "400", "--days", "4"])
    var p = try TestSupport.pipeline("combined", [dir + "/gen/access.log"], in: dir)
    var exact = p.exports[0]
    exact.tables = ["daily_activity"]
    exact.name = "exact"
    exact.minCount = 1
    var noisy = exact
    noisy.name = "noisy"
    noisy.minCount = 11
    // Every learner-day counted (4 days), so the average converges on the exact counts.
    noisy.noisyTables = [NoisyTableDefinition(table: "daily_activity", epsilon: 3, maxRowsPerActor: 4, maxPerCell: 1)]
    func users(_ directory: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for row in try publishedTables(directory, ["daily_activity"])["daily_activity"] ?? [] { if let v = Double(row[2]) { out[row[0]] = v } }
        return out
    }
    func releases(_ count: Int, storeCap: Double?, stableId: Bool) async throws -> (published: [[String: Double]], refused: Int) {
        var published: [[String: Double]] = [], refused = 0
        for i in 0..<count {
            var q = p
            q.store = dir + "/store-\(storeCap ?? 0)-\(stableId).sqlite"
            q.storeEpsilonBudget = storeCap
            q.recipients = [RecipientDefinition(name: "lab-\(i)", id: stableId ? "lab" : nil, epsilonBudget: 3)]
            var e = noisy
            e.recipient = "lab-\(i)"
            q.exports = [e]
            do {
                published.append(try users(try await Runner(pipeline: q).run().exports[0].directory))
            } catch { refused += 1 }
        }
        return (published, refused)
    }
    p.exports = [exact]
    let truth = try users(try await Runner(pipeline: p).run().exports[0].directory)
    func error(_ releases: [[String: Double]]) -> Double {
        let days = truth.keys.filter { day in releases.allSatisfy { $0[day] != nil } }
        guard !days.isEmpty else { return .infinity }
        return days.map { day in abs(releases.map { $0[day]! }.reduce(0, +) / Double(releases.count) - truth[day]!) }.reduce(0, +)
            / Double(days.count)
    }
    let uncapped = try await releases(30, storeCap: 90, stableId: false)
    #expect(uncapped.refused == 0 && uncapped.published.count == 30)
    let single = error([uncapped.published[0]]), averaged = error(uncapped.published)
    #expect(averaged < single / 2, "without the cap, averaging 30 renamed releases cuts the error from \(single) to \(averaged)")
    let capped = try await releases(30, storeCap: nil, stableId: false)
    #expect(capped.published.count == 1 && capped.refused == 29, "the store's cap refuses every renamed recipient after the first")
    let stable = try await releases(5, storeCap: nil, stableId: true)
    #expect(
        stable.refused == 0 && Set(stable.published.map { $0.sorted { $0.key < $1.key }.map(\.value) }).count == 1,
        "a rename with a stable id repeats the same release")
}
