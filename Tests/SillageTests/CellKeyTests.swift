import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageDisclosure
@testable import SillageMetrics
@testable import SillageExport
@testable import SillagePipeline

// Cell-key perturbation's parts (SPEC §8): the perturbation table and the record and cell keys.

@Test(arguments: [(2, 1.0), (3, 2.0), (2, 1.5), (5, 3.0)])
func everyRowOfThePerturbationTableIsUnbiasedAndBounded(maxDeviation: Int, variance: Double) throws {
    let table = try PerturbationTable(maxDeviation: maxDeviation, variance: variance)
    #expect(table.probabilities(for: 0).map(\.deviation) == [0], "zero stays zero")
    for value in 1...(maxDeviation + 4) {
        let row = table.probabilities(for: value)
        let total = row.reduce(0) { $0 + $1.probability }
        let mean = row.reduce(0) { $0 + Double($1.deviation) * $1.probability }
        let meanSquare = row.reduce(0) { $0 + Double($1.deviation * $1.deviation) * $1.probability }
        #expect(abs(total - 1) < 1e-9)
        #expect(abs(mean) < 1e-6, "value \(value): mean \(mean)")
        #expect(abs(meanSquare - variance) < 1e-6, "value \(value): variance \(meanSquare)")
        #expect(row.allSatisfy { abs($0.deviation) <= maxDeviation && value + $0.deviation >= 0 && $0.probability > 0 })
    }
}

/// Over uniformly spread cell keys the published values follow the table: an independent
/// count of each deviation over 2¹⁸ keys agrees with its probability.
@Test func publishedValuesFollowTheTable() {
    let table = PerturbationTable.standard
    for value in [1, 2, 5] {
        var counts: [Int: Int] = [:]
        let n = 1 << 18
        for i in 0..<n {
            let key = UInt32(truncatingIfNeeded: UInt64(i) &* 0x9E37_79B9_7F4A_7C15 >> 32)
            counts[table.perturb(value, cellKey: key) - value, default: 0] += 1
        }
        for (deviation, p) in table.probabilities(for: value) {
            let observed = Double(counts[deviation] ?? 0) / Double(n)
            #expect(abs(observed - p) < 0.005, "value \(value), deviation \(deviation): \(observed) vs \(p)")
        }
    }
}

@Test(arguments: [(0, 1.0), (11, 1.0), (2, 0.0), (2, 2.0), (2, -1.0)])
func impossiblePerturbationsAreRefused(maxDeviation: Int, variance: Double) {
    #expect(throws: SillageError.self) { try PerturbationTable(maxDeviation: maxDeviation, variance: variance) }
}

/// The same people give the same cell key in any order; one person more gives another.
@Test func cellKeysDependOnTheContributorsOnly() throws {
    let keys = CellKeys(master: try TestSupport.testKey)
    let people = (0..<12).map { ActorKey(high: 7, low: UInt64($0)) }
    let recordKeys = people.map(keys.recordKey)
    #expect(Set(recordKeys).count == 12)
    #expect(CellKeys.cellKey(recordKeys) == CellKeys.cellKey(recordKeys.reversed()))
    let oneMore = CellKeys.cellKey(recordKeys + [keys.recordKey(ActorKey(high: 7, low: 99))])
    #expect(oneMore != CellKeys.cellKey(recordKeys))
    // Another master key, other record keys: nobody without the key can compute them.
    let other = CellKeys(master: try MasterKey(bytes: TestSupport.keyBytes(9)))
    #expect(other.recordKey(people[0]) != keys.recordKey(people[0]))
}

/// Differencing, as a research partner would try it on two releases one learner apart: with
/// exact counts the difference is always that learner; perturbed, it is 1 in a minority of
/// cohorts only, and the same cohort always publishes the same value.
@Test func differencingTwoReleasesOneLearnerApartGivesNoise() throws {
    let keys = CellKeys(master: try TestSupport.testKey)
    let table = PerturbationTable.standard
    var differenceIsOne = 0
    let cohorts = 1000
    for c in 0..<cohorts {
        let people = (0..<20).map { keys.recordKey(ActorKey(high: UInt64(c), low: UInt64($0))) }
        let lone = keys.recordKey(ActorKey(high: UInt64(c), low: 999))
        let before = table.perturb(20, cellKey: CellKeys.cellKey(people))
        let after = table.perturb(21, cellKey: CellKeys.cellKey(people + [lone]))
        #expect(before == table.perturb(20, cellKey: CellKeys.cellKey(people.reversed())), "same people, same value")
        if after - before == 1 { differenceIsOne += 1 }
    }
    // Unperturbed, all 1,000 differences are 1. With D = 2, V = 1 the difference of two
    // independent draws is 1 with probability Σ p(d)·p(d) over d, about 0.3.
    #expect(differenceIsOne < cohorts / 2, "\(differenceIsOne) of \(cohorts) differences gave the learner away")
}

/// Opted in, every count of people of the sample-like export moves by at most D from the
/// exact one and every sum (sessions, page views, views) by at most its largest contribution
/// rounded up to a multiple of D, never below 0; the figures are the same on 1 and 2
/// threads and in a second run, and a zero stays zero.
@Test func aPerturbedExportIsBoundedAndDeterministic() async throws {
    let dir = TestSupport.temporaryDirectory("cell-key")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen/web", ["--seed", "5", "--learners", "60", "--days", "3", "--activity", dir + "/gen/lms"])
    func export(_ perturbed: Bool, threads: Int, name: String) async throws -> [String: [[String]]] {
        var p = try TestSupport.pipeline("combined", [dir + "/gen/web/access.log"], in: dir + "/" + name, minCount: 1)
        p.inputs.append(InputDefinition(type: "moodle-logstore", paths: [dir + "/gen/lms/logstore.csv"]))
        p.exports[0].perturbation = perturbed ? .standard : nil
        var options = RunOptions()
        options.threads = threads
        let report = try await Runner(pipeline: p, options: options).run()
        var tables: [String: [[String]]] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: report.exports[0].directory) where file.hasSuffix(".csv.gz") {
            tables[file] = TestSupport.csvRows(try TestSupport.gunzip(report.exports[0].directory + "/" + file))
        }
        return tables
    }
    let exact = try await export(false, threads: 2, name: "exact")
    let perturbed = try await export(true, threads: 2, name: "a")
    #expect(try await export(true, threads: 1, name: "b") == perturbed, "the same on one thread")
    var moved = 0, compared = 0
    for (file, rows) in exact where file == "daily_activity.csv.gz" || file == "content_views.csv.gz" || file == "session_lengths.csv.gz" {
        let other = try #require(perturbed[file])
        #expect(other.count == rows.count, "\(file)")
        let people: Set<String> = ["users", "unique_viewers"]
        for (a, b) in zip(rows.dropFirst(), other.dropFirst()) {
            for (column, (x, y)) in zip(rows[0], zip(a, b)) {
                guard let u = Int(x), let v = Int(y), !x.contains("."), !y.contains(".") else { continue }
                compared += 1
                if u != v { moved += 1 }
                let bound = people.contains(column) ? 2 : max(3, 2 * u)
                #expect(abs(u - v) <= bound && (u != 0 || v == 0) && v >= 0, "\(file) \(column): \(u) published as \(v)")
            }
        }
    }
    #expect(compared > 100 && moved > compared / 10, "\(moved) of \(compared) counts moved")
    // A rate is the ratio of the published counts, so it tells nothing they do not.
    let completion = try #require(perturbed["course_completion.csv.gz"])
    var rates = 0
    for row in completion.dropFirst() {
        guard let learners = Double(row[3]), let completers = Double(row[4]), learners > 0 else { continue }
        rates += 1
        #expect(row[5] == Cell.formatDecimal(completers / learners, digits: 3), "\(row)")
    }
    #expect(rates > 0)
    // A share divides by the course's published learners: `completers ÷ share` gives back
    // that published (perturbed) figure, never the exact one, and nothing where it is withheld.
    var learners: [String: Double] = [:]
    for row in completion.dropFirst() { if let v = Double(row[3]) { learners[row[0]] = v } }
    var shares = 0
    for row in try #require(perturbed["activity_completion.csv.gz"]).dropFirst() where !row[5].isEmpty {
        let completers = try #require(Double(row[4]))
        let course = try #require(learners[row[0]], "a share for a course whose learners are withheld: \(row)")
        shares += 1
        #expect(row[5] == Cell.formatDecimal(completers / max(course, completers), digits: 3), "\(row)")
    }
    #expect(shares > 0)
}

/// A row about one person is suppressed whatever its perturbed people count: perturbed to 0,
/// it must not pass for a row about nobody (whose measures are published).
@Test func aRowAboutSomeoneIsSuppressedWhateverItsPerturbation() throws {
    var facts = ActivityFacts()
    facts.contentViews[ActivityFacts.ContentViewKey(object: "cm:7", course: "5", week: 20_540, actor: ActorKey(high: 1, low: 1)), default: 0] += 4
    var zeroSeen = false
    for k in 0..<64 {
        var input = MetricInput(sessions: [], actorDays: [], facts: facts)
        input.recordContributions = true
        var table = ContentViews.build(input)
        var perturbation = CellKeyPerturbation(table: .standard, master: try MasterKey(bytes: TestSupport.keyBytes(UInt8(k))))
        _ = perturbation.apply(&table)
        if case .integer(0) = table.rows[0][table.columns.firstIndex { $0.name == "unique_viewers" }!] { zeroSeen = true }
        _ = SmallCellSuppression(minCount: 3).apply(&table)
        let measures = table.columns.indices.filter { table.columns[$0].isMeasure }
        #expect(measures.allSatisfy { table.rows[0][$0] == .empty }, "key \(k): \(table.rows[0])")
    }
    #expect(zeroSeen, "some key perturbs the one viewer to 0: the case this test is about")
}

/// The differencing attack of two releases one day apart, as a research partner would run
/// it: 30 learners active on five days, a lone learner active on the sixth only; the
/// export of days 1–6 minus the export of days 1–5 gives that learner's sessions per
/// duration bucket. Tried for 20 different lone learners: with exact counts every profile
/// comes out; perturbed, only as many as chance gives.
@Test(arguments: [false, true])
func differencingTwoPeriodsOneDayApartRecoversNoProfile(perturbed: Bool) async throws {
    let dir = TestSupport.temporaryDirectory("differencing")
    defer { TestSupport.remove(dir) }
    let header =
        "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"
    let day0 = Int64(CivilTime.days(year: 2026, month: 3, day: 2)) * 86400 + 8 * 3600
    func line(_ id: Int, _ user: Int, _ t: Int64) -> String {
        "\(id),\\core\\event\\course_viewed,core,viewed,course,,,r,2,100,50,12,\(user),12,,0,,\(t),web,,\n"
    }
    var recovered = 0
    for trial in 0..<20 {
        var csv = header
        var id = 0
        // The others: on days 0–4 one session each, of 1 to 4 events five minutes apart.
        for user in 100..<130 {
            for day in 0..<5 {
                let events = 1 + (user * 7 + day * 3 + trial) % 4
                for e in 0..<events {
                    id += 1
                    csv += line(id, user, day0 + Int64(day) * 86400 + Int64(user % 9) * 3600 + Int64(e) * 300)
                }
            }
        }
        // The lone learner of this trial, on day 5 only: a one-event session and one of three events.
        let lone = 500 + trial
        var loneBuckets: [String: Int] = [:]
        for (start, events) in [(0, 1), (4, 3)] {
            for e in 0..<events {
                id += 1
                csv += line(id, lone, day0 + 5 * 86400 + Int64(start) * 3600 + Int64(e) * 300)
            }
            loneBuckets[events == 1 ? "0s" : "5-14min", default: 0] += 1
        }
        let trialDir = dir + "/\(trial)"
        try FileManager.default.createDirectory(atPath: trialDir, withIntermediateDirectories: true)
        try csv.write(toFile: trialDir + "/logstore.csv", atomically: false, encoding: .utf8)
        var p = try TestSupport.pipeline("moodle-logstore", [trialDir + "/logstore.csv"], in: trialDir, minCount: 1)
        let first = Int(CivilTime.days(year: 2026, month: 3, day: 2))
        var exports: [ExportDefinition] = []
        for (name, last) in [("five", first + 4), ("six", first + 5)] {
            var e = p.exports[0]
            e.name = name
            e.period = .days(first, last)
            e.tables = ["session_lengths"]
            e.perturbation = perturbed ? .standard : nil
            exports.append(e)
        }
        p.exports = exports
        let report = try await Runner(pipeline: p).run()
        func sessions(_ export: Int) throws -> [String: Int] {
            let rows = TestSupport.csvRows(try TestSupport.gunzip(report.exports[export].directory + "/session_lengths.csv.gz"))
            var out: [String: Int] = [:]
            for row in rows.dropFirst() { out[row[1]] = Int(row[2]) ?? 0 }
            return out
        }
        let before = try sessions(0), after = try sessions(1)
        var difference: [String: Int] = [:]
        for bucket in Set(before.keys).union(after.keys) {
            let d = (after[bucket] ?? 0) - (before[bucket] ?? 0)
            if d != 0 { difference[bucket] = d }
        }
        if difference == loneBuckets { recovered += 1 }
    }
    if perturbed {
        #expect(recovered <= 5, "\(recovered) of 20 lone learners' profiles recovered")
    } else {
        #expect(recovered == 20, "exact counts give every profile away (the attack works)")
    }
}

/// The magnitude variant: a sum moves by up to D multiples of ⌈top ÷ D⌉ plus an offset
/// within one step, with mean about 0, never below 0, and its value modulo the step is
/// uniform (whoever sets the step learns nothing from it); where no one contributes more
/// than D it is a count's.
@Test(arguments: [(5, 1), (40, 2), (40, 7), (41, 41), (1000, 60)])
func sumsAreMovedInStepsOfTheirLargestContribution(value: Int, top: Int) {
    let table = PerturbationTable.standard
    let step = max(1, (top + 1) / 2)
    var sum = 0, n = 0
    var remainders = Set<Int>()
    for i in stride(from: UInt32(0), to: UInt32.max - (1 << 16), by: 1 << 16) {
        let published = table.perturbMagnitude(value, top: top, cellKey: i &* 2_654_435_761, remainderKey: i &* 40_503 &+ 7)
        let deviation = published - value
        #expect(published >= 0 && abs(deviation) <= 2 * step + (step + 1) / 2, "\(value) (top \(top)) published as \(published)")
        if step == 1 { #expect(published == table.perturb(value, cellKey: i &* 2_654_435_761)) }
        if published > 0 { remainders.insert(((published % step) + step) % step) }
        sum += deviation
        n += 1
    }
    if value > 3 * step { #expect(abs(Double(sum) / Double(n)) < 0.05 * Double(step) + 0.5, "mean deviation \(Double(sum) / Double(n))") }
    if step > 1 { #expect(remainders.count == step, "every remainder modulo \(step) occurs: \(remainders.count)") }
    #expect(table.perturbMagnitude(0, top: 0, cellKey: 12345, remainderKey: 1) == 0)
}
