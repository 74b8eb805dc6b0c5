import Foundation
import Testing
@testable import SillageCore
@testable import SillageIngest
@testable import SillageMetrics
@testable import SillageStore
@testable import SillagePipeline

// The Runner's phases, each on its own: planning inputs, tallying a file's slices against the
// reject limit, opening files at their resume point, assembling batches, reprocessing.

private let line = "192.0.2.1 - - [29/Mar/2026:10:00:00 +0200] \"GET /my/ HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"

@Test func anInputPlanListsStreamsInOrderOfFirstUseAndNamesTheBadPattern() throws {
    let dir = TestSupport.temporaryDirectory("plan")
    defer { TestSupport.remove(dir) }
    try Data(line.utf8).write(to: URL(fileURLWithPath: dir + "/a.log"))
    var p = try TestSupport.pipeline("combined", [dir + "/a.log"], in: dir)
    p.inputs.append(InputDefinition(type: "xapi", paths: [dir + "/a.log"]))
    p.inputs.append(InputDefinition(type: "common", paths: [dir + "/a.log"]))
    let plan = try InputPlan.make(p)
    #expect(plan.streams == ["web", "lms"])
    #expect(plan.streamIndex("lms") == 1 && plan.streamIndex("web") == 0)
    #expect(plan.files.count == 3 && plan.allFiles.count == 3)
    var missing = InputDefinition(type: "combined", paths: [dir + "/a.log", dir + "/nope*.log"])
    missing.location = "$.inputs[1]"
    #expect(throws: SillageError.self) { try InputPlan.files(of: missing) }
    do {
        _ = try InputPlan.files(of: missing)
    } catch {
        #expect(error.location == "$.inputs[1].paths: \(dir)/nope*.log")
    }
}

@Test func aPlanRefusesMoreStreamsThanAnEventCanName() throws {
    var p = PipelineDefinition()
    p.inputs = (0..<256).map { i in
        var input = InputDefinition(type: "combined", paths: ["-"])
        input.stream = "s\(i)"
        return input
    }
    #expect(throws: SillageError.self) { try InputPlan.make(p) }
    p.inputs.removeLast()
    #expect(try InputPlan.make(p).streams.count == 255)
}

/// A slice of `events` events and `rejects` rejects (with their samples).
private func slice(events: Int, rejects: Int, firstLine: Int = 1) -> FileIngest {
    var s = FileIngest()
    s.events = (0..<events).map { Event(time: Int64($0), actor: ActorKey(high: 1, low: UInt64($0)), day: 0, stream: 0, kind: .pageView) }
    s.counts[reject: .malformedLine] = rejects
    s.lines = events + rejects
    s.rejectSamples = (0..<rejects).map { RejectSample(line: firstLine + $0, reason: .malformedLine) }
    s.rejectedBytes = (0..<rejects).map { _ in Array("bad line".utf8) }
    return s
}

@Test(arguments: [
    // (events, rejects, limit, fails): 20 records or more compare the rate; fewer fail only when all are rejected.
    (95, 5, 0.05, false), (94, 6, 0.05, true), (0, 19, 0.05, true), (1, 18, 0.05, false), (0, 0, 0.0, false), (80, 20, 0.25, false),
])
func theRejectLimitJudgesTheFileSoFar(events: Int, rejects: Int, limit: Double, fails: Bool) {
    var tally = FileTally()
    _ = tally.add(slice(events: events, rejects: rejects))
    #expect(tally.records == events + rejects)
    let check = { () throws(SillageError) in try RejectRateLimit(maxRate: limit).check(tally, declaredType: "combined", file: "a.log") }
    if fails {
        #expect(throws: SillageError.self) { try check() }
    } else {
        #expect(throws: Never.self) { try check() }
    }
}

@Test func theRejectMessageSaysWhatWasCommittedAndKeepsOnlyTheFirstSamples() throws {
    var tally = FileTally()
    let first = tally.add(slice(events: 10, rejects: 15))
    tally.committedSlices = 1
    let second = tally.add(slice(events: 10, rejects: 15, firstLine: 26))
    #expect(first.count == 15 && second.count == ChunkResult.maxSamples - 15)
    #expect(tally.rejectSamples.count == ChunkResult.maxSamples && tally.rejectedBytes.count == ChunkResult.maxSamples)
    do {
        try RejectRateLimit(maxRate: 0.05).check(tally, declaredType: "combined", file: "a.log")
        Issue.record("expected the limit to be exceeded")
    } catch {
        #expect(error.exitCode == 3 && error.location == "a.log")
        #expect(error.message.hasPrefix("60% of 50 records rejected (malformed-line: 30; first at line 1, line 2, line 3)"))
        #expect(error.message.contains("the first 1 batch(es) of this file"))
        #expect(!error.message.contains("bad line"))
    }
}

@Test func aBatchCarriesTheDayCountsOfItsStreamAndForgetsOldViews() {
    let actor = ActorKey(high: 7, low: 7)
    let old = ActivityFacts.ActorObject(actor: actor, object: "page:1")
    let recent = ActivityFacts.ActorObject(actor: actor, object: "page:2")
    let end: Int64 = 10_000_000
    var assembler = BatchAssembler(gap: 1_800_000, recentViews: [old: 1_000, recent: end - 1_000], latestSessionEnd: end)
    var s = FileIngest()
    s.daily[20_000, default: DailyCounts()].events = 3
    s.references = [.catalogue(key: "course:1", course: "course:1", name: "Cours", position: nil)]
    let session = Session(stream: "lms", actor: actor, start: end, end: end + 60_000, day: 20_000, events: 3, pages: 2, agentClass: .unknown)
    let output = Sessioniser.Output(sessions: [session], days: [], facts: ActivityFacts())
    let entry = LedgerEntry(fingerprint: "f", path: "a.log", device: 1, inode: 2, size: 10, offset: 10, lines: 1, isGzip: false)
    let batch = assembler.batch(output, slice: s, stream: "lms", ledger: entry)
    #expect(batch.daily == [Store.DailyKey(day: 20_000, stream: "lms"): s.daily[20_000]!])
    #expect(batch.gap == 1_800_000 && batch.sessions == [session] && batch.references == s.references)
    #expect(batch.ledger?.offset == 10)
    // Views older than the double-click window before the latest session end are not carried.
    #expect(Set(batch.recentViews.keys) == [recent])
    #expect(assembler.recentViews == batch.recentViews)
}

@Test func anEmptyStoreWithNoSessionKeepsItsViews() {
    let view = ActivityFacts.ActorObject(actor: ActorKey(high: 1, low: 1), object: "page:1")
    var assembler = BatchAssembler(gap: 60_000, recentViews: [view: 5], latestSessionEnd: nil)
    let batch = assembler.batch(Sessioniser.Output(sessions: [], days: [], facts: ActivityFacts()), slice: FileIngest(), stream: "web", ledger: nil)
    #expect(batch.recentViews == [view: 5] && batch.ledger == nil)
}

@Test func theOpenerSkipsEmptyFilesAndContentReadEarlierInTheRun() throws {
    let dir = TestSupport.temporaryDirectory("opener")
    defer { TestSupport.remove(dir) }
    try Data().write(to: URL(fileURLWithPath: dir + "/empty.log"))
    try Data(line.utf8).write(to: URL(fileURLWithPath: dir + "/a.log"))
    try Data(line.utf8).write(to: URL(fileURLWithPath: dir + "/copy.log"))
    let store = try Store(path: dir + "/store.sqlite")
    var opener = FileOpener(ledger: try store.ledgerEntries())
    var notices: [String] = []
    var empty = FileReport(input: 0, path: "", status: .read)
    #expect(try opener.identify(dir + "/empty.log", report: &empty, notices: &notices) == nil)
    #expect(empty.note == "empty file" && empty.status == .read)
    var first = FileReport(input: 0, path: "", status: .read)
    let identified = try #require(try opener.identify(dir + "/a.log", report: &first, notices: &notices))
    #expect(identified.head == Array(line.utf8) && !identified.isStream)
    let positioned = try #require(try opener.position(identified, store: store, window: nil, report: &first, notices: &notices))
    #expect(positioned.startOffset == 0 && positioned.startLine == 0 && positioned.entry.id == nil && first.status == .read)
    var copy = FileReport(input: 0, path: "", status: .read)
    #expect(try opener.identify(dir + "/copy.log", report: &copy, notices: &notices) == nil)
    #expect(copy.status == .alreadyRead)
    #expect(notices == ["\(dir)/copy.log: same content as \(dir)/a.log; not read twice"])
    #expect(opener.truncationNotices().isEmpty)
}

@Test func reprocessingChecksEveryPathBeforeRemovingAnything() async throws {
    let dir = TestSupport.temporaryDirectory("reprocess-check")
    defer { TestSupport.remove(dir) }
    try Data(String(repeating: line, count: 3).utf8).write(to: URL(fileURLWithPath: dir + "/a.log"))
    let p = try TestSupport.pipeline("combined", [dir + "/a.log"], in: dir, minCount: 1)
    _ = try await Runner(pipeline: p).run()
    let store = try Store(path: p.store)
    let sessions = try store.count("sessions")
    #expect(sessions == 1)
    let both = Reprocessing(paths: [dir + "/a.log", dir + "/not-an-input.log"])
    #expect(throws: SillageError.self) { try both.removeContributions(files: [dir + "/a.log"], store: store, gap: 1_800_000, run: 99) }
    #expect(try store.count("sessions") == sessions)
    #expect(try store.journalEntries(action: "reprocess").isEmpty)
    let notices = try Reprocessing(paths: [dir + "/a.log"]).removeContributions(files: [dir + "/a.log"], store: store, gap: 1_800_000, run: 99)
    #expect(notices.count == 1 && notices[0].hasPrefix("\(dir)/a.log: removed what it contributed before (1 sessions"))
    #expect(try store.count("sessions") == 0)
    #expect(try store.journalEntries(action: "reprocess").count == 1)
}

/// Records what a run reports as progress.
private final class RecordingProgress: ProgressSink, @unchecked Sendable {
    var updates: [(file: String, done: Int64, total: Int64?)] = []
    func update(file: String, bytesDone: Int64, bytesTotal: Int64?) { updates.append((file, bytesDone, bytesTotal)) }
    func finishFile() {}
    func phase(_ description: String) {}
}

/// Progress counts decompressed bytes across all the files of a run: it never goes back
/// from one file to the next, and ends at the total it announced (a gzip file's size is
/// read from its trailer, not taken as its compressed size, and corrected once read).
@Test func progressCountsDecompressedBytesAcrossTheRunsFiles() async throws {
    let dir = TestSupport.temporaryDirectory("progress")
    defer { TestSupport.remove(dir) }
    let logs = ["access.log", "access.log.1", "access.log.2.gz"].map { TestSupport.packageRoot + "/SampleLogs/web/" + $0 }
    let runner = Runner(pipeline: try TestSupport.pipeline("combined", logs, in: dir), options: RunOptions())
    let progress = RecordingProgress()
    runner.progress = progress
    _ = try await runner.run()
    let plain = try logs.prefix(2).map { try Data(contentsOf: URL(fileURLWithPath: $0)).count }
    var gzip = try InputFiles.open(logs[2]).reader
    let unzipped = try readAll(&gzip, bufferSize: 65536).count
    let total = Int64(plain.reduce(0, +) + unzipped)
    #expect(Set(progress.updates.map(\.file)).count == 3)
    // The sample's gzip file has two members: its trailer records the last one only, so
    // the total is corrected once the file is read.
    #expect(progress.updates.allSatisfy { ($0.total ?? 0) >= $0.done && ($0.total ?? 0) <= total })
    #expect(progress.updates.first?.total == Int64(plain.reduce(0, +)) + RunBytes.expectedSize(logs[2])!)
    #expect(progress.updates.last?.total == total)
    #expect(zip(progress.updates, progress.updates.dropFirst()).allSatisfy { $0.done <= $1.done })
    #expect(progress.updates.last?.done == total)
}
