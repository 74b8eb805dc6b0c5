import Foundation
import Testing
@testable import SillageReports
@testable import SillageCore
@testable import SillageMetrics
@testable import SillagePipeline

/// Generated activity logs and the generator's own ground truth.
private struct Generated {
    let dir: String
    let truth: JSONValue

    static func make(_ label: String, seed: Int = 9, learners: Int = 120) throws -> Generated {
        let dir = TestSupport.temporaryDirectory(label)
        try TestSupport.generateLogs(
            into: dir + "/web",
            [
                "--seed", String(seed), "--learners", String(learners), "--days", "6",
                "--activity", dir + "/lms", "--xapi-mirror",
            ])
        let truth = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/lms/ground_truth.json"))), source: "truth")
        return Generated(dir: dir, truth: truth)
    }

    /// The course_completion rows the ground truth implies (minCount 1).
    var expectedCompletion: [[String]] {
        guard case .object(let courses) = truth["courses"]! else { return [] }
        var rows: [[String]] = []
        for (course, value) in courses.sorted(by: { $0.0 < $1.0 }) {
            guard case .array(let enrolled) = value["enrolled"]!, case .object(let completers) = value["completers"]!,
                case .object(let enrolledAt) = value["enrolled_at"]!
            else { continue }
            var days: [Double] = []
            for (user, done) in completers {
                guard case .int(let t) = done, case .int(let from)? = enrolledAt.first(where: { $0.0 == user })?.1 else { continue }
                days.append(Double((t - from) * 1000) / 86_400_000)
            }
            days.sort()
            let median: String
            if days.isEmpty {
                median = ""
            } else {
                let m = days.count % 2 == 1 ? days[days.count / 2] : (days[days.count / 2 - 1] + days[days.count / 2]) / 2
                median = Cell.formatDecimal(m, digits: 1)
            }
            let rate = Cell.formatDecimal(Double(completers.count) / Double(enrolled.count), digits: 3)
            rows.append([course, "", "enrolled", String(enrolled.count), String(completers.count), rate, median])
        }
        return rows
    }
}

private func completionTable(_ dir: String, inputs: [InputDefinition], label: String) async throws -> [[String]] {
    let runDir = dir + "/" + label
    try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
    var pipeline = try TestSupport.pipeline("combined", [], in: runDir, minCount: 1)
    pipeline.inputs = inputs
    let report = try await Runner(pipeline: pipeline).run()
    #expect(report.counts.totalRejects == 0, "\(label): \(report.counts.rejects)")
    let rows = TestSupport.csvRows(try TestSupport.gunzip(report.exports[0].directory + "/course_completion.csv.gz"))
    return Array(rows.dropFirst()).sorted { $0[0] < $1[0] }
}

@Test func courseCompletionEqualsTheGeneratorsGroundTruth() async throws {
    let g = try Generated.make("truth")
    defer { TestSupport.remove(g.dir) }
    let rows = try await completionTable(
        g.dir, inputs: [InputDefinition(type: "moodle-logstore", paths: [g.dir + "/lms/logstore.csv"])],
        label: "logstore")
    let expected = g.expectedCompletion.sorted { $0[0] < $1[0] }
    #expect(rows == expected)
    #expect(expected.count >= 10)
    #expect(expected.contains { Int($0[4])! > 0 }, "the generated learners complete some courses")
}

@Test func theSameLearnersThroughLogstoreAndThroughXAPIGiveTheSameCompletionTable() async throws {
    let g = try Generated.make("crosssource")
    defer { TestSupport.remove(g.dir) }
    let viaLogstore = try await completionTable(
        g.dir, inputs: [InputDefinition(type: "moodle-logstore", paths: [g.dir + "/lms/logstore.csv"])],
        label: "logstore")
    var xapi = InputDefinition(type: "xapi", paths: [g.dir + "/lms/moodle-as-xapi.jsonl"])
    xapi.identity = "moodle-userid"
    let viaXAPI = try await completionTable(g.dir, inputs: [xapi], label: "xapi")
    #expect(viaLogstore == viaXAPI)
    // And the course_completions table alone gives the same completers and learners.
    let viaTable = try await completionTable(
        g.dir,
        inputs: [
            InputDefinition(
                type: "moodle-course-completions",
                paths: [g.dir + "/lms/course_completions.csv"])
        ],
        label: "table")
    #expect(viaTable == viaLogstore)
}

@Test func activityCompletionEqualsTheGroundTruth() async throws {
    let g = try Generated.make("funnel")
    defer { TestSupport.remove(g.dir) }
    let runDir = g.dir + "/run"
    try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
    let pipeline = try TestSupport.pipeline("moodle-logstore", [g.dir + "/lms/logstore.csv"], in: runDir, minCount: 1)
    let report = try await Runner(pipeline: pipeline).run()
    let rows = TestSupport.csvRows(try TestSupport.gunzip(report.exports[0].directory + "/activity_completion.csv.gz")).dropFirst()
    guard case .object(let activities) = g.truth["activities"]! else { Issue.record("no activities in the truth"); return }
    var expected: [String: Int] = [:]
    for (cm, users) in activities { if case .array(let list) = users { expected[cm] = list.count } }
    var found: [String: Int] = [:]
    for row in rows { found[row[1]] = Int(row[4]) }
    #expect(found == expected)
    #expect(found.count > 20)
}

@Test func noNameUsernameOrAddressFromAnyInputReachesTheStoreOrTheExports() async throws {
    let g = try Generated.make("allformats", seed: 13, learners: 90)
    defer { TestSupport.remove(g.dir) }
    let runDir = g.dir + "/run"
    try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
    var pipeline = try TestSupport.pipeline("combined", [g.dir + "/web/access.log"], in: runDir, minCount: 1)
    let lms = g.dir + "/lms/"
    var orientation = InputDefinition(type: "xapi", paths: [lms + "orientation-statements.jsonl.gz"])
    orientation.identity = "moodle-userid"
    orientation.stream = "orientation"
    var mooc = InputDefinition(type: "openedx-tracking", paths: [lms + "tracking.log.gz"])
    mooc.stream = "mooc"
    pipeline.inputs += [
        InputDefinition(type: "moodle-logstore", paths: [lms + "logstore.csv"]),
        InputDefinition(type: "moodle-report", paths: [lms + "report.csv"]),
        InputDefinition(type: "moodle-course-completions", paths: [lms + "course_completions.csv"]),
        InputDefinition(type: "course-catalogue", paths: [lms + "catalogue.csv"]),
        InputDefinition(type: "organisations", paths: [lms + "organisations.csv"]),
        mooc, orientation,
    ]
    // Every table, those made for reports too, and the reports themselves.
    pipeline.exports[0].tables = TableRegistry.tableNames
    pipeline.reports = [ReportDefinition(kind: .completion)]
    let report = try await Runner(pipeline: pipeline).run()
    #expect(report.counts.totalRejects < 10)
    // Every identifier the inputs hold: usernames, e-mails, full names, addresses.
    var secrets = Set<String>()
    let tracking = try TestSupport.run("/usr/bin/env", ["gzip", "-dc", lms + "tracking.log.gz"]).stdout
    for line in tracking.split(separator: "\n") {
        if let r = line.range(of: "\"username\": \"") { secrets.insert(String(line[r.upperBound...].prefix { $0 != "\"" })) }
        if let r = line.range(of: "\"ip\": \"") { secrets.insert(String(line[r.upperBound...].prefix { $0 != "\"" })) }
    }
    let reportCSV = try String(contentsOfFile: lms + "report.csv", encoding: .utf8)
    for line in reportCSV.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        if fields.count > 3 { secrets.insert(String(fields[2])) }  // "User full name"
    }
    for line in try String(contentsOfFile: g.dir + "/web/access.log", encoding: .utf8).split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count > 3 { secrets.insert(String(parts[0])); if parts[2] != "-" { secrets.insert(String(parts[2])) } }
        if let r = line.range(of: "email=") {
            secrets.insert(String(line[r.upperBound...].prefix { $0 != " " && $0 != "&" }).replacingOccurrences(of: "%40", with: "@"))
        }
    }
    secrets = secrets.filter { $0.count >= 6 && $0 != "-" }
    #expect(secrets.contains { $0.contains(".") && $0.first!.isLetter }, "usernames are part of the test")
    #expect(secrets.contains { $0.contains(" ") }, "full names are part of the test")
    let exportDir = report.exports[0].directory
    let published = try TestSupport.publishedText(exportDir)
    let storedText = try TestSupport.storedText(runDir)
    var reports = ""
    for file in try FileManager.default.contentsOfDirectory(atPath: runDir + "/out/reports") {
        reports += try String(contentsOfFile: runDir + "/out/reports/" + file, encoding: .utf8)
    }
    #expect(reports.contains("completion-"), "the reports are part of the test")
    let leaks = secrets.filter { published.contains($0) || storedText.contains($0) || reports.contains($0) }
    #expect(leaks.isEmpty, "leaked: \(leaks.sorted().prefix(5))")
    // Every table has rows.
    for table in TableRegistry.tableNames {
        let rows = TestSupport.csvRows(try TestSupport.gunzip(exportDir + "/\(table).csv.gz"))
        #expect(rows.count > 1, "\(table) is empty")
    }
}
