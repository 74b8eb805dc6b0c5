import Foundation
import Testing
@testable import Sillage

/// Every file of an export directory, by name.
private func exportFiles(_ directory: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
        out[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
    }
    return out
}

private func pipeline(_ dir: String, web: String, logstore: String) throws -> PipelineDefinition {
    var p = try TestSupport.pipeline("combined", [web], in: dir, minCount: 2)
    p.inputs.append(InputDefinition(type: "moodle-logstore", paths: [logstore]))
    return p
}

/// Inputs cut into batches at random points (mid-line included, as when a log is still being
/// written) and run once per batch give the same export, byte for byte, as one run.
@Test(arguments: [(1, 3), (2, 5), (3, 8)])
func incrementalRunsEqualOneRun(seed: UInt64, batches: Int) async throws {
    let dir = TestSupport.temporaryDirectory("incremental-property")
    try TestSupport.generateLogs(into: dir + "/gen/web", ["--seed", String(seed + 40), "--learners", "70", "--days", "4",
                                                         "--activity", dir + "/gen/lms"])
    let web = try Data(contentsOf: URL(fileURLWithPath: dir + "/gen/web/access.log"))
    let logstore = try Data(contentsOf: URL(fileURLWithPath: dir + "/gen/lms/logstore.csv"))

    // One run over everything.
    try FileManager.default.createDirectory(atPath: dir + "/once", withIntermediateDirectories: true)
    try web.write(to: URL(fileURLWithPath: dir + "/once/access.log"))
    try logstore.write(to: URL(fileURLWithPath: dir + "/once/logstore.csv"))
    let once = try await Runner(pipeline: try pipeline(dir + "/once", web: dir + "/once/access.log", logstore: dir + "/once/logstore.csv")).run()

    // The same bytes appended in batches, a run after each.
    var rng = SplitMix(state: seed)
    func cuts(_ size: Int) -> [Int] { ((0..<(batches - 1)).map { _ in rng.below(size) } + [size]).sorted() }
    let webCuts = cuts(web.count), storeCuts = cuts(logstore.count)
    try FileManager.default.createDirectory(atPath: dir + "/inc", withIntermediateDirectories: true)
    let webPath = dir + "/inc/access.log", storePath = dir + "/inc/logstore.csv"
    let p = try pipeline(dir + "/inc", web: webPath, logstore: storePath)
    var last: RunReport? = nil
    var records = 0
    for i in 0..<batches {
        try web.prefix(webCuts[i]).write(to: URL(fileURLWithPath: webPath))
        try logstore.prefix(storeCuts[i]).write(to: URL(fileURLWithPath: storePath))
        let report = try await Runner(pipeline: p).run()
        records += report.records
        last = report
    }
    #expect(records == once.records, "every record read exactly once")
    let a = try exportFiles(once.exports[0].directory)
    let b = try exportFiles(try #require(last).exports[0].directory)
    #expect(a.keys.sorted() == b.keys.sorted())
    for name in a.keys.sorted() where a[name] != b[name] {
        let left = name.hasSuffix(".gz") ? try TestSupport.gunzip(once.exports[0].directory + "/" + name) : ""
        let right = name.hasSuffix(".gz") ? try TestSupport.gunzip(last!.exports[0].directory + "/" + name) : ""
        Issue.record("\(name) differs after \(batches) batches (web cuts \(webCuts), logstore cuts \(storeCuts))\n\(left.prefix(600))\n---\n\(right.prefix(600))")
    }
}

@Test func aSessionSpanningTwoRunsIsOneSession() async throws {
    let dir = TestSupport.temporaryDirectory("spanning")
    let line = { (t: String) in "192.0.2.1 - alice [29/Mar/2026:\(t) +0200] \"GET /my/ HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n" }
    let path = dir + "/access.log"
    try (line("10:00:00") + line("10:10:00")).write(toFile: path, atomically: false, encoding: .utf8)
    let p = try TestSupport.pipeline("combined", [path], in: dir, minCount: 1)
    _ = try await Runner(pipeline: p).run()
    try (line("10:00:00") + line("10:10:00") + line("10:35:00") + line("11:30:00")).write(toFile: path, atomically: false, encoding: .utf8)
    let second = try await Runner(pipeline: p).run()
    let sessions = try Store(path: p.store).sessions()
    #expect(sessions.map(\.events) == [3, 1], "10:00-10:35 is one session across the two runs; 11:30 starts another")
    let daily = TestSupport.csvRows(try TestSupport.gunzip(second.exports[0].directory + "/daily_activity.csv.gz"))
    #expect(daily[1][3] == "2" && daily[1][5] == "1", "2 sessions, 1 bounce")
}
