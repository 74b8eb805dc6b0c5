import Foundation
import Testing
@testable import SillageCore
@testable import SillageMetrics
@testable import SillageDisclosure
@testable import SillageExport
@testable import SillageStore
@testable import SillagePipeline

@Test(arguments: [
    (["a", "b"], "a,b\r\n"),
    (["x,y", "say \"hi\""], "\"x,y\",\"say \"\"hi\"\"\"\r\n"),
    (["line\nbreak", " lead"], "\"line\nbreak\",\" lead\"\r\n"),
    (["", "é"], ",é\r\n"),
])
func csvFollowsRFC4180(fields: [String], expected: String) {
    var out: [UInt8] = []
    CSVWriter.appendRecord(fields, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == expected)
}

@Test(arguments: [
    (5.0, 2, "5"), (5.5, 1, "5.5"), (4.666666, 2, "4.67"), (0.005, 2, "0.01"), (1234.0, 1, "1234"),
    (0.1, 2, "0.1"), (-2.25, 1, "-2.3"), (0.0, 2, "0"),
])
func decimalsAreFormattedDeterministically(value: Double, digits: Int, expected: String) {
    #expect(Cell.formatDecimal(value, digits: digits) == expected)
}

@Test func smallCellsAreSuppressedWithTheirWholeRow() {
    var table = Table(
        name: "t", title: "T", description: "",
        columns: [
            Column("k", .string, ""), Column("users", .integer, "", role: .count), Column("v", .number, "", role: .measure),
        ], primaryKey: ["k"])
    table.append([.text("a"), .integer(11), .decimal(1.5, digits: 1)], actors: 11)
    table.append([.text("b"), .integer(10), .decimal(2.5, digits: 1)], actors: 10)
    table.append([.text("c"), .integer(1), .empty], actors: 1)
    table.append([.text("d"), .integer(0), .empty], actors: 0)
    let report = SmallCellSuppression(minCount: 11).apply(&table)
    #expect(table.rows[0] == [.text("a"), .integer(11), .decimal(1.5, digits: 1)])
    #expect(table.rows[1] == [.text("b"), .empty, .empty])
    #expect(table.rows[2] == [.text("c"), .empty, .empty])
    #expect(table.rows[3] == [.text("d"), .integer(0), .empty], "a zero describes nobody and stays")
    #expect(report == SuppressionReport(table: "t", rows: 4, rowsSuppressed: 2, cellsSuppressed: 3))
}

@Test(arguments: [
    (0, 0), (1, 1), (59, 1), (60, 2), (299, 2), (300, 3), (899, 3), (900, 4), (1799, 4), (1800, 5),
    (3599, 5), (3600, 6), (7199, 6), (7200, 7), (100_000, 7),
])
func sessionDurationBuckets(seconds: Int64, bucket: Int) {
    #expect(SessionLengths.scale.index(of: seconds) == bucket)
}

/// A small access log whose export is compared byte for byte with the golden files.
private let goldenLog = """
    198.51.100.1 - alice [26/Mar/2026:09:00:00 +0100] "GET /my/ HTTP/1.1" 200 100 "-" "Mozilla/5.0 (X11; Linux x86_64)"
    198.51.100.1 - alice [26/Mar/2026:09:10:00 +0100] "GET /course/view.php?id=3&sesskey=Zx81abcdEF HTTP/1.1" 200 100 "-" "Mozilla/5.0 (X11; Linux x86_64)"
    198.51.100.1 - alice [26/Mar/2026:09:10:01 +0100] "GET /theme/styles.php/boost/1/all HTTP/1.1" 200 100 "-" "Mozilla/5.0 (X11; Linux x86_64)"
    198.51.100.2 - - [26/Mar/2026:09:05:00 +0100] "GET /login/index.php HTTP/1.1" 200 100 "-" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) Mobile/15E148"
    2001:db8::7 - - [26/Mar/2026:23:59:00 +0100] "GET /my/ HTTP/1.1" 200 100 "-" "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)"
    2001:db8::7 - - [27/Mar/2026:00:01:00 +0100] "GET /my/ HTTP/1.1" 200 100 "-" "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)"
    198.51.100.1 - alice [29/Mar/2026:10:00:00 +0200] "GET /mod/page/view.php?id=301 HTTP/1.1" 200 100 "-" "Mozilla/5.0 (X11; Linux x86_64)"
    198.51.100.1 - alice [29/Mar/2026:10:45:00 +0200] "POST /mod/quiz/attempt.php?attempt=4&cmid=340 HTTP/1.1" 303 100 "-" "Mozilla/5.0 (X11; Linux x86_64)"
    198.51.100.3 - bob [29/Mar/2026:11:00:00 +0200] "GET /mod/page/view.php?id=301 HTTP/1.1" 200 100 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1)"
    198.51.100.3 - bob [29/Mar/2026:10:59:30 +0200] "GET /my/ HTTP/1.1" 200 100 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1)"
    66.249.66.1 - - [29/Mar/2026:11:00:00 +0200] "GET / HTTP/1.1" 200 100 "-" "Mozilla/5.0 (compatible; Googlebot/2.1)"
    198.51.100.4 - - [02/Apr/2026:14:00:00 +0200] "GET /missing HTTP/1.1" 404 100 "-" "Mozilla/5.0 (X11; Linux x86_64)"
    this line is not a log line

    """

@Test func exportsMatchTheGoldenFiles() async throws {
    let dir = TestSupport.temporaryDirectory("golden")
    defer { TestSupport.remove(dir) }
    let log = dir + "/access.log"
    try goldenLog.write(toFile: log, atomically: true, encoding: .utf8)
    var pipeline = try TestSupport.pipeline("combined", [log], in: dir, minCount: 2)
    pipeline.maxRejectRate = 0.2
    let report = try await Runner(pipeline: pipeline, options: RunOptions(threads: 2)).run()
    #expect(report.events == 9)
    #expect(report.counts[skip: .bot] == 1 && report.counts[skip: .staticAsset] == 1 && report.counts[skip: .status] == 1)
    #expect(report.counts[reject: .malformedLine] == 1)
    let exportDir = try #require(report.exports.first?.directory)
    let golden = TestSupport.packageRoot + "/Tests/SillageTests/Golden/web-small"
    let update = ProcessInfo.processInfo.environment["SILLAGE_UPDATE_GOLDEN"] == "1"
    if update { try? FileManager.default.createDirectory(atPath: golden, withIntermediateDirectories: true) }
    for name in try FileManager.default.contentsOfDirectory(atPath: exportDir).sorted() {
        let produced =
            name.hasSuffix(".gz")
            ? try TestSupport.gunzip(exportDir + "/" + name)
            : try String(contentsOfFile: exportDir + "/" + name, encoding: .utf8)
        let goldenName = name.hasSuffix(".gz") ? String(name.dropLast(3)) : name
        if update {
            try produced.write(toFile: golden + "/" + goldenName, atomically: true, encoding: .utf8)
            continue
        }
        if name == "SHA256SUMS" { continue }  // covers gzip bytes, which depend on the zlib build
        let expected = try String(contentsOfFile: golden + "/" + goldenName, encoding: .utf8)
        #expect(produced == expected, "\(name) differs from Golden/web-small/\(goldenName)")
    }
}

@Test func aFailedPublicationLeavesThePreviousExportWhole() throws {
    let dir = TestSupport.temporaryDirectory("publish")
    defer { TestSupport.remove(dir) }
    let target = dir + "/out/research/partner/all"
    try Publisher.publish(files: [("a.csv", Array("v1\n".utf8)), ("b.csv", Array("v1\n".utf8))], to: target)
    do {
        // The second file cannot be created (its directory does not exist): publication fails midway.
        try Publisher.publish(files: [("a.csv", Array("v2\n".utf8)), ("missing/b.csv", Array("v2\n".utf8))], to: target)
        Issue.record("expected the publication to fail")
    } catch {
        #expect(error.kind == .runtime)
    }
    #expect(try String(contentsOfFile: target + "/a.csv", encoding: .utf8) == "v1\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: target).sorted() == ["a.csv", "b.csv"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out/research/partner") == ["all"], "no staging directory is left")
    try Publisher.publish(files: [("a.csv", Array("v3\n".utf8))], to: target)
    #expect(try FileManager.default.contentsOfDirectory(atPath: target) == ["a.csv"], "a republished export replaces the old one whole")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out/research/partner") == ["all"])
}

@Test(arguments: [
    ([5, 5, 5], 5.0 / 15.0), ([90, 5, 5], 0.9), ([1], 1.0), ([], 0.0), ([0, 3], 1.0),
])
func contributionsGiveTheTopShare(values: [Int64], share: Double) {
    var c = Contributions()
    for (i, v) in values.enumerated() { c.add(ActorKey(high: 0, low: UInt64(i)), v) }
    #expect(abs(c.topShare - share) < 1e-12)
}

/// A day on which one of twelve learners makes 95 % of the sessions is withheld, although
/// twelve people are behind it; the day before, shared evenly, is published.
@Test func aRowOneLearnerDominatesIsWithheld() {
    var sessions: [Session] = []
    for a in 0..<12 {
        let actor = ActorKey(high: 1, low: UInt64(a))
        for day in [Int32(20538), 20539] {
            let count = day == 20539 && a == 0 ? 230 : 1
            for k in 0..<count {
                let start = Int64(day) * 86_400_000 + Int64(k) * 3_600_000 / 10
                sessions.append(
                    Session(
                        stream: "web", actor: actor, start: start, end: start + 1000, day: day, events: 2, pages: 2,
                        agentClass: .desktop))
            }
        }
    }
    let days = Dictionary(grouping: sessions) { "\($0.actor.low)-\($0.day)" }.values.map { group in
        ActorDay(stream: "web", actor: group[0].actor, day: group[0].day, events: Int32(group.count * 2), pages: Int32(group.count * 2))
    }
    var table = DailyActivity.build(MetricInput(sessions: sessions, actorDays: days))
    var report = SmallCellSuppression(minCount: 11).apply(&table)
    DominanceRule().apply(&table, report: &report)
    #expect(report.rowsSuppressed == 0 && report.rowsDominated == 1)
    #expect(table.rows[0][3] == .integer(12), "the even day is published")
    #expect(table.rows[1][2...].allSatisfy { $0 == .empty }, "the dominated day is withheld")
}

@Test func theDominanceRuleLeavesOnePersonRowsAndWithheldRowsToMinCount() {
    var table = Table(
        name: "t", title: "t", description: "t",
        columns: [Column("k", .string, "k"), Column("n", .integer, "n", role: .count)], primaryKey: ["k"])
    table.append([.text("a"), .integer(100)], actors: 12, topShare: 0.9)
    table.append([.text("b"), .integer(100)], actors: 12, topShare: 0.85)
    table.append([.text("c"), .integer(100)], actors: 1, topShare: 1)
    table.append([.text("d"), .empty], actors: 3, topShare: 0.99)
    var report = SuppressionReport(table: "t", rows: 4, rowsSuppressed: 0, cellsSuppressed: 0)
    DominanceRule(maxShare: 0.85).apply(&table, report: &report)
    #expect(table.rows.map { $0[1] } == [.empty, .integer(100), .integer(100), .empty])
    #expect(report.rowsDominated == 1 && report.cellsSuppressed == 1)
}

/// What a table declares it reads is all it reads: built from those store rows alone, every
/// table of the sample pipeline's store equals the table built from everything.
@Test func everyTableIsBuiltFromTheRowsItDeclares() throws {
    let dir = TestSupport.temporaryDirectory("declared-reads")
    defer { TestSupport.remove(dir) }
    try FileManager.default.createSymbolicLink(atPath: dir + "/SampleLogs", withDestinationPath: TestSupport.packageRoot + "/SampleLogs")
    try FileManager.default.createDirectory(atPath: dir + "/Pipelines", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/Pipelines/sample.json", toPath: dir + "/Pipelines/sample.json")
    let r = try TestSupport.run(TestSupport.binary, ["run", "Pipelines/sample.json"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let store = try Store(path: dir + "/var/sample.sqlite")
    let zone = try ZoneRules(identifier: "Europe/Paris")
    var all = MetricInput(sessions: try store.sessions(days: nil), actorDays: try store.actorDays(days: nil), facts: try store.facts(), zone: zone)
    all.catalogue = try store.catalogue()
    for stage in TableRegistry.tableList {
        var export = ExportDefinition()
        export.tables = [stage.name]
        let declared = try Exporter.input(for: export, store: store, zone: zone)
        #expect(declared.sessions.isEmpty == !stage.reads.contains(.sessions))
        let (full, partial) = (stage.build(all), stage.build(declared))
        #expect(full.rows.count > 0, "\(stage.name) is empty on the sample")
        #expect(full.rows == partial.rows && full.actorsPerRow == partial.actorsPerRow, "\(stage.name) reads more than it declares")
    }
}
