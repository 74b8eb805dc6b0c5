import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest
@testable import SillageStore
@testable import SillagePipeline

/// A store filled from generated web and Moodle activity, and its busiest learner's Moodle id.
private func filled(_ dir: String) async throws -> (PipelineDefinition, String) {
    try TestSupport.generateLogs(into: dir + "/gen/web", ["--seed", "81", "--learners", "40", "--days", "3", "--activity", dir + "/gen/lms"])
    var p = try TestSupport.pipeline("combined", [dir + "/gen/web/access.log"], in: dir, minCount: 1)
    p.inputs.append(InputDefinition(type: "moodle-logstore", paths: [dir + "/gen/lms/logstore.csv"]))
    _ = try await Runner(pipeline: p).run()
    let rows = try String(contentsOfFile: dir + "/gen/lms/logstore.csv", encoding: .utf8).split(separator: "\n").dropFirst()
    var counts: [String: Int] = [:]
    for row in rows { counts[String(row.split(separator: ",", omittingEmptySubsequences: false)[12]), default: 0] += 1 }
    let busiest = counts.filter { Int($0.key).map { $0 > 100 } ?? false }.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
    return (p, busiest)
}

/// The Moodle user `userid` as a request names them, and their pseudonym under the pipeline's key.
private func learner(_ p: PipelineDefinition, _ userid: String) throws -> (Pseudonymiser, PersonIdentifier, ActorKey) {
    let pseudonymiser = Pseudonymiser(key: try MasterKey.load(path: p.keyFile).bytes)
    let person = try PersonIdentifier(namespace: MoodleLogstoreParser.userNamespace, userid)
    return (pseudonymiser, person, person.pseudonym(pseudonymiser))
}

/// Rows keyed by `actor` in every table that keys rows by learner.
private func rows(of actor: ActorKey, in store: Store) throws -> Int {
    var n = 0
    for table in StoredFact.actorTables {
        let q = try store.database.prepare("SELECT count(*) FROM \(table) WHERE actor = ?")
        q.bindActor(1, actor)
        _ = try q.step()
        n += Int(q.int(0))
        q.reset()
    }
    return n
}

@Test func forgetThenReRunDoesNotBringThePersonBack() async throws {
    let dir = TestSupport.temporaryDirectory("forget")
    defer { TestSupport.remove(dir) }
    let (p, userid) = try await filled(dir)
    let (pseudonymiser, person, actor) = try learner(p, userid)
    let others: Int
    do {
        let store = try Store(path: p.store)
        let before = try rows(of: actor, in: store)
        #expect(before > 10)
        others = try store.sessions().filter { $0.actor != actor }.count
        let outcome = try Erasure.forget([person], store: store, pseudonymiser: pseudonymiser)
        #expect(outcome.rows == before && outcome.people == 1 && outcome.alreadyOptedOut == 0)
        #expect(try rows(of: actor, in: store) == 0)
        #expect(try store.sessions().count == others, "nobody else's sessions were touched")
        #expect(try store.optOuts().contains(actor))
    }
    // Reading the same logstore again (and a copy of it under another name) does not bring them back.
    var options = RunOptions()
    options.reprocess = [dir + "/gen/lms/logstore.csv"]
    let again = try await Runner(pipeline: p, options: options).run()
    #expect(again.counts[skip: .optedOut] > 10)
    let store = try Store(path: p.store)
    #expect(try rows(of: actor, in: store) == 0)
    #expect(try store.sessions().count == others)

    // Asking twice is harmless, and the journal names nobody.
    let twice = try Erasure.forget([person], store: store, pseudonymiser: pseudonymiser)
    #expect(twice.rows == 0 && twice.alreadyOptedOut == 1)
    let erasures = try store.journalEntries(action: "erasure")
    #expect(erasures.count == 2)
    let journal = try store.journalEntries().map { "\($0.subject) \($0.details)" }.joined(separator: "\n")
    #expect(!journal.contains(actor.hex) && !journal.contains("\"\(userid)\""))
}

@Test func accessReturnsExactlyThatPersonsSessions() async throws {
    let dir = TestSupport.temporaryDirectory("access")
    defer { TestSupport.remove(dir) }
    let (p, userid) = try await filled(dir)
    let (pseudonymiser, person, actor) = try learner(p, userid)
    let store = try Store(path: p.store)
    let theirs = try store.sessions().filter { $0.actor == actor }
    #expect(theirs.count > 2)
    let outcome = try AccessRequest.answer(
        [(person, userid)], store: store, pseudonymiser: pseudonymiser,
        zone: try ZoneRules(identifier: p.timezone), to: dir + "/answer")
    #expect(
        outcome.files == [
            "person.json", "sessions.csv", "learner_days.csv", "courses.csv", "activity_completions.csv",
            "course_days.csv", "content_views.csv", "searches.csv", "recent_views.csv",
        ])
    let csv = TestSupport.csvRows(try String(contentsOfFile: dir + "/answer/sessions.csv", encoding: .utf8))
    #expect(csv.count == theirs.count + 1)
    for (row, s) in zip(csv.dropFirst(), theirs.sorted { ($0.stream, $0.start) < ($1.stream, $1.start) }) {
        #expect(
            row == [
                "moodle-userid:" + userid, s.stream, Clock.iso(s.start / 1000), Clock.iso(s.end / 1000), CivilTime.isoDate(days: Int(s.day)),
                String(s.durationSeconds), String(s.events), String(s.pages), s.agentClass.name,
            ])
    }
    let json = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/answer/person.json"))), source: "person.json")
    guard case .array(let sessions)? = json["sessions"] else { Issue.record("no sessions array"); return }
    #expect(sessions.count == theirs.count)
    #expect(sessions.first?["events"] == .int(Int64(theirs.sorted { ($0.stream, $0.start) < ($1.stream, $1.start) }[0].events)))
    // Private: the directory and its files are the owner's only.
    var info = stat()
    #expect(stat(dir + "/answer", &info) == 0 && info.st_mode & 0o777 == 0o700)
    #expect(stat(dir + "/answer/sessions.csv", &info) == 0 && info.st_mode & 0o777 == 0o600)
    #expect(try store.journalEntries(action: "access").count == 1)
}

@Test(arguments: [
    ("moodle-userid", "42", "42"),
    ("xapi-mbox", "Jean.Dupont@Example.fr", "mailto:jean.dupont@example.fr"),
    ("xapi-mbox", "mailto:a@b.fr", "mailto:a@b.fr"),
    ("xapi-account", "https://lms.example.fr|u42", "https://lms.example.fr\u{0}u42"),
    ("xapi-account", "https://lms.example.fr/|u42", "https://lms.example.fr\u{0}u42"),
    ("xapi-account", "|u42", "u42"),
    ("xapi-mbox", " STRASSE@Example.fr", "mailto:strasse@example.fr"),
    ("xapi-mbox", "Straße@example.fr", "mailto:strasse@example.fr"),
    ("xapi-mbox", "E\u{0301}lodie@example.fr", "mailto:élodie@example.fr"),
    ("web-user", "\\xC3\\xA9lodie", "élodie"),
    ("moodle-fullname", " Jean\u{00A0}Dupont ", "jean dupont"),
    ("moodle-userid", "058", "58"),
])
func identifiersAreReadAsTheParsersKeyThem(namespace: String, text: String, keyed: String) throws {
    #expect(try PersonIdentifier(namespace: namespace, text).bytes == Array(keyed.utf8))
}

@Test(arguments: [
    ("web-visitor", "192.0.2.1", "anonymous web visitors cannot be named"),
    ("nope", "1", "unknown namespace \"nope\""),
    ("xapi-account", "u42", "an xapi-account identifier is HOMEPAGE|NAME"),
])
func unusableIdentifiersAreRefused(namespace: String, text: String, message: String) {
    #expect { try PersonIdentifier(namespace: namespace, text) } throws: { ($0 as? SillageError)?.message.hasPrefix(message) == true }
}

/// The pseudonym `forget` and `access` compute is the one the xAPI parser gave the statement's actor.
@Test(arguments: [
    (#"{"mbox": "mailto:Jean.Dupont@Example.fr"}"#, "xapi-mbox", "jean.dupont@example.fr"),
    (#"{"account": {"homePage": "https://lms.example.fr", "name": "u42"}}"#, "xapi-account", "https://lms.example.fr|u42"),
    (#"{"openid": "https://id.example.fr/u42"}"#, "xapi-openid", "https://id.example.fr/u42"),
    (#"{"account": {"name": "u42"}}"#, "xapi-account", "|u42"),
    (#"{"account": {"homePage": "https://lms.example.fr/", "name": "u42"}}"#, "xapi-account", "https://lms.example.fr|u42"),
    (#"{"mbox": " mailto:E\u0301lodie@Example.fr"}"#, "xapi-mbox", "élodie@example.fr"),
    (#"{"mbox": "mailto:STRASSE@example.fr"}"#, "xapi-mbox", "straße@example.fr"),
    (#"{"account": {"homePage": "https://lms.example.fr", "name": "E\u0301lodie Brun "}}"#, "xapi-account", "https://lms.example.fr|Élodie Brun"),
])
func aRequestReachesTheActorTheParserKeyed(actor: String, namespace: String, text: String) throws {
    let pseudonymiser = Pseudonymiser(key: [UInt8](repeating: 9, count: 32))
    let statement =
        #"{"actor": \#(actor), "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://lms.example.fr/page/1"}, "timestamp": "2026-03-26T10:00:00Z"}"#
        + "\n"
    let r = parseText(XAPIStatementsParser(stream: 0, zone: try ZoneRules(identifier: "UTC"), pseudonymiser: pseudonymiser), statement)
    let event = try #require(r.events.first)
    #expect(event.actor == (try PersonIdentifier(namespace: namespace, text)).pseudonym(pseudonymiser))
}

/// Every table that holds a person's rows is shown by some file of an access answer, as the
/// store's declaration says, and the answer writes exactly those files.
@Test func anAccessAnswerShowsEveryDeclaredTable() async throws {
    let dir = TestSupport.temporaryDirectory("access-files")
    defer { TestSupport.remove(dir) }
    let store = try Store(path: dir + "/store.sqlite")
    let person = try PersonIdentifier(namespace: MoodleLogstoreParser.userNamespace, "7")
    let outcome = try AccessRequest.answer(
        [(person, "7")], store: store, pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 3, count: 32)),
        zone: ZoneRules(fixedOffsetSeconds: 0), to: dir + "/answer")
    #expect(Set(outcome.files) == StoredFact.accessFiles)
    let undisclosed = StoredFact.all.filter { $0.byActor && $0.accessFile == nil }.map(\.table)
    #expect(undisclosed.isEmpty, "a new table of personal rows needs its place in an access answer")
}

/// An access answer goes to a new or empty directory only: an existing folder and its files
/// are left as they were.
@Test func anAccessAnswerNeverReplacesAFolder() throws {
    let dir = TestSupport.temporaryDirectory("access-out")
    defer { TestSupport.remove(dir) }
    let store = try Store(path: dir + "/store.sqlite")
    let person = try PersonIdentifier(namespace: MoodleLogstoreParser.userNamespace, "7")
    try FileManager.default.createDirectory(atPath: dir + "/answers", withIntermediateDirectories: true)
    try "keep me".write(toFile: dir + "/answers/notes.txt", atomically: true, encoding: .utf8)
    let answer = { (to: String) throws(SillageError) in
        _ = try AccessRequest.answer(
            [(person, "7")], store: store, pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 3, count: 32)),
            zone: ZoneRules(fixedOffsetSeconds: 0), to: to)
    }
    #expect(throws: SillageError.self) { try answer(dir + "/answers") }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/answers") == ["notes.txt"])
    try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
    try answer(dir + "/empty")
    try answer(dir + "/new")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/new").contains("person.json"))
}

/// The journal keeps what was done, never text the operator typed that could name the person
/// (an --out folder called after them).
@Test func theJournalDoesNotKeepTheAccessFolderName() throws {
    let dir = TestSupport.temporaryDirectory("access-journal")
    defer { TestSupport.remove(dir) }
    let store = try Store(path: dir + "/store.sqlite")
    let person = try PersonIdentifier(namespace: MoodleLogstoreParser.userNamespace, "7")
    _ = try AccessRequest.answer(
        [(person, "7")], store: store, pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 3, count: 32)),
        zone: ZoneRules(fixedOffsetSeconds: 0), to: dir + "/demande-camille-martin")
    let entries = try store.journalEntries(action: "access")
    #expect(entries.count == 1)
    #expect(!"\(entries)".contains("camille"))
}

/// One learner seen by four inputs under four namespaces — a Moodle user id, a web `%u` in two
/// cases, an Open edX user id, an xAPI mbox with upper-case accented letters — and another
/// learner beside them in each. Inputs of one learner of each kind, written as the sources do.
private func fourNamespaceLogs(in dir: String) throws {
    let logstore =
        "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"
        + (0..<6).map { i in
            "\(i),\\core\\event\\course_viewed,core,viewed,course,,,r,2,100,50,12,\(i % 2 == 0 ? 58 : 59),12,,0,,\(1_774_778_400 + i * 60),web,,\n"
        }
        .joined()
    try logstore.write(toFile: dir + "/logstore.csv", atomically: false, encoding: .utf8)
    let agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0"
    let web = ["JDupont", "jdupont", "mmartin", "JDUPONT"].enumerated().map { i, user in
        "10.0.0.\(i + 1) - \(user) [29/Mar/2026:10:0\(i):00 +0200] \"GET /course/view.php?id=12 HTTP/1.1\" 200 512 \"-\" \"\(agent)\"\n"
    }
    try web.joined().write(toFile: dir + "/access.log", atomically: false, encoding: .utf8)
    let edx = [7, 8, 7].enumerated().map { i, user in
        #"{"username":"u\#(user)","event_type":"/courses/course-v1:Org+C1+2026/courseware/","time":"2026-03-29T10:0\#(i):00+00:00","context":{"user_id":\#(user),"course_id":"course-v1:Org+C1+2026"},"event":"{}","event_source":"server"}"#
            + "\n"
    }
    try edx.joined().write(toFile: dir + "/tracking.log", atomically: false, encoding: .utf8)
    let xapi = ["mailto:ÉLODIE.Dupont@Example.FR", "mailto:autre@example.fr", "mailto:élodie.dupont@example.fr"].enumerated().map {
        i, mbox in
        #"{"actor": {"mbox": "\#(mbox)"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://lms.example.fr/mod/page/view.php?id=4"}, "timestamp": "2026-03-29T10:0\#(i):00Z"}"#
            + "\n"
    }
    try xapi.joined().write(toFile: dir + "/statements.jsonl", atomically: false, encoding: .utf8)
    try """
    {"version": 1, "key": {"file": "test.key"}, "store": "var/s.sqlite", "output": "out",
     "inputs": [{"type": "moodle-logstore", "paths": ["logstore.csv"], "stream": "lms"},
                {"type": "combined", "paths": ["access.log"], "stream": "web"},
                {"type": "openedx-tracking", "paths": ["tracking.log"], "stream": "mooc"},
                {"type": "xapi", "paths": ["statements.jsonl"], "stream": "orientation"}]}
    """.write(toFile: dir + "/p.json", atomically: false, encoding: .utf8)
}

@Test func oneForgetInFourNamespacesFollowsThePersonThroughEveryInput() throws {
    let dir = TestSupport.temporaryDirectory("forget-four")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    try fourNamespaceLogs(in: dir)
    let first = try TestSupport.run(TestSupport.binary, ["run", "p.json"], in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    let ids = ["moodle-userid:58", "web-user:jdupont", "openedx-userid:7", "xapi-mbox:Élodie.Dupont@example.fr"]
    // Before: each identity has rows, and the other learners too.
    for (n, id) in ids.enumerated() {
        let r = try TestSupport.run(TestSupport.binary, ["access", "p.json", "--id", id, "--out", "before\(n)"], in: dir)
        #expect(r.status == 0 && r.stdout.contains("sessions 1"), "\(id): \(r.stdout) \(r.stderr)")
    }
    let forget = try TestSupport.run(TestSupport.binary, ["forget", "p.json"] + ids.flatMap { ["--id", $0] }, in: dir)
    #expect(forget.status == 0, "\(forget.stderr)")
    #expect(forget.stdout.contains("forgot 4 person(s)"), "\(forget.stdout)")
    let files = ["logstore.csv", "access.log", "tracking.log", "statements.jsonl"]
    let again = try TestSupport.run(TestSupport.binary, ["run", "p.json"] + files.flatMap { ["--reprocess", $0] }, in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    for (n, id) in ids.enumerated() {
        let r = try TestSupport.run(TestSupport.binary, ["access", "p.json", "--id", id, "--out", "after\(n)"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let counts =
            r.stdout.split(separator: ":").last.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } } ?? []
        #expect(!counts.isEmpty && counts.allSatisfy { $0.hasSuffix(" 0") }, "\(id): \(r.stdout)")
    }
    // The others are still there, and no day records how many of the person's records were dropped.
    let store = try Store(path: dir + "/var/s.sqlite")
    #expect(try store.sessions().count == 4, "one session each for 59, mmartin, 8 and autre@")
    let q = try store.database.prepare("SELECT count(*) FROM daily_counts WHERE measure LIKE '%opted%'")
    _ = try q.step()
    #expect(q.int(0) == 0)
}

/// An identity declared for one platform's xAPI accounts does not swallow another platform's
/// account of the same name: they are two people, and `access` shows each apart.
@Test(arguments: [true, false])
func accountsOfTwoPlatformsStayApartUnderADeclaredIdentity(declaresPlatform: Bool) throws {
    let pseudonymiser = Pseudonymiser(key: [UInt8](repeating: 9, count: 32))
    let parser = XAPIStatementsParser(
        stream: 0, zone: try ZoneRules(identifier: "UTC"), pseudonymiser: pseudonymiser, identity: "moodle-userid",
        identityHomePage: declaresPlatform ? "https://moodle.example.fr/" : nil)
    let statements = ["https://moodle.example.fr", "https://other-lms.example.org"].map { home in
        #"{"actor": {"account": {"homePage": "\#(home)", "name": "112"}}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://lms.example.fr/page/1"}, "timestamp": "2026-03-26T10:00:00Z"}"#
    }
    let r = parseText(parser, statements.joined(separator: "\n") + "\n")
    #expect(r.events.count == 2)
    let moodle = try PersonIdentifier(namespace: "moodle-userid", "112").pseudonym(pseudonymiser)
    let other = try PersonIdentifier(namespace: "xapi-account", "https://other-lms.example.org|112").pseudonym(pseudonymiser)
    #expect(r.events[0].actor == moodle)
    // Declared for every platform (the older form), both accounts are the Moodle user.
    #expect(r.events[1].actor == (declaresPlatform ? other : moodle))
}

/// `--reprocess` reads a file's views again as they were: the last views the store keeps for
/// the 30-second rule must not make them look like double clicks of themselves.
@Test func reprocessingAFileKeepsItsContentViews() throws {
    let dir = TestSupport.temporaryDirectory("reprocess-views")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    try fourNamespaceLogs(in: dir)
    func views() throws -> Int64 {
        let store = try Store(path: dir + "/var/s.sqlite")
        let q = try store.database.prepare("SELECT coalesce(sum(views), 0) FROM content_views")
        _ = try q.step()
        return q.int(0)
    }
    #expect(try TestSupport.run(TestSupport.binary, ["run", "p.json"], in: dir).status == 0)
    let before = try views()
    #expect(before > 2)
    let again = try TestSupport.run(TestSupport.binary, ["run", "p.json", "--reprocess", "statements.jsonl"], in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try views() == before)
}

/// An unknown namespace's hint names each namespace once, a declared built-in one too.
@Test func theNamespaceHintNamesEachNamespaceOnce() {
    do {
        _ = try PersonIdentifier(qualified: "nope:1", declared: ["moodle-userid", "campus-id"])
        Issue.record("an unknown namespace is refused")
    } catch {
        let hint = error.hint ?? ""
        #expect(hint.components(separatedBy: "moodle-userid").count == 2, "\(hint)")
        #expect(hint.hasSuffix(", campus-id"))
    }
}
