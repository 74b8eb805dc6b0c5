import Foundation
import Testing
@testable import SillageCore
@testable import SillageStore
@testable import SillagePipeline
@testable import SillageReports

/// Requests, bytes, status classes and hours per local day, counted from a generated log by
/// this test alone (Foundation's calendar for Paris time, the fields split by hand), equal
/// what the run stores for the server report.
@Test func serverFiguresEqualAnIndependentCountOfTheLog() async throws {
    let dir = TestSupport.temporaryDirectory("server-count")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/gen", ["--seed", "5", "--learners", "80", "--days", "4"])
    let log = dir + "/gen/access.log"
    let p = try TestSupport.pipeline("combined", [log], in: dir)
    var options = RunOptions()
    options.skipExports = true
    _ = try await Runner(pipeline: p, options: options).run()
    var stored: [Int32: ServerDay] = [:]
    for (key, measures) in try Store(path: p.store).dailyCounts() { stored[key.day, default: ServerDay()].add(ServerDay(measures: measures)) }

    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try #require(TimeZone(identifier: "Europe/Paris"))
    let parser = DateFormatter()
    parser.locale = Locale(identifier: "en_US_POSIX")
    parser.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
    var expected: [Int32: ServerDay] = [:]
    for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
        guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"),
            let date = parser.date(from: String(line[line.index(after: open)..<close]))
        else { continue }
        let quoted = line.split(separator: "\"", omittingEmptySubsequences: false)
        guard quoted.count >= 3 else { continue }
        let afterRequest = quoted[2].split(separator: " ")
        guard afterRequest.count >= 2, let status = Int(afterRequest[0]) else { continue }
        let parts = calendar.dateComponents([.year, .month, .day, .hour], from: date)
        let day = Int32(CivilTime.days(year: parts.year!, month: parts.month!, day: parts.day!))
        expected[day, default: ServerDay()].count(status: status, bytes: Int(afterRequest[1]) ?? 0, hour: parts.hour!)
    }
    #expect(expected.count >= 4)
    #expect(stored == expected)
}

/// The sample's server report of 31 March, in French (written by the run) and English
/// (`sillage report server --day … --lang en`), as the golden files say; a day the store
/// does not hold is a usage error naming the days it holds.
@Test func theSampleServerReportMatchesItsGoldenFiles() throws {
    let dir = try runSampleWithReports()
    defer { TestSupport.remove(dir) }
    let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/reports").filter { $0.hasPrefix("server-") }.sorted()
    // Eight days of logs (26 March to 2 April): the last may still be written to, the seven before are complete.
    #expect(written.count == 14 && written.first == "server-2026-03-26.csv" && written.last == "server-2026-04-01.html")
    let en = try TestSupport.run(
        TestSupport.binary, ["report", "server", "Pipelines/sample.json", "--day", "2026-03-31", "--lang", "en", "--out", "en"], in: dir)
    #expect(en.status == 0, "\(en.stderr)")
    for (language, folder) in [("fr", "/out/reports"), ("en", "/en")] {
        for ext in ["html", "csv"] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)\(folder)/server-2026-03-31.\(ext)")))
            try golden("sample/\(language)/server-2026-03-31.\(ext)", bytes)
        }
    }
    let missing = try TestSupport.run(TestSupport.binary, ["report", "server", "Pipelines/sample.json", "--day", "2020-01-01"], in: dir)
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("the store holds no access-log requests on 2020-01-01"), "\(missing.stderr)")
    #expect(missing.stderr.contains("days held: 2026-03-26..2026-04-02"), "\(missing.stderr)")
}

/// The day's figures compared with the day before and the median of the 7 days before, on
/// days whose counts are chosen; hot spots rank objects by requests, ties in key order.
@Test func theServerReportComparesWithTheDayBeforeAndTheWeeksMedian() {
    var log = ServerLog()
    let day = Int32(CivilTime.days(year: 2026, month: 3, day: 31))
    for (offset, requests) in [(0, 500), (1, 400), (2, 100), (3, 300), (4, 200), (5, 900), (6, 700), (7, 800), (8, 5)] {
        var d = ServerLog.Day()
        for _ in 0..<requests { d.tally.count(status: 200, bytes: 10, hour: 9) }
        d.botRequests = requests / 10
        log.days[day - Int32(offset)] = d
    }
    var settings = ReportSettings()
    settings.dialect = .rfc4180
    let doc = ServerReport.document(log, day: day, settings: settings)
    let rows = TestSupport.csvRows(String(decoding: doc.csv ?? [], as: UTF8.self))
    // Median of 400, 100, 300, 200, 900, 700, 800: 400; the day 8 days before is not in it.
    #expect(rows.contains(["summary", "Requêtes", "Jour", "500"]))
    #expect(rows.contains(["summary", "Requêtes", "Veille", "400"]))
    #expect(rows.contains(["summary", "Requêtes", "Médiane 7 jours", "400"]))
    #expect(rows.contains(["summary", "Part des robots", "Jour", "10"]))
    #expect(rows.contains(["hours", "09", "Requêtes", "500"]))
    #expect(doc.name == "server-2026-03-31")
}
