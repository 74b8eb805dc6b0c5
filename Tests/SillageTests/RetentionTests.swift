import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest
@testable import SillageStore
@testable import SillagePipeline

/// Day (UTC seconds at noon) `n` days after 2026-03-26, the generator's default start.
private func day(_ n: Int) -> Int64 { Int64(CivilTime.days(year: 2026, month: 3, day: 26) + n) * 86400 + 12 * 3600 }

/// A store filled from 4 generated days of web and Moodle activity.
private func filledStore(_ dir: String, policy: RetentionPolicy) async throws -> (PipelineDefinition, RunReport) {
    try TestSupport.generateLogs(into: dir + "/gen/web", ["--seed", "71", "--learners", "50", "--days", "4", "--activity", dir + "/gen/lms"])
    var p = try TestSupport.pipeline("combined", [dir + "/gen/web/access.log"], in: dir, minCount: 1)
    p.inputs.append(InputDefinition(type: "moodle-logstore", paths: [dir + "/gen/lms/logstore.csv"]))
    p.retention = policy
    var options = RunOptions()
    options.now = day(4)  // The morning after the last day: nothing is due yet.
    let report = try await Runner(pipeline: p, options: options).run()
    return (p, report)
}

@Test func retentionPurgesWhatIsDueAndTheJournalListsIt() async throws {
    let dir = TestSupport.temporaryDirectory("retention")
    defer { TestSupport.remove(dir) }
    var policy = RetentionPolicy()
    let (p, first) = try await filledStore(dir, policy: policy)
    #expect(first.retention?.total == 0, "nothing is a year old")
    policy.sessionDays = 5  // On 2026-03-31, 27 to 31 March are kept.
    let store = try Store(path: p.store)
    let before = try store.sessions(), beforeDays = try store.actorDays()
    let firstKept = Int32(CivilTime.days(year: 2026, month: 3, day: 27))
    #expect(before.contains { $0.day < firstKept } && before.contains { $0.day >= firstKept })

    let zone = try ZoneRules(identifier: p.timezone)
    let outcome = try Retention.enforce(policy, store: store, zone: zone, now: day(5), run: nil)
    #expect(outcome.keptFromDay == "2026-03-27")
    let keptFrom = Int32(CivilTime.parseISODate(outcome.keptFromDay)!)
    #expect(try store.sessions() == before.filter { $0.day >= keptFrom })
    #expect(try store.actorDays() == beforeDays.filter { $0.day >= keptFrom })
    #expect(outcome.purged["sessions"] == before.filter { $0.day < keptFrom }.count)
    #expect(outcome.purged["learnerDays"] == beforeDays.filter { $0.day < keptFrom }.count)
    #expect(outcome.anonymisedLearners == 0)
    for fact in StoredFact.all {
        guard let (kind, column) = fact.purge else { continue }
        let q = try store.database.prepare("SELECT count(*) FROM \(fact.table) WHERE \(column) < ?")
        q.bind([.integer(Int64(keptFrom))])
        _ = try q.step()
        #expect(q.int(0) == 0, "\(fact.table): rows before the cutoff remain")
        #expect(outcome.purged[kind] != nil, "\(kind) is journalled")
    }
    #expect((outcome.purged["courseActivity"] ?? 0) > 0, "dated course rows were purged too")

    let entries = try store.journalEntries(action: "retention")
    #expect(entries.count == 2, "the run's enforcement and this one")
    #expect(entries.first?.run == first.runID)
    let last = try #require(entries.last)
    #expect(last.run == nil && last.at == "2026-03-31T12:00:00Z")
    #expect(last.count == Int64(outcome.total))
    let details = try JSONParser.parse(Array(last.details.utf8), source: "journal")
    #expect(details["sessions"] == .int(Int64(outcome.purged["sessions"]!)))
    #expect(details["keptFromDay"] == .string(outcome.keptFromDay))

    // Enforcing again removes nothing more.
    #expect(try Retention.enforce(policy, store: store, zone: zone, now: day(5), run: nil).total == 0)
}

@Test func inactiveLearnersAreAnonymisedOnceAndTheirFiguresKept() async throws {
    let dir = TestSupport.temporaryDirectory("retention-inactive")
    defer { TestSupport.remove(dir) }
    var policy = RetentionPolicy()
    policy.sessionDays = 3650
    policy.inactiveLearnerDays = 10
    let (p, first) = try await filledStore(dir, policy: policy)
    let exportBefore = try TestSupport.publishedText(first.exports[0].directory)
    // A known learner: the first Moodle user of the log.
    let logstore = try String(contentsOfFile: dir + "/gen/lms/logstore.csv", encoding: .utf8)
    let userid = String(logstore.split(separator: "\n").last!.split(separator: ",", omittingEmptySubsequences: false)[12])
    let key = try MasterKey.load(path: p.keyFile)
    let known = Pseudonymiser(key: key.bytes).pseudonym(namespace: MoodleLogstoreParser.userNamespace, identifier: userid)
    do {
        let store = try Store(path: p.store)
        let before = try store.sessions()
        let actorsBefore = Set(before.map(\.actor))
        #expect(try store.facts().courseActivity.keys.contains { $0.actor == known })

        let zone = try ZoneRules(identifier: p.timezone)
        let outcome = try Retention.enforce(policy, store: store, zone: zone, now: day(20), run: nil)
        #expect(outcome.anonymisedLearners > actorsBefore.count / 2)
        let after = try store.sessions()
        #expect(after.count == before.count, "the figures stay, under other pseudonyms")
        #expect(Set(after.map(\.actor)).isDisjoint(with: actorsBefore))
        #expect(!(try store.facts().courseActivity.keys.contains { $0.actor == known }))
        #expect(
            try Retention.enforce(policy, store: store, zone: zone, now: day(40), run: nil).anonymisedLearners == 0,
            "a random pseudonym is not anonymised again")
    }
    // Aggregates do not change: the next export is the same, byte for byte.
    var options = RunOptions()
    options.now = day(40)
    let again = try await Runner(pipeline: p, options: options).run()
    #expect(try TestSupport.publishedText(again.exports[0].directory) == exportBefore)
}

@Test func rejectSamplesFollowTheRawLogRetention() async throws {
    let dir = TestSupport.temporaryDirectory("retention-rejects")
    defer { TestSupport.remove(dir) }
    let good = "192.0.2.1 - - [26/Mar/2026:10:00:00 +0100] \"GET /my/ HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
    try (String(repeating: good, count: 40) + "not a log line\n").write(toFile: dir + "/access.log", atomically: false, encoding: .utf8)
    var p = try TestSupport.pipeline("combined", [dir + "/access.log"], in: dir, minCount: 1)
    p.retention.rawLogDays = 30
    let report = try await Runner(pipeline: p).run()
    let rejects = try #require(report.rejectFile)
    #expect(FileManager.default.fileExists(atPath: rejects))
    let store = try Store(path: p.store)
    let zone = try ZoneRules(identifier: p.timezone)
    let now = Clock.nowSeconds()
    #expect(try Retention.enforce(p.retention, store: store, zone: zone, now: now + 29 * 86400, run: nil).rejectFilesDeleted == 0)
    #expect(FileManager.default.fileExists(atPath: rejects))
    #expect(try Retention.enforce(p.retention, store: store, zone: zone, now: now + 31 * 86400, run: nil).rejectFilesDeleted == 1)
    #expect(!FileManager.default.fileExists(atPath: rejects))
}

/// Every table of the schema that holds a learner's rows or an input's rows is declared in
/// `StoredFact`, so erasure, anonymisation, --reprocess and retention cannot miss it.
@Test func everyTableWithLearnersOrInputsIsDeclared() throws {
    let dir = TestSupport.temporaryDirectory("stored-facts")
    defer { TestSupport.remove(dir) }
    let store = try Store(path: dir + "/store.sqlite")
    let tables = try store.database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    var columns: [String: Set<String>] = [:]
    while try tables.step() { columns[tables.text(0)] = [] }
    for table in columns.keys {
        let info = try store.database.prepare("SELECT name FROM pragma_table_info('\(table)')")
        while try info.step() { columns[table, default: []].insert(info.text(0)) }
    }
    // Who objected or was anonymised is kept on purpose: that is how they stay so.
    let lists: Set<String> = ["opt_outs", "anonymised"]
    let withActor = Set(columns.filter { $0.value.contains("actor") }.keys).subtracting(lists)
    #expect(withActor == Set(StoredFact.actorTables))
    // Sessions and their parts are rebuilt from the other inputs' parts, not deleted by input.
    let withInput = Set(columns.filter { $0.value.contains("input") }.keys).subtracting(["sessions", "session_parts"])
    #expect(withInput == Set(StoredFact.inputTables))
    for fact in StoredFact.all {
        #expect(columns[fact.table] != nil, "\(fact.table) is not in the schema")
        if let purge = fact.purge {
            let column = String(purge.column.prefix { $0 != " " })
            #expect(columns[fact.table]?.contains(column) == true, "\(fact.table).\(column)")
        }
    }
    // Every per-learner table whose rows are dated is purged by retention; memberships are
    // not dated (they go with erasure and anonymisation), session parts go with their sessions.
    let undated = StoredFact.all.filter { $0.byActor && $0.purge == nil }.map(\.table)
    #expect(Set(undated) == ["session_parts", "memberships"])
}

/// Learners an organisations file lists but who were never active have no trace to be old:
/// the run that loads them does not anonymise them as inactive (it did all of them).
@Test func learnersKnownOnlyFromTheirOrganisationAreNotInactive() async throws {
    let dir = TestSupport.temporaryDirectory("organisation-only")
    defer { TestSupport.remove(dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try "userid,organisation\n100,CFA Métiers du Numérique\n101,Mission locale Est\n102,Mission locale Est\n".write(
        toFile: dir + "/o.csv", atomically: true, encoding: .utf8)
    var p = try TestSupport.pipeline("organisations", [dir + "/o.csv"], in: dir)
    p.retention.inactiveLearnerDays = 30
    p.exports = []
    for _ in 0..<2 {
        let report = try await Runner(pipeline: p).run()
        #expect(report.retention?.anonymisedLearners == 0, "\(String(describing: report.retention))")
    }
}
