import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageMetrics
@testable import SillageStore
@testable import SillagePipeline
@testable import SillageReports
@testable import SillageIngest

/// A web pipeline over `lines` in `dir`, with the server report declared.
private func webPipeline(_ dir: String, _ lines: [String]) throws -> PipelineDefinition {
    try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/access.log", atomically: true, encoding: .utf8)
    var p = try TestSupport.pipeline("combined", [dir + "/access.log"], in: dir)
    p.reports = [ReportDefinition(kind: .server)]
    return p
}

private func line(_ user: String, _ ip: String, day: Int, _ path: String, _ status: Int) -> String {
    "\(ip) - \(user) [\(day)/Mar/2026:10:00:00 +0200] \"GET \(path) HTTP/1.1\" \(status) 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0\""
}

/// The server report's paths of one day in the store: object and people behind it.
private func storedPaths(_ p: PipelineDefinition, day: Int) throws -> [String: Int] {
    let q = try Store(path: p.store).database.prepare("SELECT object, max(people) FROM server_objects WHERE day = ? GROUP BY object")
    q.bind([.integer(Int64(CivilTime.days(year: 2026, month: 3, day: day)))])
    var out: [String: Int] = [:]
    while try q.step() { out[q.text(0)] = Int(q.int(1)) }
    return out
}

/// Attack: a learner's own requests (their profile, a file named after them) in the server
/// report's store, where `forget` could not reach them. With the floor at 1 (the protection
/// off) the store keeps the path; at the default 11 a path fewer people requested in a batch
/// never reaches it.
@Test(arguments: [1, 11])
func aLearnersOwnPathsNeverReachTheStore(floor: Int) async throws {
    let dir = TestSupport.temporaryDirectory("server-paths")
    defer { TestSupport.remove(dir) }
    var lines = [line("sarah.michel53", "192.0.2.7", day: 30, "/notes/Sarah-Michel-absences", 404)]
    for i in 0..<12 { lines.append(line("-", "198.51.100.\(i)", day: 30, "/course/view.php?id=2", 200)) }
    lines.append(line("-", "198.51.100.1", day: 31, "/course/view.php?id=2", 200))
    var p = try webPipeline(dir, lines)
    p.reports[0].minCount = floor
    _ = try await Runner(pipeline: p).run()
    let paths = try storedPaths(p, day: 30)
    #expect(paths.keys.contains { $0.contains("Michel") } == (floor == 1))
    #expect(paths["/course/view.php?id=2"] == 12)
}

/// Attack: an opted-out learner's requests counted in the server report. Opted out before
/// the log is read, the learner's views of a page twelve others saw leave it at twelve
/// people, and their own path is not kept even with the floor at 1; the records are counted
/// as opted-out skips, nothing is lost silently.
@Test func anOptedOutLearnersRequestsCountNowhere() async throws {
    let dir = TestSupport.temporaryDirectory("server-optout")
    defer { TestSupport.remove(dir) }
    var lines = [
        line("sarah.michel53", "192.0.2.7", day: 30, "/notes/Sarah-Michel-absences", 404),
        line("sarah.michel53", "192.0.2.7", day: 30, "/course/view.php?id=2", 200),
        // An asset and an odd method: theirs too, counted nowhere either.
        line("sarah.michel53", "192.0.2.7", day: 30, "/theme/big.css", 200).replacingOccurrences(of: " 512 ", with: " 777777 "),
        line("sarah.michel53", "192.0.2.7", day: 30, "/dav/", 207).replacingOccurrences(of: "GET", with: "PROPFIND"),
    ]
    for i in 0..<12 { lines.append(line("-", "198.51.100.\(i)", day: 30, "/course/view.php?id=2", 200)) }
    lines.append(line("-", "198.51.100.1", day: 31, "/course/view.php?id=2", 200))
    var p = try webPipeline(dir, lines)
    p.reports[0].minCount = 1
    let key = try MasterKey.load(path: p.keyFile)
    _ = try Erasure.forget(
        [try PersonIdentifier(qualified: "web-user:sarah.michel53")], store: try Store(path: p.store), pseudonymiser: Pseudonymiser(key: key.bytes))
    let report = try await Runner(pipeline: p).run()
    #expect(report.counts[skip: .optedOut] == 4)
    let day30 = try Store(path: p.store).dailyCounts()[Store.DailyKey(day: Int32(CivilTime.days(year: 2026, month: 3, day: 30)), stream: "web")]
    #expect(day30?["server:requests"] == 12 && day30?["server:bytes"] == 12 * 512, "only the twelve visitors' requests: \(day30 ?? [:])")
    let paths = try storedPaths(p, day: 30)
    #expect(!paths.keys.contains { $0.contains("Michel") })
    #expect(paths["/course/view.php?id=2"] == 12)
}

/// Attack: a path one person requested (a profile, a file named after a learner) named in
/// the server report. With the floor at 1 (the protection off) the report lists it; at the
/// default 11 it does not, and the 12 visitors' page does.
@Test(arguments: [1, 11])
func theServerReportNamesOnlyPathsManyPeopleRequested(minCount: Int) async throws {
    let dir = TestSupport.temporaryDirectory("server-floor")
    defer { TestSupport.remove(dir) }
    var lines = [line("-", "192.0.2.7", day: 30, "/pluginfile.php/345/user/icon/f1", 404)]
    for i in 0..<12 { lines.append(line("-", "198.51.100.\(i)", day: 30, "/course/view.php?id=2", 200)) }
    lines.append(line("-", "198.51.100.1", day: 31, "/course/view.php?id=2", 200))
    var p = try webPipeline(dir, lines)
    p.reports[0].minCount = minCount
    _ = try await Runner(pipeline: p).run()
    let csv = try String(contentsOfFile: p.output + "/reports/server-2026-03-30.csv", encoding: .utf8)
    #expect(csv.contains("/pluginfile.php/345/user/icon/f1") == (minCount == 1))
    #expect(csv.contains("top_pages;/course/view.php?id=2;Personnes;12"))
}

/// A public report never shares a directory with private ones: declared so, the pipeline
/// is refused; asked for on the command line into a directory of private reports, the
/// report is refused, and the other way round.
@Test func publicAndPrivateReportsKeepToTheirOwnDirectories() throws {
    let dir = try runSampleWithReports()
    defer { TestSupport.remove(dir) }
    var pipeline = try String(contentsOfFile: dir + "/Pipelines/sample.json", encoding: .utf8)
    pipeline = pipeline.replacingOccurrences(
        of: #"{ "type": "server" }"#, with: #"{ "type": "server" }, { "type": "completion", "audience": "public" }"#)
    try pipeline.write(toFile: dir + "/Pipelines/mixed.json", atomically: true, encoding: .utf8)
    let mixed = try TestSupport.run(TestSupport.binary, ["validate", "Pipelines/mixed.json"], in: dir)
    #expect(mixed.status == 2 && mixed.stderr.contains("a public report shares its directory with the private report"), "\(mixed.stderr)")
    // The same directory spelt another way.
    try pipeline.replacingOccurrences(of: #""audience": "public" }"#, with: #""audience": "public", "out": "../out/./reports/" }"#)
        .write(toFile: dir + "/Pipelines/spelt.json", atomically: true, encoding: .utf8)
    let spelt = try TestSupport.run(TestSupport.binary, ["validate", "Pipelines/spelt.json"], in: dir)
    #expect(spelt.status == 2 && spelt.stderr.contains("a public report shares its directory"), "\(spelt.stderr)")
    let intoPrivate = try TestSupport.run(TestSupport.binary, ["report", "completion", "Pipelines/sample.json", "--audience", "public"], in: dir)
    #expect(intoPrivate.status == 2 && intoPrivate.stderr.contains("holds private reports"), "\(intoPrivate.stderr)")
    let own = try TestSupport.run(
        TestSupport.binary, ["report", "completion", "Pipelines/sample.json", "--audience", "public", "--out", "public"], in: dir)
    #expect(own.status == 0, "\(own.stderr)")
    // In the public report, a course's days-of-activity buckets add up to its published
    // learners: never one bucket alone withheld, which the others would give away.
    let index = TestSupport.csvRows(
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/public/completion.csv")).dropFirst(3), as: UTF8.self).replacingOccurrences(
            of: ";", with: ","))
    var courses = 0
    for row in index.dropFirst() where !row[3].isEmpty {
        let page = "completion-" + ReportFileName.slug(row[1]) + ".csv"
        guard FileManager.default.fileExists(atPath: dir + "/public/" + page) else { continue }
        let lines = try String(contentsOfFile: dir + "/public/" + page, encoding: .utf8).split(separator: "\r\n").filter {
            $0.hasPrefix("activity_days;")
        }
        let withheld = lines.filter { $0.hasSuffix(";") }.count
        #expect(withheld != 1, "\(row[1]): one bucket withheld alone")
        courses += 1
    }
    #expect(courses >= 1, "a course whose learners the public report publishes")
    let back = try TestSupport.run(TestSupport.binary, ["report", "server", "Pipelines/sample.json", "--out", "public"], in: dir)
    #expect(back.status == 2 && back.stderr.contains("holds public reports"), "\(back.stderr)")
    // One course only: the other course pages of the directory go, not to be read as current.
    let one = try TestSupport.run(TestSupport.binary, ["report", "completion", "Pipelines/sample.json", "--course", "2"], in: dir)
    #expect(one.status == 0, "\(one.stderr)")
    let left = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/reports").filter { $0.hasPrefix("completion-") }.sorted()
    #expect(left == ["completion-2.csv", "completion-2.html"])
}

/// An organisation's learners who went quiet are judged as of the platform's last day, and
/// all of them are at risk; as of their own last day (the protection off), some are not.
@Test(arguments: [false, true])
func anOrganisationsQuietLearnersAreAtRiskAsOfThePlatformsDay(platformDay: Bool) {
    let scenario = CompletionScenario(seed: 11)
    var gate = PublishableGate()
    let (events, strings) = scenario.events(&gate)
    let facts = ActivityFacts.collect(sorted: events, strings: strings)
    let last = scenario.asOf
    let quiet = scenario.learners.indices.filter { i in
        let days = scenario.learners[i].days.map(\.day)
        return !days.isEmpty && days.max()! < last - 10 && scenario.learners[i].days.contains { $0.beyond } && scenario.learners[i].completed == nil
    }
    let actors = Set(quiet.map { ActorKey(high: 1, low: UInt64($0 + 1)) })
    var input = MetricInput(sessions: [], actorDays: [], facts: facts.restricted(to: actors))
    if platformDay { input.reportDay = MetricInput(sessions: [], actorDays: [], facts: facts).asOfDay }
    let rows = OrganisationReport.rows(input, labels: Dictionary(uniqueKeysWithValues: actors.map { ($0, "L\($0.low)") }))
    #expect(quiet.count >= 3 && !rows.isEmpty)
    #expect(rows.allSatisfy(\.atRisk) == platformDay)
}

/// A label the operator's list gives, or a value from the logs, that starts like a formula is
/// quoted in the excel-fr CSV, so the spreadsheet shows it rather than running it; programs'
/// rfc4180 CSV keeps it as it is.
@Test(arguments: ["=HYPERLINK(\"http://evil.example/\",\"clic\")", "+33 6", "-1", "@SUM(A1)", "\tx"])
func formulaLikeTextIsQuotedForSpreadsheets(text: String) {
    #expect(ReportValue.label(text).csv(.excelFr) == "'" + text)
    #expect(ReportValue.label(text).csv(.rfc4180) == text)
    #expect(ReportValue.count(-1).csv(.excelFr) == "-1")
}

/// Two organisation names that would share a file name get a file each.
@Test func organisationsWhoseNamesFoldAlikeGetAFileEach() {
    let names = ReportFileName.names(stem: "organisation", keys: ["Lycée Jean Moulin", "LYCEE JEAN-MOULIN", "Mission locale Est"])
    #expect(names["Lycée Jean Moulin"] != names["LYCEE JEAN-MOULIN"])
    #expect(names["Mission locale Est"] == "organisation-mission-locale-est")
}
