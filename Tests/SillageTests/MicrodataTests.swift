import Foundation
import Testing
@testable import SillageCore
@testable import SillageMetrics
@testable import SillageDisclosure
@testable import SillagePipeline

/// Groups and cost of one node, computed the plain way (array keys, sets of people), to check
/// the packed-key implementation against.
private func plainEvaluation(_ h: [KAnonymity.Hierarchy], _ levels: [Int], _ people: [Int32], k: Int)
    -> (cost: Int, suppressed: Int, groups: [[Int32]: (records: Int, people: Set<Int32>)])
{
    var groups: [[Int32]: (records: Int, people: Set<Int32>)] = [:]
    for i in people.indices {
        let key = h.indices.map { h[$0].codes[levels[$0]][i] }
        groups[key, default: (0, [])].records += 1
        groups[key, default: (0, [])].people.insert(people[i])
    }
    var cost = 0, suppressed = 0
    for g in groups.values {
        if g.records < k || g.people.count < k { suppressed += g.records } else { cost += g.records * g.records }
    }
    return (cost + suppressed * people.count, suppressed, groups)
}

@Test(arguments: 0..<60)
func kAnonymityKeepsOnlyGroupsOfKPeopleAndPicksTheCheapestFeasibleNode(seed: Int) {
    var rng = SplitMix(state: UInt64(seed) &* 7919 &+ 1)
    let n = 150 + rng.below(600)
    let k = [2, 3, 5, 11][rng.below(4)]
    let people = (0..<n).map { _ in Int32(rng.below(20 + rng.below(200))) }
    // Hierarchies whose level l keeps the value's top bits: level l+1 is a function of level l.
    let hierarchies = (0..<(2 + rng.below(3))).map { a -> KAnonymity.Hierarchy in
        let height = 2 + rng.below(3)
        let fine = (0..<n).map { _ in Int32(rng.below(1 << (2 * height))) }
        let codes = (0..<height).map { level in level == height - 1 ? fine.map { _ in Int32(0) } : fine.map { $0 >> Int32(2 * level) } }
        return KAnonymity.Hierarchy(codes: codes)
    }
    let sensitive = (0..<n).map { _ in Int32(rng.below(5)) }
    let allowed = rng.below(n / 10 + 1)
    let outcome = KAnonymity(k: k, maxSuppressed: allowed).anonymise(hierarchies: hierarchies, people: people, sensitive: sensitive)
    let chosen = plainEvaluation(hierarchies, outcome.levels, people, k: k)
    if outcome.feasible {
        #expect(outcome.recordsSuppressed <= allowed)
        #expect(outcome.recordsSuppressed == chosen.suppressed)
        // No node is cheaper (ties: fewer levels) than the one chosen.
        for node in KAnonymity.nodes(heights: hierarchies.map { $0.codes.count }) {
            let e = plainEvaluation(hierarchies, node, people, k: k)
            guard e.suppressed <= allowed else { continue }
            #expect(
                e.cost > chosen.cost || (e.cost == chosen.cost && node.reduce(0, +) >= outcome.levels.reduce(0, +)),
                "node \(node) costs \(e.cost), the chosen \(outcome.levels) \(chosen.cost)")
        }
    } else {
        #expect(outcome.kept.allSatisfy { !$0 })
    }
    // Every published group holds k records of k people; l and risk are what the groups say.
    var published: [[Int32]: (records: Int, people: Set<Int32>, values: Set<Int32>)] = [:]
    for i in 0..<n where outcome.kept[i] {
        let key = hierarchies.indices.map { hierarchies[$0].codes[outcome.levels[$0]][i] }
        published[key, default: (0, [], [])].records += 1
        published[key, default: (0, [], [])].people.insert(people[i])
        published[key, default: (0, [], [])].values.insert(sensitive[i])
    }
    #expect(published.values.allSatisfy { $0.records >= k && $0.people.count >= k })
    #expect(outcome.groups == published.count)
    #expect(outcome.smallestGroup == published.values.map(\.records).min())
    #expect(outcome.lDiversity == published.values.map(\.values.count).min())
    let kept = outcome.kept.filter { $0 }.count
    if kept > 0 {
        let riskSum = published.values.reduce(0.0) { $0 + Double($1.records) / Double($1.people.count) }
        #expect(abs(outcome.averageRisk - riskSum / Double(kept)) < 1e-9)
        #expect(abs(outcome.maxRisk - 1 / Double(published.values.map(\.people.count).min()!)) < 1e-12)
    }
}

@Test func elevenSessionsOfTwoLearnersAreNotAGroupOfEleven() {
    // 22 sessions, all alike, of 2 learners: k = 11 in records but only 2 people.
    let codes = [[Int32](repeating: 1, count: 22), [Int32](repeating: 0, count: 22)]
    let people = (0..<22).map { Int32($0 % 2) }
    let outcome = KAnonymity(k: 11, maxSuppressed: 22).anonymise(
        hierarchies: [KAnonymity.Hierarchy(codes: codes)],
        people: people, sensitive: nil)
    #expect(outcome.kept.allSatisfy { !$0 } && outcome.recordsSuppressed == 22)
}

@Test(arguments: [
    // day, UTC hour of the session start (Europe/Paris is UTC+1 in January, UTC+2 in July), expected labels per level
    ("2026-01-01", 5, ["2026-01-01 morning", "2026-01-01", "2026-W01", "2026-01", "*"]),
    ("2026-01-01", 4, ["2026-01-01 night", "2026-01-01", "2026-W01", "2026-01", "*"]),
    ("2026-01-01", 23, ["2026-01-02 night", "2026-01-02", "2026-W01", "2026-01", "*"]),
    ("2027-01-01", 12, ["2027-01-01 afternoon", "2027-01-01", "2026-W53", "2027-01", "*"]),
    ("2024-12-30", 17, ["2024-12-30 evening", "2024-12-30", "2025-W01", "2024-12", "*"]),
    ("2026-07-15", 4, ["2026-07-15 morning", "2026-07-15", "2026-W29", "2026-07", "*"]),
    ("2026-07-15", 3, ["2026-07-15 night", "2026-07-15", "2026-W29", "2026-07", "*"]),
])
func startIsGeneralisedByLocalDateWeekAndMonth(date: String, utcHour: Int, labels: [String]) throws {
    let zone = try ZoneRules(identifier: "Europe/Paris")
    let start = (Int64(CivilTime.parseISODate(date)!) * 86400 + Int64(utcHour) * 3600) * 1000
    let s = Session(
        stream: "web", actor: ActorKey(high: 1, low: 2), start: start, end: start, day: zone.localDay(utcMillis: start),
        events: 1, pages: 1, agentClass: .desktop)
    let context = SessionMicrodata.Context(zone: zone, streams: ["web"])
    #expect((0..<5).map { SessionMicrodata.label(.start, s, level: $0, context) } == labels)
}

@Test(arguments: [
    (0, 0, ["0s", "0-59s", "*"], ["0", "0-1", "*"]),
    (59, 1, ["1-59s", "0-59s", "*"], ["1", "0-1", "*"]),
    (60, 3, ["1-4min", "1-14min", "*"], ["2-3", "2-7", "*"]),
    (899, 4, ["5-14min", "1-14min", "*"], ["4-7", "2-7", "*"]),
    (900, 8, ["15-29min", "15min+", "*"], ["8-15", "8 or more", "*"]),
    (3600, 40, ["1h+", "15min+", "*"], ["32 or more", "8 or more", "*"]),
])
func durationAndPagesAreBucketed(seconds: Int64, pages: Int32, durations: [String], pageLabels: [String]) {
    let s = Session(
        stream: "web", actor: ActorKey(high: 1, low: 2), start: 0, end: seconds * 1000, day: 0, events: 2,
        pages: pages, agentClass: .mobile)
    let context = SessionMicrodata.Context(zone: ZoneRules(fixedOffsetSeconds: 0), streams: ["web"])
    #expect((0..<3).map { SessionMicrodata.label(.duration, s, level: $0, context) } == durations)
    #expect((0..<3).map { SessionMicrodata.label(.pages, s, level: $0, context) } == pageLabels)
}

@Test(.enabled(if: TestSupport.hasPycanon, "needs Python's pycanon and pandas (pip install pycanon; .ci/run installs it)"))
func pycanonFindsTheExportedSessionsKAnonymous() async throws {
    let dir = TestSupport.temporaryDirectory("pycanon")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen", ["--seed", "11", "--learners", "120", "--days", "20"])
    var p = try TestSupport.pipeline("combined", [dir + "/gen/access.log"], in: dir)
    p.exports[0].microdata = MicrodataDefinition()
    p.exports[0].microdata!.maxSuppression = 0.02
    // Tables of the same sessions never leave a store that publishes microdata.
    p.exports[0].tables = []
    let report = try await Runner(pipeline: p).run()
    let exportDir = try #require(report.exports.first?.directory)
    let microdata = try #require(report.exports.first?.microdata)
    #expect(microdata.records > 500)
    let script = """
        import json, sys, pandas as pd
        from pycanon import anonymity
        df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
        qi = ["start", "pages", "device", "stream"]
        print(json.dumps({"rows": len(df), "k": int(anonymity.k_anonymity(df, qi)),
                          "l": int(anonymity.l_diversity(df, qi, ["duration"]))}))
        """
    let r = try TestSupport.run("/usr/bin/env", ["python3", "-c", script, exportDir + "/sessions.csv.gz"])
    #expect(r.status == 0, "\(r.stderr)")
    let found = try JSONParser.parse(Array(r.stdout.utf8), source: "pycanon")
    guard case .object(let members) = found else { Issue.record("pycanon printed \(r.stdout)"); return }
    let value = { (name: String) -> Int64? in
        if case .int(let v)? = members.first(where: { $0.0 == name })?.1 { return v }
        return nil
    }
    #expect(value("rows") == Int64(microdata.records - microdata.recordsSuppressed))
    #expect((value("k") ?? 0) >= Int64(p.exports[0].minCount), "pycanon: k = \(value("k") ?? -1)")
    #expect(value("k") == microdata.outcome.smallestGroup.map(Int64.init), "pycanon and the privacy report agree on k")
    #expect(value("l") == microdata.outcome.lDiversity.map(Int64.init), "pycanon and the privacy report agree on l")
    #expect(microdata.recordsSuppressed <= Int(Double(microdata.records) * 0.02))
    let privacy = try String(contentsOfFile: exportDir + "/privacy-report.json", encoding: .utf8)
    #expect(privacy.contains("\"kAchieved\": \(value("k") ?? -1)"))
}

@Test func tooFewSessionsPublishAnEmptyFileAndSaySo() async throws {
    let dir = TestSupport.temporaryDirectory("microdata-few")
    defer { TestSupport.remove(dir) }
    let log = dir + "/access.log"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try """
    192.0.2.1 - - [02/Mar/2026:10:00:00 +0100] "GET /course/view.php?id=2 HTTP/1.1" 200 10 "-" "Mozilla/5.0 (X11; Linux x86_64)"
    192.0.2.2 - - [02/Mar/2026:10:05:00 +0100] "GET /course/view.php?id=2 HTTP/1.1" 200 10 "-" "Mozilla/5.0 (X11; Linux x86_64)"

    """.write(toFile: log, atomically: true, encoding: .utf8)
    var p = try TestSupport.pipeline("combined", [log], in: dir)
    p.exports[0].microdata = MicrodataDefinition()
    p.exports[0].tables = []
    let report = try await Runner(pipeline: p).run()
    let exportDir = try #require(report.exports.first?.directory)
    #expect(try TestSupport.gunzip(exportDir + "/sessions.csv.gz") == "start,duration,pages,device,stream\r\n", "no learner column by default")
    let m = try #require(report.exports.first?.microdata)
    #expect(!m.outcome.feasible && m.recordsSuppressed == 2)
    #expect(try String(contentsOfFile: exportDir + "/README.md", encoding: .utf8).contains("no session is published"))
}

/// One spelling per duration bucket across tables: the microdata's fine buckets are those of
/// `session_lengths`, up to 30-59min.
@Test func microdataDurationBucketsAreSpelledAsInSessionLengths() {
    let shared = SessionMicrodata.durations.labels.dropLast()
    #expect(Array(shared) == Array(SessionLengths.scale.labels.prefix(shared.count)))
}
