import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageStore
@testable import SillagePipeline

/// A deliberately simple, separate computation of the daily figures, written with Foundation
/// strings and dates, sharing no code with the pipeline.
enum ReferenceComputation {
    struct Day: Equatable { var users = 0, sessions = 0, pageViews = 0, bounces = 0 }

    static func daily(lines: [String]) -> [String: Day] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        let dayFormatter = DateFormatter()
        dayFormatter.locale = Locale(identifier: "en_US_POSIX")
        dayFormatter.timeZone = TimeZone(identifier: "Europe/Paris")!
        dayFormatter.dateFormat = "yyyy-MM-dd"
        let botWords = ["bot", "curl", "python-requests", "go-http-client", "headlesschrome"]
        let staticEnds = [
            ".css", ".js", ".mjs", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".avif",
            ".woff", ".woff2", ".ttf", ".otf", ".eot", ".map",
        ]
        var eventsByActor: [String: [(Date, String)]] = [:]
        for line in lines {
            let parts = line.components(separatedBy: " ")
            guard parts.count > 8, let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"),
                let time = formatter.date(from: String(line[line.index(after: open)..<close]))
            else { continue }
            let afterTime = line[line.index(close, offsetBy: 2)...]
            guard afterTime.hasPrefix("\""), let requestEnd = afterTime.dropFirst().range(of: "\" ") else { continue }
            let request = afterTime[afterTime.index(after: afterTime.startIndex)..<requestEnd.lowerBound].split(separator: " ")
            let rest = afterTime[requestEnd.upperBound...].split(separator: " ")
            guard request.count == 3, let status = Int(rest.first ?? "") else { continue }
            guard let uaStart = line.range(of: "\" \"", options: .backwards) else { continue }
            let ua = String(line[uaStart.upperBound...].dropLast())
            let lower = ua.lowercased()
            if ua == "-" || ua.isEmpty || botWords.contains(where: { lower.contains($0) }) { continue }
            guard request[0] == "GET" || request[0] == "POST", (200...399).contains(status) else { continue }
            let path = String(request[1].split(separator: "?", omittingEmptySubsequences: false)[0]).lowercased()
            if path.hasPrefix("/theme/") || path.hasPrefix("/lib/") || staticEnds.contains(where: { path.hasSuffix($0) }) { continue }
            let day = dayFormatter.string(from: time)
            let user = parts[2]
            let actor = user != "-" ? "user:" + user : "visitor:\(day) \(parts[0]) \(ua)"
            eventsByActor[actor, default: []].append((time, day))
        }
        var days: [String: Day] = [:]
        var usersByDay: [String: Set<String>] = [:]
        for (actor, events) in eventsByActor {
            let sorted = events.sorted { $0.0 < $1.0 }
            var sessionStart = sorted[0]
            var last = sorted[0].0
            var count = 0
            for (time, day) in sorted {
                usersByDay[day, default: []].insert(actor)
                days[day, default: Day()].pageViews += 1
                if time.timeIntervalSince(last) > 1800 {
                    days[sessionStart.1, default: Day()].sessions += 1
                    if count == 1 { days[sessionStart.1, default: Day()].bounces += 1 }
                    sessionStart = (time, day)
                    count = 0
                }
                last = time
                count += 1
            }
            days[sessionStart.1, default: Day()].sessions += 1
            if count == 1 { days[sessionStart.1, default: Day()].bounces += 1 }
        }
        for (day, users) in usersByDay { days[day, default: Day()].users = users.count }
        return days
    }
}

/// Generated logs, read back as plain lines with the system's gzip (not the project's reader).
private func generatedLines(_ dir: String) throws -> [String] {
    var text = try String(contentsOfFile: dir + "/access.log", encoding: .utf8)
    text += try String(contentsOfFile: dir + "/access.log.1", encoding: .utf8)
    let unzipped = try TestSupport.run("/usr/bin/env", ["gzip", "-dc", dir + "/access.log.2.gz"])
    text += unzipped.stdout
    return text.split(separator: "\n").map(String.init)
}

private func exportedDaily(_ exportDir: String) throws -> [String: ReferenceComputation.Day] {
    let rows = TestSupport.csvRows(try TestSupport.gunzip(exportDir + "/daily_activity.csv.gz"))
    #expect(rows.first == ["date", "stream", "users", "sessions", "page_views", "bounces", "median_session_seconds", "mean_pages_per_session"])
    var out: [String: ReferenceComputation.Day] = [:]
    for row in rows.dropFirst() {
        out[row[0]] = ReferenceComputation.Day(
            users: Int(row[2]) ?? -1, sessions: Int(row[3]) ?? -1,
            pageViews: Int(row[4]) ?? -1, bounces: Int(row[5]) ?? -1)
    }
    return out
}

@Test func dailyFiguresEqualAnIndependentReference() async throws {
    let dir = TestSupport.temporaryDirectory("reference")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/logs", ["--seed", "11", "--learners", "120", "--days", "9", "--rotate"])
    let pipeline = try TestSupport.pipeline("combined", [dir + "/logs/access.log*"], in: dir, minCount: 1)
    let report = try await Runner(pipeline: pipeline, options: RunOptions(threads: 2, chunkSize: 64 << 10)).run()
    let exported = try exportedDaily(try #require(report.exports.first).directory)
    let reference = ReferenceComputation.daily(lines: try generatedLines(dir + "/logs"))
    #expect(reference.count == 9, "the generated logs span 9 local days")
    #expect(exported == reference)
    #expect(report.counts.totalRejects > 0, "the generator writes a few malformed lines")
    #expect(report.files.map(\.status) == [.read, .read, .read])
    // The store's daily aggregates agree with the reference and with the run's counts.
    let daily = try Store(path: pipeline.store).dailyCounts()
    for (date, figures) in reference {
        let day = Int32(try #require(CivilTime.parseISODate(date)))
        #expect(daily[Store.DailyKey(day: day, stream: "web")]?["events"] == figures.pageViews, "\(date)")
    }
    for reason in SkipReason.allCases where reason != .blankLine {
        let stored = daily.values.reduce(0) { $0 + ($1["skip:" + reason.name] ?? 0) }
        #expect(stored == report.counts[skip: reason], "\(reason.name)")
    }
}

@Test func sameInputsAndKeyGiveByteIdenticalExports() async throws {
    let dir = TestSupport.temporaryDirectory("determinism")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/logs", ["--seed", "5", "--learners", "150", "--days", "5", "--rotate"])
    var sums: [String] = []
    for (i, (threads, chunk)) in [(1, 4 << 20), (2, 32 << 10), (2, 4 << 20)].enumerated() {
        let runDir = dir + "/run\(i)"
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        let pipeline = try TestSupport.pipeline("combined", [dir + "/logs/access.log*"], in: runDir)
        let report = try await Runner(pipeline: pipeline, options: RunOptions(threads: threads, chunkSize: chunk)).run()
        let exportDir = try #require(report.exports.first).directory
        var all = ""
        for name in try FileManager.default.contentsOfDirectory(atPath: exportDir).sorted() {
            let data = try Data(contentsOf: URL(fileURLWithPath: exportDir + "/" + name))
            all += "\(name) \(hexString(SHA256.hash([UInt8](data))))\n"
        }
        sums.append(all)
    }
    #expect(sums[0] == sums[1])
    #expect(sums[1] == sums[2])
    #expect(sums[0].contains("daily_activity.csv.gz"))
}

@Test func aDifferentKeyGivesTheSameStatisticsButOtherPseudonyms() async throws {
    let dir = TestSupport.temporaryDirectory("otherkey")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/logs", ["--seed", "8", "--learners", "80", "--days", "3"])
    var dailies: [String] = []
    var actors: [Set<ActorKey>] = []
    for byte: UInt8 in [1, 2] {
        let runDir = dir + "/k\(byte)"
        try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
        let pipeline = try TestSupport.pipeline("combined", [dir + "/logs/access.log"], in: runDir, keyByte: byte)
        let report = try await Runner(pipeline: pipeline).run()
        dailies.append(try TestSupport.gunzip(report.exports[0].directory + "/daily_activity.csv.gz"))
        actors.append(Set(try Store(path: pipeline.store).sessions().map(\.actor)))
    }
    #expect(dailies[0] == dailies[1])
    #expect(actors[0].isDisjoint(with: actors[1]))
}

@Test func noIdentifierFromTheInputsReachesTheStoreOrTheExports() async throws {
    let dir = TestSupport.temporaryDirectory("nopii")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/logs", ["--seed", "21", "--learners", "200", "--days", "4", "--rotate"])
    let pipeline = try TestSupport.pipeline("combined", [dir + "/logs/access.log*"], in: dir, minCount: 1)
    let report = try await Runner(pipeline: pipeline).run()
    var identifiers = Set<String>()
    for line in try generatedLines(dir + "/logs") {
        let parts = line.split(separator: " ")
        guard parts.count > 3 else { continue }
        identifiers.insert(String(parts[0]))
        if parts[2] != "-" { identifiers.insert(String(parts[2])) }
        if let at = line.range(of: "email=") {
            let value = line[at.upperBound...].prefix { $0 != " " && $0 != "&" }
            identifiers.insert(value.replacingOccurrences(of: "%40", with: "@"))
            identifiers.insert(String(value))
        }
    }
    #expect(identifiers.contains { $0.contains("@example.fr") })
    #expect(identifiers.contains { $0.contains(":") }, "IPv6 clients are part of the test")
    let published = try TestSupport.publishedText(report.exports[0].directory)
    let storedText = try TestSupport.storedText(dir)
    let leaks = identifiers.filter { $0.count >= 5 && (published.contains($0) || storedText.contains($0)) }
    #expect(leaks.isEmpty, "leaked: \(leaks.prefix(5))")
    #expect(!published.contains("@"))
    #expect(PIIScanner().finding(in: published.replacingOccurrences(of: "\n", with: " ")) == nil)
}

@Test func aFileInTheWrongFormatFailsWithExitCodeThreeAndAReason() throws {
    let dir = TestSupport.temporaryDirectory("wrongformat")
    defer { TestSupport.remove(dir) }
    let lines = (0..<50).map { #"{"time": "2026-03-29T10:00:\#($0 % 60)Z", "remote_addr": "192.0.2.\#($0)", "request": "GET / HTTP/1.1"}"# }
    try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/events.log", atomically: true, encoding: .utf8)
    _ = try TestSupport.keyFile(in: dir)
    let r = try TestSupport.run(
        TestSupport.binary,
        [
            "run", "--input", "combined:events.log", "--store", "var/s.sqlite",
            "--out", "out", "--key-file", "test.key",
        ], in: dir)
    #expect(r.status == 3, "\(r.stderr)")
    #expect(r.stderr.contains("events.log: 100% of 50 records rejected (malformed-line: 50; first at line 1, line 2, line 3)"))
    #expect(r.stderr.contains("likely cause: the lines look like JSON objects"))
    // The raw rejected lines go to a private file beside the store, never to the terminal.
    #expect(r.stderr.contains("the first rejected records are in var/rejects/run-1.tsv (private, mode 0600)"))
    #expect(!r.stderr.contains("remote_addr"))
    let rejects = try String(contentsOfFile: dir + "/var/rejects/run-1.tsv", encoding: .utf8)
    #expect(rejects.hasPrefix("file\tline\treason\trecord\nevents.log\t1\tmalformed-line\t{\"time\""))
    #expect((try FileManager.default.attributesOfItem(atPath: dir + "/var/rejects/run-1.tsv")[.posixPermissions] as? Int) == 0o600)
    #expect((try FileManager.default.attributesOfItem(atPath: dir + "/var/rejects")[.posixPermissions] as? Int) == 0o700)
    #expect(!FileManager.default.fileExists(atPath: dir + "/out"), "nothing is published")
    let store = try Store(path: dir + "/var/s.sqlite")
    #expect(try store.count("sessions") == 0)
    #expect(try store.count("inputs") == 0)
    let journal = try store.database.prepare("SELECT status, summary FROM runs")
    #expect(try journal.step())
    #expect(journal.text(0) == "failed")
    #expect(journal.text(1).contains("100% of 50 records rejected"))
}

@Test func commonLogsDeclaredCombinedAreDiagnosed() throws {
    let dir = TestSupport.temporaryDirectory("commonascombined")
    defer { TestSupport.remove(dir) }
    let lines = (0..<30).map { "192.0.2.\($0) - - [29/Mar/2026:10:00:\(10 + $0) +0200] \"GET /my/ HTTP/1.1\" 200 512" }
    try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/a.log", atomically: true, encoding: .utf8)
    _ = try TestSupport.keyFile(in: dir)
    let r = try TestSupport.run(
        TestSupport.binary,
        [
            "run", "--input", "combined:a.log", "--store", "s.sqlite", "--out", "out",
            "--key-file", "test.key",
        ], in: dir)
    #expect(r.status == 3)
    #expect(r.stderr.contains("likely cause: the lines match the common format, not combined"))
}

@Test func reRunsAndGrowingFilesNeverCountALineTwice() async throws {
    let dir = TestSupport.temporaryDirectory("incremental")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir + "/logs", ["--seed", "4", "--learners", "60", "--days", "3"])
    let full = try String(contentsOfFile: dir + "/logs/access.log", encoding: .utf8)
    let lines = full.split(separator: "\n", omittingEmptySubsequences: false)
    // Cut at the quietest point of the night so no session spans the two runs.
    let cut = lines.firstIndex { $0.contains(":04:") && $0.contains("Mar/2026:04") } ?? lines.count / 2
    let growing = dir + "/grow.log"
    try (lines[..<cut].joined(separator: "\n") + "\n" + String(lines[cut].prefix(25))).write(toFile: growing, atomically: true, encoding: .utf8)
    let pipeline = try TestSupport.pipeline("combined", [growing], in: dir, minCount: 1)
    let first = try await Runner(pipeline: pipeline).run()
    #expect(first.files[0].heldBackBytes == 25, "a half-written last line waits for the next run")
    try full.write(toFile: growing, atomically: false, encoding: .utf8)
    let second = try await Runner(pipeline: pipeline).run()
    #expect(second.files[0].status == .resumed)
    let third = try await Runner(pipeline: pipeline).run()
    #expect(third.files[0].status == .alreadyRead)
    #expect(third.events == 0)
    let incremental = try TestSupport.gunzip(third.exports[0].directory + "/daily_activity.csv.gz")

    let onceDir = dir + "/once"
    try FileManager.default.createDirectory(atPath: onceDir, withIntermediateDirectories: true)
    let once = try await Runner(pipeline: try TestSupport.pipeline("combined", [dir + "/logs/access.log"], in: onceDir, minCount: 1)).run()
    #expect(try TestSupport.gunzip(once.exports[0].directory + "/daily_activity.csv.gz") == incremental)
    #expect(first.records + second.records == once.records)
}

@Test func standardInputIsAnInput() throws {
    let dir = TestSupport.temporaryDirectory("stdin")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    let line = "192.0.2.1 - - [29/Mar/2026:10:00:00 +0200] \"GET /my/ HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
    let r = try TestSupport.run(
        TestSupport.binary,
        [
            "run", "--input", "combined:-", "--store", "s.sqlite", "--out", "out",
            "--key-file", "test.key", "--json",
        ], in: dir, stdin: Data((line + line).utf8))
    #expect(r.status == 0, "\(r.stderr)")
    let report = try JSONParser.parse(Array(r.stdout.utf8), source: "stdout")
    #expect(report["events"] == .int(2))
    #expect(report["sessions"] == .int(1))
}

/// The same log piped twice on standard input is counted once (page views were doubled and
/// bounces fell to 0); a longer stream with the same start adds only its new lines.
@Test func theSameStreamPipedTwiceIsNotCountedTwice() throws {
    let dir = TestSupport.temporaryDirectory("stdin-twice")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    let log = try Data(contentsOf: URL(fileURLWithPath: TestSupport.packageRoot + "/SampleLogs/web/access.log"))
    let run = ["run", "--input", "combined:-", "--store", "s.sqlite", "--out", "out", "--key-file", "test.key", "--json"]
    func events(_ r: TestSupport.ProcessResult) throws -> JSONValue? {
        try JSONParser.parse(Array(r.stdout.utf8), source: "stdout")["events"]
    }
    let first = try TestSupport.run(TestSupport.binary, run, in: dir, stdin: log)
    #expect(first.status == 0, "\(first.stderr)")
    let published = try TestSupport.publishedText(dir + "/out/research/default/all")
    let again = try TestSupport.run(TestSupport.binary, run, in: dir, stdin: log)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try events(again) == .int(0))
    #expect(try TestSupport.publishedText(dir + "/out/research/default/all") == published)
    let extra = "192.0.2.99 - - [31/Mar/2026:10:00:00 +0200] \"GET /my/ HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
    let longer = try TestSupport.run(TestSupport.binary, run, in: dir, stdin: log + Data(extra.utf8))
    #expect(longer.status == 0, "\(longer.stderr)")
    #expect(try events(longer) == .int(1))
}

/// A stream that ends mid-line leaves that line for the next stream (it was read as a
/// reject, and the next stream resumed inside it); a longer gzip stream of the same log
/// adds its new lines (it was "already read").
@Test func streamsEndingMidLineOrCompressedResumeLikeFiles() throws {
    let dir = TestSupport.temporaryDirectory("stdin-resume")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    let line = { (i: Int) in
        "192.0.2.\(i % 200) - - [30/Mar/2026:10:\(String(format: "%02d", i % 60)):00 +0200] \"GET /mod/page/view.php?id=\(i) HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0\"\n"
    }
    let full = Data((0..<100).map(line).joined().utf8)
    func run(_ input: Data, store: String) throws -> JSONValue {
        let r = try TestSupport.run(
            TestSupport.binary, ["run", "--input", "combined:-", "--store", store, "--out", "out", "--key-file", "test.key", "--json"],
            in: dir, stdin: input)
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONParser.parse(Array(r.stdout.utf8), source: "stdout")
    }
    let cut = try run(full.prefix(full.count - 60), store: "a.sqlite")
    let rest = try run(full, store: "a.sqlite")
    #expect(cut["events"] == .int(99) && rest["events"] == .int(1))
    #expect(rest["rejects"].map { "\($0)" }?.contains("malformed") == false)
    let gzip = try #require(TestSupport.findOnPath("gzip"))
    let gzPath = dir + "/g.log"
    try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: gzPath))
    _ = try TestSupport.run(gzip, ["-f", "-n", gzPath])
    let half = try Data(contentsOf: URL(fileURLWithPath: gzPath + ".gz"))
    try full.write(to: URL(fileURLWithPath: gzPath))
    _ = try TestSupport.run(gzip, ["-f", "-n", gzPath])
    let whole = try Data(contentsOf: URL(fileURLWithPath: gzPath + ".gz"))
    let first = try run(half, store: "b.sqlite"), second = try run(whole, store: "b.sqlite")
    guard case .int(let a)? = first["events"], case .int(let b)? = second["events"] else {
        Issue.record("no event counts")
        return
    }
    #expect(a > 0 && a + b == 100)
}

/// Every file under `dir` with its bytes (the store's lock file by name only: it holds the
/// last run's process id).
private func snapshot(_ dir: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let files = FileManager.default.enumerator(atPath: dir)
    while let name = files?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDirectory)
        out[name] = isDirectory.boolValue || name.hasSuffix(".lock") ? Data() : try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
    }
    return out
}

/// `--dry-run` leaves the directory as it was: no key, no store, no reject file of raw lines
/// on a first run; an existing store unchanged, byte for byte. A run that fails on its
/// inputs creates no key either.
@Test func aDryRunLeavesTheDirectoryAsItWas() throws {
    let dir = TestSupport.temporaryDirectory("dry-run")
    defer { TestSupport.remove(dir) }
    try FileManager.default.createSymbolicLink(atPath: dir + "/SampleLogs", withDestinationPath: TestSupport.packageRoot + "/SampleLogs")
    try FileManager.default.createDirectory(atPath: dir + "/Pipelines", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/Pipelines/sample.json", toPath: dir + "/Pipelines/sample.json")
    let before = try snapshot(dir)
    let dry = try TestSupport.run(TestSupport.binary, ["run", "Pipelines/sample.json", "--dry-run"], in: dir)
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(dry.stdout.contains("rejected"), "the sample has rejects, so a reject file would have been written")
    #expect(dry.stderr.contains("a temporary key was used and forgotten"))
    #expect(try snapshot(dir) == before)
    // With a store: the dry run changes none of its bytes.
    let real = try TestSupport.run(TestSupport.binary, ["run", "Pipelines/sample.json"], in: dir)
    #expect(real.status == 0, "\(real.stderr)")
    let stored = try snapshot(dir)
    let again = try TestSupport.run(TestSupport.binary, ["run", "Pipelines/sample.json", "--dry-run"], in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try snapshot(dir) == stored)
    // A typo in the inputs: no key is made for a run that cannot start.
    let typo = TestSupport.temporaryDirectory("typo")
    defer { TestSupport.remove(typo) }
    try #"{"version": 1, "key": {"file": "k.key"}, "store": "s.sqlite", "inputs": [{"type": "combined", "paths": ["nowhere/*.log"]}]}"#
        .write(toFile: typo + "/p.json", atomically: true, encoding: .utf8)
    let failed = try TestSupport.run(TestSupport.binary, ["run", "p.json"], in: typo)
    #expect(failed.status != 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: typo) == ["p.json"])
}

/// Runs the sample pipeline in a fresh directory, as a newcomer would; the caller removes it.
private func runSamplePipeline() throws -> (dir: String, result: TestSupport.ProcessResult) {
    let dir = TestSupport.temporaryDirectory("sample")
    try FileManager.default.createSymbolicLink(atPath: dir + "/SampleLogs", withDestinationPath: TestSupport.packageRoot + "/SampleLogs")
    try FileManager.default.createDirectory(atPath: dir + "/Pipelines", withIntermediateDirectories: true)
    for pipeline in ["sample.json", "microdata.json"] {
        try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/Pipelines/" + pipeline, toPath: dir + "/Pipelines/" + pipeline)
    }
    return (dir, try TestSupport.run(TestSupport.binary, ["run", "Pipelines/sample.json"], in: dir))
}

@Test func theSamplePipelineCreatesItsKeyAndPublishesEveryFile() throws {
    let (dir, r) = try runSamplePipeline()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("created a new master key in var/sample.key (mode 0600)"))
    let mode = try FileManager.default.attributesOfItem(atPath: dir + "/var/sample.key")[.posixPermissions] as? Int
    #expect(mode == 0o600)
    #expect(r.stdout.contains("rejected malformed-line"))
    let exportDir = dir + "/out/research/partner-lab/all"
    let files = try FileManager.default.contentsOfDirectory(atPath: exportDir).sorted()
    #expect(
        files == [
            "README.md", "SHA256SUMS", "activity_completion.csv.gz", "connection_days.csv.gz", "content_views.csv.gz",
            "course_completion.csv.gz", "daily_activity.csv.gz", "datapackage.json", "failed_searches.csv.gz",
            "privacy-report.json", "session_lengths.csv.gz",
        ])
    let check = try TestSupport.run("/usr/bin/env", ["sha256sum", "-c", "SHA256SUMS"], in: exportDir)
    #expect(check.status == 0, "\(check.stdout)")
    // The session microdata comes from a pipeline and store of its own, without perturbed tables.
    let microdata = try TestSupport.run(TestSupport.binary, ["run", "Pipelines/microdata.json"], in: dir)
    #expect(microdata.status == 0, "\(microdata.stderr)")
    let sessionsDir = dir + "/out/sessions/cohort-study/all"
    let sessionFiles = try FileManager.default.contentsOfDirectory(atPath: sessionsDir).sorted()
    #expect(sessionFiles == ["README.md", "SHA256SUMS", "datapackage.json", "privacy-report.json", "sessions.csv.gz"])
    #expect(try TestSupport.gunzip(sessionsDir + "/sessions.csv.gz").hasPrefix("start,duration,pages,device,stream\r\n"))
    #expect(try TestSupport.run("/usr/bin/env", ["sha256sum", "-c", "SHA256SUMS"], in: sessionsDir).status == 0)
}

@Test(.enabled(if: TestSupport.frictionless != nil, "needs the frictionless command (pip install frictionless; .ci/run installs it)"))
func theSampleExportValidatesWithFrictionless() throws {
    let (dir, r) = try runSamplePipeline()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(r.status == 0, "\(r.stderr)")
    let frictionless = try #require(TestSupport.frictionless)
    #expect(try TestSupport.run(TestSupport.binary, ["run", "Pipelines/microdata.json"], in: dir).status == 0)
    for export in ["research/partner-lab", "sessions/cohort-study"] {
        let validation = try TestSupport.run(frictionless, ["validate", "datapackage.json"], in: dir + "/out/\(export)/all")
        #expect(validation.status == 0, "\(export): \(validation.stdout)\(validation.stderr)")
        #expect(validation.stdout.contains("VALID") && !validation.stdout.contains("INVALID"), "\(export)")
    }
}

@Test func aSecondRunOnTheSameStoreIsRefusedAtOnce() throws {
    let dir = TestSupport.temporaryDirectory("lock")
    defer { TestSupport.remove(dir) }
    let first = try Store(path: dir + "/s.sqlite")
    do {
        _ = try Store(path: dir + "/s.sqlite")
        Issue.record("a second store handle must be refused")
    } catch {
        #expect(error.description.contains("another sillage process is using this store (pid \(getpid()))"))
    }
    _ = first
}

/// `--json` prints a report whatever happens: a failed run prints its error as JSON on
/// standard output (and, as always, the message on standard error and its exit code).
@Test func aFailedRunStillPrintsAJSONReport() throws {
    let dir = TestSupport.temporaryDirectory("json-failure")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    let r = try TestSupport.run(
        TestSupport.binary, ["run", "--input", "combined:nope.log", "--store", "s.sqlite", "--out", "out", "--key-file", "test.key", "--json"],
        in: dir)
    #expect(r.status == 2)
    let report = try JSONParser.parse(Array(r.stdout.utf8), source: "stdout")
    #expect(report["status"] == .string("failed"))
    guard case .object(let error)? = report["error"] else { Issue.record("no error object: \(r.stdout)"); return }
    #expect(error.first { $0.0 == "exitCode" }?.1 == .int(2))
    #expect(r.stderr.contains("nope.log: cannot read input"))
}
