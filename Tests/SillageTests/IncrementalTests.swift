import Foundation
import Testing
@testable import SillageCore
@testable import SillageStore
@testable import SillagePipeline

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
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(
        into: dir + "/gen/web",
        [
            "--seed", String(seed + 40), "--learners", "70", "--days", "4",
            "--activity", dir + "/gen/lms",
        ])
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
        Issue.record(
            "\(name) differs after \(batches) batches (web cuts \(webCuts), logstore cuts \(storeCuts))\n\(left.prefix(600))\n---\n\(right.prefix(600))"
        )
    }
}

@Test func aSessionSpanningTwoRunsIsOneSession() async throws {
    let dir = TestSupport.temporaryDirectory("spanning")
    defer { TestSupport.remove(dir) }
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

/// A generated web log cut at line boundaries into `parts` pieces, oldest first.
private func webPieces(_ dir: String, seed: Int, parts: Int) throws -> [Data] {
    try TestSupport.generateLogs(into: dir + "/gen", ["--seed", String(seed), "--learners", "60", "--days", "3"])
    let web = try Data(contentsOf: URL(fileURLWithPath: dir + "/gen/access.log"))
    let newlines = web.indices.filter { web[$0] == 0x0A }
    var cuts = (1..<parts).map { newlines[newlines.count * $0 / parts] + 1 }
    cuts = [0] + cuts + [web.count]
    return (0..<parts).map { web.subdata(in: cuts[$0]..<cuts[$0 + 1]) }
}

private func write(_ data: Data, _ path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try data.write(to: URL(fileURLWithPath: path))
}

/// The export of one run over `content` as a single access.log, in a directory of its own.
private func referenceExport(_ dir: String, _ content: Data) async throws -> [String: Data] {
    try write(content, dir + "/access.log")
    let report = try await Runner(pipeline: try TestSupport.pipeline("combined", [dir + "/access.log"], in: dir, minCount: 2)).run()
    return try exportFiles(report.exports[0].directory)
}

private func expectSameExport(_ a: [String: Data], _ b: [String: Data], _ what: String) {
    #expect(a.keys.sorted() == b.keys.sorted(), "\(what): same files")
    for name in a.keys.sorted() {
        #expect(a[name] == b[name], "\(what): \(name) differs")
    }
}

/// Batches of a few kilobytes (sessions cut and merged again on commit) give the export of
/// one batch per file.
@Test func smallBatchesGiveTheSameExport() async throws {
    let dir = TestSupport.temporaryDirectory("batches")
    defer { TestSupport.remove(dir) }
    let pieces = try webPieces(dir, seed: 61, parts: 1)
    let reference = try await referenceExport(dir + "/ref", pieces[0])
    try write(pieces[0], dir + "/small/access.log")
    var options = RunOptions(chunkSize: 1024)
    options.batchBytes = 3000
    let report = try await Runner(
        pipeline: try TestSupport.pipeline("combined", [dir + "/small/access.log"], in: dir + "/small", minCount: 2),
        options: options
    ).run()
    expectSameExport(reference, try exportFiles(report.exports[0].directory), "3 kB batches")
    #expect(report.batches > 20, "\(report.batches) batches")
    let store = try Store(path: dir + "/small/store.sqlite")
    #expect(try store.count("session_parts") == 0, "sessions of one input need no parts")
}

/// Files arriving out of time order, one run each, newest first, give one in-order run's export.
@Test func lateFilesJoinTheSessionsAlreadyStored() async throws {
    let dir = TestSupport.temporaryDirectory("late")
    defer { TestSupport.remove(dir) }
    let pieces = try webPieces(dir, seed: 62, parts: 4)
    let reference = try await referenceExport(dir + "/ref", pieces.reduce(Data(), +))
    let p = try TestSupport.pipeline("combined", [dir + "/late/access-*.log"], in: dir + "/late", minCount: 2)
    var last: RunReport? = nil
    for i in [3, 1, 0, 2] {
        try write(pieces[i], dir + "/late/access-\(i).log")
        last = try await Runner(pipeline: p).run()
    }
    expectSameExport(reference, try exportFiles(try #require(last).exports[0].directory), "late files")
}

/// `--reprocess` of an unchanged file changes nothing; of a corrected file, gives what a
/// fresh store reading the corrected file gives — also when its sessions continue in
/// another file.
@Test func reprocessingReplacesAFilesContribution() async throws {
    let dir = TestSupport.temporaryDirectory("reprocess")
    defer { TestSupport.remove(dir) }
    let pieces = try webPieces(dir, seed: 63, parts: 2)
    let reference = try await referenceExport(dir + "/ref", pieces[0] + pieces[1])
    let run = dir + "/run"
    let p = try TestSupport.pipeline("combined", [run + "/access.log*"], in: run, minCount: 2)
    // The older file first arrives damaged after its first 8 kB: a third of its lines lost.
    let lines = pieces[0].split(separator: 0x0A, omittingEmptySubsequences: false)
    var damaged = Data()
    for (i, line) in lines.enumerated() where !line.isEmpty && (damaged.count < 8192 || i % 3 != 0) { damaged += line + [0x0A] }
    try write(damaged, run + "/access.log.1")
    try write(pieces[1], run + "/access.log")
    let first = try await Runner(pipeline: p).run()
    #expect(try exportFiles(first.exports[0].directory) != reference)
    #expect(try Store(path: p.store).count("session_parts") > 0, "some sessions continue from one file into the other")

    // Unchanged file: the same sessions and export after taking it out and reading it again.
    let before = try Store(path: p.store).sessions()
    var options = RunOptions()
    options.reprocess = [run + "/access.log"]
    let again = try await Runner(pipeline: p, options: options).run()
    #expect(again.notices.contains { $0.contains("access.log: removed what it contributed before") })
    #expect(again.files.first { $0.path.hasSuffix("access.log") }?.lines == pieces[1].filter { $0 == 0x0A }.count)
    #expect(try Store(path: p.store).sessions() == before)
    #expect(try exportFiles(again.exports[0].directory) == exportFiles(first.exports[0].directory))

    // Corrected file: same head, so a plain run would resume it; --reprocess reads it whole.
    try write(pieces[0], run + "/access.log.1")
    options.reprocess = [run + "/./access.log.1"]  // another spelling of the same file
    let fixed = try await Runner(pipeline: p, options: options).run()
    expectSameExport(reference, try exportFiles(fixed.exports[0].directory), "corrected file reprocessed")
    #expect(try Store(path: p.store).count("inputs") == 2)
}

/// Truncates `path` in place (same inode, as copytruncate does) and writes `content` into it.
private func rewriteInPlace(_ path: String, _ content: Data) throws {
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: content)
    try handle.close()
}

/// A log rotated by copytruncate: the lines written between the last run and the copy are
/// read from the copy, the truncated file from its start, nothing twice.
@Test func copytruncateRotationLosesAndDoublesNothing() async throws {
    let dir = TestSupport.temporaryDirectory("copytruncate")
    defer { TestSupport.remove(dir) }
    let pieces = try webPieces(dir, seed: 64, parts: 3)
    let reference = try await referenceExport(dir + "/ref", pieces.reduce(Data(), +))
    let run = dir + "/run"
    let p = try TestSupport.pipeline("combined", [run + "/access.log*"], in: run, minCount: 2)
    try write(pieces[0], run + "/access.log")
    _ = try await Runner(pipeline: p).run()
    // logrotate copies the file (with lines written since), then truncates it in place.
    try write(pieces[0] + pieces[1], run + "/access.log.1")
    try rewriteInPlace(run + "/access.log", pieces[2])
    let report = try await Runner(pipeline: p).run()
    #expect(report.notices.contains { $0.contains("access.log: truncated and rewritten in place") && $0.contains("found in \(run)/access.log.1") })
    #expect(report.files.map(\.status) == [.resumed, .read])
    expectSameExport(reference, try exportFiles(report.exports[0].directory), "copytruncate")

    // Without the rotated copy among the inputs, the operator is told what may be missing.
    let alone = dir + "/alone"
    let q = try TestSupport.pipeline("combined", [alone + "/access.log"], in: alone, minCount: 2)
    try write(pieces[0], alone + "/access.log")
    _ = try await Runner(pipeline: q).run()
    try rewriteInPlace(alone + "/access.log", pieces[2])
    let warned = try await Runner(pipeline: q).run()
    #expect(
        warned.notices.contains { $0.contains("Lines added to its earlier content after byte \(pieces[0].count) are read only if the rotated copy") })
}

/// A file read while growing and then rotated straight to gzip is resumed inside the gzip
/// stream; a gzip file read whole is never read again.
@Test func aGrowingFileRotatedToGzipIsResumedInsideIt() async throws {
    let dir = TestSupport.temporaryDirectory("rotate-gzip")
    defer { TestSupport.remove(dir) }
    let pieces = try webPieces(dir, seed: 65, parts: 3)
    let reference = try await referenceExport(dir + "/ref", pieces.reduce(Data(), +))
    let run = dir + "/run"
    let p = try TestSupport.pipeline("combined", [run + "/access.log*"], in: run, minCount: 2)
    try write(pieces[0], run + "/access.log")
    _ = try await Runner(pipeline: p).run()
    try FileManager.default.removeItem(atPath: run + "/access.log")
    try write(Data(try GzipWriter.compress(Array(pieces[0] + pieces[1]))), run + "/access.log.1.gz")
    try write(pieces[2], run + "/access.log")
    let report = try await Runner(pipeline: p).run()
    #expect(report.files.map(\.status) == [.resumed, .read])
    expectSameExport(reference, try exportFiles(report.exports[0].directory), "rotated to gzip")
    let third = try await Runner(pipeline: p).run()
    #expect(third.files.map(\.status) == [.alreadyRead, .alreadyRead])
    #expect(third.records == 0)
}

@Test func aDryRunCommitsAndPublishesNothing() async throws {
    let dir = TestSupport.temporaryDirectory("dry-run")
    defer { TestSupport.remove(dir) }
    let pieces = try webPieces(dir, seed: 66, parts: 1)
    try write(pieces[0], dir + "/access.log")
    var options = RunOptions()
    options.dryRun = true
    let p = try TestSupport.pipeline("combined", [dir + "/access.log"], in: dir, minCount: 2)
    let report = try await Runner(pipeline: p, options: options).run()
    #expect(report.events > 0 && report.sessions > 0 && report.exports.isEmpty)
    let store = try Store(path: p.store)
    for table in ["inputs", "sessions", "session_parts", "actor_days", "daily_counts"] { #expect(try store.count(table) == 0, "\(table)") }
    #expect(!FileManager.default.fileExists(atPath: p.output))
    #expect(RunSummary.text(report).contains("not committed (dry run)"))
}

/// `--since/--until` read only their days and leave the others unread: a window, then a
/// full run, gives the export of one full run (the window marked the whole file read, so
/// the full run read nothing); two windows, then a full run, too; nothing is counted twice.
@Test(arguments: [["2026-03-31"], ["2026-04-01", "2026-03-31"], ["2026-04-01", "2026-04-01"]])
func windowsThenAFullRunEqualOneFullRun(days: [String]) async throws {
    let dir = TestSupport.temporaryDirectory("window-then-full")
    defer { TestSupport.remove(dir) }
    let logs = ["access.log", "access.log.1", "access.log.2.gz"].map { TestSupport.packageRoot + "/SampleLogs/web/" + $0 }
    for run in ["once", "windowed"] { try FileManager.default.createDirectory(atPath: "\(dir)/\(run)", withIntermediateDirectories: true) }
    let once = try await Runner(pipeline: try TestSupport.pipeline("combined", logs, in: dir + "/once", minCount: 2)).run()
    let p = try TestSupport.pipeline("combined", logs, in: dir + "/windowed", minCount: 2)
    let day = { (text: String) in Int32(try #require(CivilTime.parseISODate(text))) }
    var inWindow = 0
    for text in days {
        var options = RunOptions()
        options.window = try day(text)...day(text)
        let windowed = try await Runner(pipeline: p, options: options).run()
        inWindow = windowed.events
        #expect(windowed.events > 0)
    }
    let full = try await Runner(pipeline: p).run()
    #expect(full.events > inWindow)
    let a = try exportFiles(once.exports[0].directory), b = try exportFiles(full.exports[0].directory)
    #expect(a.keys.sorted() == b.keys.sorted())
    for name in a.keys.sorted() { #expect(a[name] == b[name], "\(name) differs from one full run") }
    // And a run after that reads nothing new.
    #expect(try await Runner(pipeline: p).run().events == 0)
}

/// A file shorter than the fingerprint window, read within a window and then grown, is
/// still recognised: the full run takes the windowed reading out instead of counting it
/// again.
@Test func aShortFileReadInAWindowThenGrownIsCountedOnce() async throws {
    let dir = TestSupport.temporaryDirectory("window-short")
    defer { TestSupport.remove(dir) }
    let line = { (day: Int, n: Int) in
        "192.0.2.\(n) - - [\(day)/Mar/2026:10:00:00 +0200] \"GET /mod/page/view.php?id=\(n) HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0\"\n"
    }
    let first = (1...5).map { line(29, $0) }.joined() + (1...5).map { line(30, $0) }.joined()
    let grown = first + (1...5).map { line(31, $0) }.joined()
    for run in ["once", "windowed"] { try FileManager.default.createDirectory(atPath: "\(dir)/\(run)", withIntermediateDirectories: true) }
    try grown.write(toFile: dir + "/once/access.log", atomically: true, encoding: .utf8)
    let once = try await Runner(pipeline: try TestSupport.pipeline("combined", [dir + "/once/access.log"], in: dir + "/once", minCount: 1)).run()
    let path = dir + "/windowed/access.log"
    let p = try TestSupport.pipeline("combined", [path], in: dir + "/windowed", minCount: 1)
    try first.write(toFile: path, atomically: false, encoding: .utf8)
    var options = RunOptions()
    let day = Int32(try #require(CivilTime.parseISODate("2026-03-30")))
    options.window = day...day
    #expect(try await Runner(pipeline: p, options: options).run().events == 5)
    try grown.write(toFile: path, atomically: false, encoding: .utf8)
    let full = try await Runner(pipeline: p).run()
    #expect(full.events == 15)
    #expect(try exportFiles(once.exports[0].directory) == exportFiles(full.exports[0].directory))
}
