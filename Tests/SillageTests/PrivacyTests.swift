import Foundation
import Testing
@testable import SillageCore
@testable import SillageStore
@testable import SillagePipeline
@testable import SillagePrivacy
@testable import SillageIngest

private func scrub(_ target: String, allowed: [String] = ["id"]) -> String {
    var out: [UInt8] = []
    let scrubber = allowed == ["id"] ? URLScrubber(profile: .moodle) : URLScrubber(allowedParameters: allowed)
    Array(target.utf8).withUnsafeBytes { scrubber.normalise($0, into: &out) }
    return String(decoding: out, as: UTF8.self)
}

@Test(arguments: [
    ("/course/view.php?id=12", "/course/view.php?id=12"),
    ("/course/view.php?section=2&id=12#top", "/course/view.php?id=12"),
    ("/user/profile.php?id=104&email=camille.martin%40example.fr", "/user/profile.php"),
    ("/message/index.php?id=104", "/message/index.php"),
    ("/report/log/user.php?id=104&course=3", "/report/log/user.php"),
    ("/grade/report/user/index.php?id=3", "/grade/report/user/index.php?id=3"),
    ("/login/logout.php?sesskey=aB3dE5gH9k", "/login/logout.php"),
    ("/webservice/pluginfile.php/12/user/icon/f1?token=0123456789abcdef0123456789abcdef", "/webservice/pluginfile.php/12/user/icon/f1"),
    ("/search/index.php?q=camille+martin", "/search/index.php"),
    ("/mod/page/view.php?id=camille%40example.fr", "/mod/page/view.php"),
    ("/mod/page/view.php?id=0612345678", "/mod/page/view.php"),
    ("/user/camille.martin@example.fr/posts", "/user/{email}/posts"),
    // Hex ids and UUIDs are objects, each itself (k-vocabulary decides what is published);
    // mixed-case or non-hex tokens are still replaced.
    ("/share/a1b2c3d4e5f60718293a4b5c6d7e8f90/view", "/share/a1b2c3d4e5f60718293a4b5c6d7e8f90/view"),
    ("/courseware/d8a6192ade314473a78242dfeedfbf5b/", "/courseware/d8a6192ade314473a78242dfeedfbf5b/"),
    ("/activities/7c9e6679-7425-40de-944b-e07fc1f0b2c5", "/activities/7c9e6679-7425-40de-944b-e07fc1f0b2c5"),
    ("/reset/aB3dE5gH9kLmN0pQ2rS4", "/reset/{token}"),
    ("/share/A1b2C3d4E5f60718293a4b5c6d7e8f90/view", "/share/{token}/view"),
    ("/contact/06.12.34.56.78", "/contact/{phone}"),
    ("/ids/123456789012", "/ids/{number}"),
    ("/pluginfile.php/123/mod_resource/content/1/cours_3.pdf", "/pluginfile.php/123/mod_resource/content/1/cours_3.pdf"),
    ("https://moodle.example.fr/my/?id=3", "/my/?id=3"),
    ("/caf\u{e9} menu", "/caf%C3%A9%20menu"),
    ("/x?id=2&id=1", "/x?id=1&id=2"),
    ("", "/"),
])
func urlsAreScrubbed(target: String, expected: String) {
    #expect(scrub(target) == expected)
}

@Test func neverKeptParametersStayOutEvenWhenAllowed() {
    #expect(scrub("/x?sesskey=abc&token=t1&id=4", allowed: ["sesskey", "token", "id"]) == "/x?id=4")
    #expect(scrub("/x?page=2&id=4", allowed: ["id", "page"]) == "/x?id=4&page=2")
}

@Test(arguments: [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/129.0 Safari/537.36", AgentClass.desktop),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1) AppleWebKit/605.1.15 Version/17.6 Safari/605.1.15", .desktop),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 Chrome/129.0", .desktop),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", .mobile),
    ("Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 Chrome/129.0 Mobile Safari/537.36", .mobile),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", .tablet),
    ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/129.0 Safari/537.36", .tablet),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", .bot),
    ("Mozilla/5.0 (compatible; bingbot/2.0)", .bot),
    ("curl/8.5.0", .bot),
    ("Wget/1.21", .bot),
    ("python-requests/2.32.3", .bot),
    ("Go-http-client/1.1", .bot),
    ("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0", .bot),
    ("Java/17.0.2", .bot),
    ("-", .bot),
    ("", .bot),
    // Neither a browser nor naming a platform: a tool. A browser shape without a known
    // platform stays unknown.
    ("SomethingElse/1.0", .bot), ("Mozilla/5.0 (Unknown OS) Gecko/20100101", .unknown),
])
func userAgentsAreClassified(agent: String, expected: AgentClass) {
    let classifier = UserAgentClassifier()
    #expect(Array(agent.utf8).withUnsafeBytes { classifier.classify($0) } == expected)
}

@Test func pipelinesCanAddCrawlerTokens() {
    let classifier = UserAgentClassifier(extraCrawlerTokens: ["InternalMonitor"])
    #expect(Array("InternalMonitor/2".utf8).withUnsafeBytes { classifier.classify($0) } == .bot)
}

@Test func keysAreCreatedPrivateAndNeverOverwritten() throws {
    let dir = TestSupport.temporaryDirectory("keys")
    defer { TestSupport.remove(dir) }
    let path = dir + "/sub/master.key"
    let key = try MasterKey.create(path: path)
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    #expect((attributes[.size] as? Int) == 32)
    #expect(try MasterKey.load(path: path).bytes == key.bytes)
    #expect(try MasterKey.create(path: dir + "/other.key").bytes != key.bytes)
    do {
        try MasterKey.create(path: path)
        Issue.record("an existing key must not be overwritten")
    } catch {
        #expect(error.description.contains("already exists"))
    }
    #expect(try MasterKey.load(path: path).bytes == key.bytes)
}

@Test(arguments: [0o640, 0o604, 0o644, 0o666])
func keysReadableByOthersAreRefused(mode: Int) throws {
    let dir = TestSupport.temporaryDirectory("keymode")
    defer { TestSupport.remove(dir) }
    let path = dir + "/k.key"
    _ = FileManager.default.createFile(atPath: path, contents: Data(TestSupport.keyBytes(1)), attributes: [.posixPermissions: mode])
    do {
        _ = try MasterKey.load(path: path)
        Issue.record("mode \(String(mode, radix: 8)) must be refused")
    } catch {
        #expect(error.description.contains("readable by group or others"))
        #expect(error.exitCode == 2)
    }
}

@Test(arguments: [
    ([UInt8](repeating: 0, count: 32), "low-entropy key (1 distinct byte value in 32)"),
    ([UInt8](repeating: 0x41, count: 31) + [0x42], "low-entropy key (2 distinct byte values in 32)"),
    ((0..<32).map { UInt8($0 % 8) }, "low-entropy key (8 distinct byte values in 32)"),
])
func aWeakKeyIsRefused(bytes: [UInt8], message: String) throws {
    let dir = TestSupport.temporaryDirectory("weakkey")
    defer { TestSupport.remove(dir) }
    let path = dir + "/k.key"
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
    do {
        _ = try MasterKey.load(path: path)
        Issue.record("a weak key must be refused")
    } catch {
        #expect(error.description.contains(message), "\(error.description)")
        #expect(error.exitCode == 2)
    }
    // The same refusal through the command line, before any store is made.
    let r = try TestSupport.run(TestSupport.binary, ["run", "--input", "combined:-", "--store", "s.sqlite", "--key-file", "k.key"], in: dir)
    #expect(r.status == 2 && r.stderr.contains("low-entropy"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/s.sqlite"))
}

@Test(arguments: [0o777, 0o775, 0o1777])
func aKeyInADirectoryOthersCanWriteIsRefused(mode: Int) throws {
    let dir = TestSupport.temporaryDirectory("keydir")
    defer { TestSupport.remove(dir) }
    let shared = dir + "/shared"
    try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
    let path = try TestSupport.keyFile(in: shared)
    chmod(shared, mode_t(mode))
    do {
        _ = try MasterKey.load(path: path)
        Issue.record("mode \(String(mode, radix: 8)) must be refused")
    } catch {
        #expect(error.description.contains("directory can be written by others"), "\(error.description)")
    }
    chmod(shared, 0o755)
    #expect(try MasterKey.load(path: path).bytes == TestSupport.keyBytes(42))
}

@Test(.enabled(if: geteuid() == 0, "needs root to give a key file to another user"))
func aKeyOwnedByAnotherUserIsRefused() throws {
    let dir = TestSupport.temporaryDirectory("keyowner")
    defer { TestSupport.remove(dir) }
    let path = try TestSupport.keyFile(in: dir)
    chown(path, 12345, 12345)
    do {
        _ = try MasterKey.load(path: path)
        Issue.record("a key owned by uid 12345 must be refused")
    } catch {
        #expect(error.description.contains("owned by another user (uid 12345)"), "\(error.description)")
    }
}

@Test func keyFilesMustHoldThirtyTwoBytes() throws {
    let dir = TestSupport.temporaryDirectory("keysize")
    defer { TestSupport.remove(dir) }
    let hex = dir + "/hex.key", short = dir + "/short.key"
    _ = FileManager.default.createFile(
        atPath: hex, contents: Data((hexString(TestSupport.keyBytes(0xab)) + "\n").utf8), attributes: [.posixPermissions: 0o600])
    _ = FileManager.default.createFile(atPath: short, contents: Data(repeating: 1, count: 16), attributes: [.posixPermissions: 0o600])
    #expect(try MasterKey.load(path: hex).bytes == TestSupport.keyBytes(0xab))
    #expect(throws: SillageError.self) { try MasterKey.load(path: short) }
    do {
        _ = try MasterKey.load(path: dir + "/absent.key")
        Issue.record("expected an error")
    } catch {
        #expect(error.description.contains("sillage keys init"))
    }
}

@Test(arguments: [
    ("camille.martin@example.fr", true), ("192.168.1.20", true), ("2a01:e0a:1f3:2b0::1", true),
    ("fe80:0:0:0:202:b3ff:fe1e:8329", true), ("06 12 34 56 78", true), ("+33612345678", true),
    ("/course/view.php?id=12", false), ("2026-03-29", false), ("1-59s", false), ("12:30:45", false),
    ("web", false), ("4.66", false), ("1.2.3", false), ("/user/{email}/posts", false),
    ("Atelier x@....", false), ("x@....fr", false), ("Atelier x@a.fr", true),
])
func piiScannerFindsPersonalData(text: String, isPersonal: Bool) {
    #expect((PIIScanner().finding(in: text) != nil) == isPersonal, "\(text)")
}

@Test(arguments: [
    ("/x/camille.martin12/y", true), ("/x/other/y", false), ("Notes de Jean  Dupont", true), ("jean", false),
    ("Dupont, Jean", true), ("cm:42", false), ("Cours JDUPONT", true), ("jdupont42", true), ("ab", false),
    ("Groupe (jdupont)", true),
])
func piiScannerFindsRegisteredRawIdentifiers(text: String, found: Bool) throws {
    // Identifiers of digits only or under three characters are not looked for: "42" and
    // "ab" would match counts and ids. Trailing digits are tried off ("jdupont42").
    let scanner = try PIIScanner(identifiers: ["camille.martin12", "Jean Dupont", "42", "ab", "jdupont"])
    #expect((scanner.finding(in: text) != nil) == found)
}

@Test func keysInitWritesAPrivateKeyOnceThroughTheCommandLine() throws {
    let dir = TestSupport.temporaryDirectory("keysinit")
    defer { TestSupport.remove(dir) }
    let first = try TestSupport.run(TestSupport.binary, ["keys", "init", "--key-file", "keys/master.key"], in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("created keys/master.key (32 bytes, mode 0600)"))
    let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/keys/master.key")
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    #expect((attributes[.size] as? Int) == 32)
    let again = try TestSupport.run(TestSupport.binary, ["keys", "init", "--key-file", "keys/master.key"], in: dir)
    #expect(again.status == 2)
    #expect(again.stderr.contains("a key file already exists; it was left untouched"))
}

private let logstoreHeader =
    "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"

private let reportHeader = "Time,User full name,Affected user,Event context,Component,Event name,Description,Origin,IP address\n"
private func reportRow(_ name: String, _ id: Int) -> String {
    "\"29/03/26, 10:00\",\(name),-,Course: Cours 12,System,Course viewed,The user with id '\(id)' viewed the course with id '12'.,web,0.0.0.0\n"
}

/// Inputs that smuggle personal data into a published cell: the run fails with exit code 3,
/// names table, row and column, and publishes nothing (an earlier export stays as it was).
/// Raw identifiers are those met in the same run (held in memory only).
@Test(arguments: [
    (
        "an e-mail in a course name",
        ["logstore.csv": logstoreHeader + "1,\\core\\event\\course_viewed,core,viewed,course,,,r,2,100,50,12,501,12,,0,,1774778400,web,,\n"],
        ["catalogue.csv": "key,name,course,position\n12,Atelier jean.dupont@example.fr,,\n"],
        ["moodle-logstore:logstore.csv", "course-catalogue:catalogue.csv"],
        "holds an e-mail address"
    ),
    (
        "a learner's full name, dropped by the report parser, in a course name",
        ["report.csv": reportHeader + reportRow("Paul Martin", 500)],
        [
            "report.csv": reportHeader + reportRow("Paul Martin", 500) + reportRow("Marie Durand", 501),
            "catalogue.csv": "key,name,course,position\n12,Tutorat de Marie Durand,,\n",
        ],
        ["moodle-report:report.csv", "course-catalogue:catalogue.csv"],
        "holds a full name met in the inputs"
    ),
])
func personalDataInACellStopsThePublication(
    name: String, first: [String: String], then: [String: String], inputs: [String],
    finding: String
) throws {
    let dir = TestSupport.temporaryDirectory("pii-guard")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    var arguments = ["run", "--store", "var/s.sqlite", "--out", "out", "--key-file", "test.key"]
    for input in inputs { arguments += ["--input", input] }
    // A first, clean publication.
    try "key,name,course,position\n12,Atelier,,\n".write(toFile: dir + "/catalogue.csv", atomically: false, encoding: .utf8)
    for (file, text) in first { try text.write(toFile: dir + "/" + file, atomically: false, encoding: .utf8) }
    let clean = try TestSupport.run(TestSupport.binary, arguments, in: dir)
    #expect(clean.status == 0, "\(clean.stderr)")
    let published = try TestSupport.publishedText(dir + "/out/research/default/all")
    // Then new input smuggles personal data in.
    for (file, text) in then { try text.write(toFile: dir + "/" + file, atomically: false, encoding: .utf8) }
    let r = try TestSupport.run(TestSupport.binary, arguments + ["--reprocess", "catalogue.csv"], in: dir)
    #expect(r.status == 3, "\(name): \(r.stderr)")
    #expect(
        r.stderr.contains(
            "sillage: error: out/research: PII guard: reference table course-catalogue, entry 1, column name \(finding); nothing was published\n"),
        "\(r.stderr)")
    #expect(try TestSupport.publishedText(dir + "/out/research/default/all") == published, "the earlier export is untouched")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir + "/out/research/default")
    #expect(leftovers == ["all"], "no staging directory is left")
}

@Test func anEMailSmuggledIntoAnObjectNameOnTheFirstRunLeavesNoPublishedDirectory() throws {
    let dir = TestSupport.temporaryDirectory("pii-first")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    try (logstoreHeader + "1,\\core\\event\\course_viewed,core,viewed,course,,,r,2,100,50,12,501,12,,0,,1774778400,web,,\n")
        .write(toFile: dir + "/logstore.csv", atomically: false, encoding: .utf8)
    try "key,name,course,position\n12,Cours de marie.durand@example.org,,\n".write(toFile: dir + "/catalogue.csv", atomically: false, encoding: .utf8)
    // The guard remembers: the catalogue stays in the store, so the next runs, which read
    // nothing new, stop too — until the source is fixed.
    for run in 1...3 {
        let r = try TestSupport.run(
            TestSupport.binary,
            [
                "run", "--store", "var/s.sqlite", "--out", "out", "--key-file", "test.key",
                "--input", "moodle-logstore:logstore.csv", "--input", "course-catalogue:catalogue.csv",
            ], in: dir)
        #expect(r.status == 3, "run \(run): \(r.stderr)")
        #expect(
            r.stderr.contains("PII guard: reference table course-catalogue, entry 1, column name holds an e-mail address"), "\(r.stderr)")
        #expect(!r.stderr.contains("marie") && !r.stderr.contains("durand"), "no value in the message")
    }
    #expect(!FileManager.default.fileExists(atPath: dir + "/out/research/default/all"), "nothing was published")
    let left = (try? FileManager.default.subpathsOfDirectory(atPath: dir + "/out")) ?? []
    #expect(left.allSatisfy { !$0.hasSuffix(".csv.gz") && !$0.hasSuffix("SHA256SUMS") }, "no file of the export anywhere: \(left)")
}

/// One page view, for the runs of the store tests below.
private let pageView = "192.0.2.1 - - [29/Mar/2026:10:00:00 +0200] \"GET /my/ HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"

/// A store remembers its key: another key (a typo in --key-file, cron started elsewhere) would
/// change every pseudonym and read in again everyone who objected, so it is refused.
@Test func aStoreRefusesAnotherKey() async throws {
    let dir = TestSupport.temporaryDirectory("store-key")
    defer { TestSupport.remove(dir) }
    try Data(pageView.utf8).write(to: URL(fileURLWithPath: dir + "/a.log"))
    var p = try TestSupport.pipeline("combined", [dir + "/a.log"], in: dir, keyByte: 42)
    _ = try await Runner(pipeline: p).run()
    _ = try await Runner(pipeline: p).run()
    p.keyFile = try TestSupport.keyFile(in: dir + "/other", byte: 43)
    do throws(SillageError) {
        _ = try await Runner(pipeline: p).run()
        Issue.record("a store accepted another key")
    } catch {
        #expect(error.exitCode == 2 && error.location == p.keyFile)
        #expect(error.message.hasPrefix("this store was made with another master key"))
    }
    let forget = try TestSupport.run(
        TestSupport.binary, ["forget", "--store", p.store, "--key-file", p.keyFile, "--namespace", "web-user", "--id", "jdupont"], in: dir)
    #expect(forget.status == 2 && forget.stderr.contains("another master key"), "\(forget.stderr)")
}

/// Store, WAL, shared-memory and lock files are private whatever the umask and directory.
@Test func storeFilesArePrivateUnderAnOpenUmask() throws {
    let dir = TestSupport.temporaryDirectory("store-mode")
    defer { TestSupport.remove(dir) }
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
    _ = try TestSupport.keyFile(in: dir)
    try Data(pageView.utf8).write(to: URL(fileURLWithPath: dir + "/a.log"))
    let r = try TestSupport.run(
        "/bin/sh",
        ["-c", "umask 000; exec \"$0\" run --input combined:a.log --store store.sqlite --out out --key-file test.key", TestSupport.binary],
        in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    // While a store is open its WAL and shared-memory files exist too.
    let store = try Store(path: dir + "/store.sqlite")
    _ = try store.journal("export", subject: "mode check", count: 0)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("store.sqlite") }
    #expect(Set(files) == ["store.sqlite", "store.sqlite-wal", "store.sqlite-shm", "store.sqlite.lock"])
    for name in files {
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.posixPermissions] as? Int
        #expect(mode == 0o600, "\(name) has mode \(String(mode ?? 0, radix: 8))")
    }
}

@Test func forgetFilesSkipBlankAndCommentLines() throws {
    let dir = TestSupport.temporaryDirectory("forget-file")
    defer { TestSupport.remove(dir) }
    try "# people who objected, March\n\n  42\n# 43 withdrew the request\n44\n".write(toFile: dir + "/ids.txt", atomically: true, encoding: .utf8)
    #expect(try PersonIdentifier.lines(ofFile: dir + "/ids.txt") == ["42", "44"])
}
