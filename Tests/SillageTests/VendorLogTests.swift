import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest
@testable import SillagePipeline

// Fixtures in VendorLogs/ are written from each vendor's format documentation: the same six
// requests (three page views by two visitors, a style sheet, a crawler, a 404) in each format.

private let vendorLogs = TestSupport.packageRoot + "/Tests/SillageTests/VendorLogs/"
private let paris = try! ZoneRules(identifier: "Europe/Paris")
private let firstRequest: Int64 = 1_774_858_502_000  // 2026-03-30 08:15:02 UTC

private func context() -> IngestContext {
    IngestContext(zone: paris, pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 7, count: 32)), classifier: UserAgentClassifier(), streamIndex: 0)
}

/// Reads `file` as `type` the way a run does: the stage prepares the file from its head,
/// the chunker cuts it into small chunks (so directives are carried across chunks).
private func read(_ file: String, as type: String, input: InputDefinition? = nil, chunkSize: Int = 200) throws -> ChunkResult {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: vendorLogs + file)))
    var d = input ?? InputDefinition(type: type, paths: [file])
    d.type = type
    let stage = try #require(StageRegistry.ingest[type])
    let parsing = try stage.prepareFile(d, context(), Array(bytes.prefix(LineChunkerDefaults.fingerprintBytes)), file)
    var chunker = LineChunker(reader: MemoryReader(bytes), chunkSize: chunkSize, boundary: parsing.boundary)
    var total = ChunkResult()
    while let chunk = try chunker.next() {
        let r = parsing.parser.parse(chunk)
        total.events += r.events
        total.objects += r.objects
        total.lines += r.lines
        total.counts.add(r.counts)
        for (day, tally) in r.server { total.server[day, default: ServerDay()].add(tally) }
    }
    return total
}

private func detected(_ file: String) throws -> String {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: vendorLogs + file)))
    return try FormatSniffer.detect(
        head: Array(bytes.prefix(LineChunkerDefaults.fingerprintBytes)), input: InputDefinition(type: "auto", paths: [file]),
        zone: paris, file: file
    ).type
}

/// The response bytes of each fixture, summed by a script outside the project (Python over the
/// documented field: `body_bytes_sent`, `size`, `DownstreamContentSize`, `EdgeResponseBytes`,
/// `sc-bytes`, ELB/ALB `sent_bytes`, S3 `Bytes Sent`, `%b`); the IIS fixture logs no `sc-bytes`.
@Test(arguments: [
    ("nginx-json", "nginx-json.log", 30720), ("caddy-json", "caddy.log", 65400), ("traefik-json", "traefik.log", 6144),
    ("cloudflare-json", "cloudflare.log", 12288), ("w3c", "iis.log", 0), ("cloudfront", "cloudfront.log", 14340),
    ("elb", "elb.log", 174), ("alb", "alb.log", 2196), ("s3", "s3.log", 15_977_952), ("vhost-combined", "vhost-portless.log", 30720),
    ("combined", "nginx-main.log", 30720),
])
func everyVendorFormatReadsItsDocumentedLines(type: String, file: String, bytes: Int) throws {
    let r = try read(file, as: type)
    // The server report counts all six requests, whatever they are, and the bytes served.
    #expect(r.server.values.reduce(0) { $0 + $1.requests } == 6)
    #expect(r.server.values.reduce(0) { $0 + $1.bytes } == bytes)
    #expect(r.counts.totalRejects == 0, "\(type) rejected lines")
    #expect(r.events.count == 3)
    #expect(r.counts[skip: .bot] == 1)
    #expect(r.counts[skip: .staticAsset] == 1)
    #expect(r.counts[skip: .status] == 1)
    #expect(Set(r.events.map(\.actor)).count == 2)
    #expect(r.events.map(\.time).min().map { $0 / 1000 } == firstRequest / 1000)
    // The pages viewed, and the page a person met a 404 on (the server report's hot spot).
    #expect(
        Set(r.objects.map(\.text)) == [
            "/course/view.php?id=2", "/mod/page/view.php?id=7", "/mod/quiz/view.php?id=9", "/mod/forum/view.php?id=4",
        ])
    #expect(try detected(file) == type)
}

@Test func haproxyReadsItsHTTPLogWithOrWithoutTheSyslogPrefix() throws {
    let r = try read("haproxy.log", as: "haproxy")
    #expect(r.counts.totalRejects == 0)
    #expect(r.server.values.reduce(0) { $0 + $1.bytes } == 13750, "bytes_read, summed outside the project")
    #expect(r.events.count == 3)
    #expect(r.counts[skip: .staticAsset] == 1)
    #expect(r.counts[skip: .status] == 1)
    #expect(Set(r.events.map(\.actor)).count == 2)
    // The accept date has no offset: local time in the pipeline's zone (Paris, UTC+2 then).
    #expect(r.events.map(\.time).min() == firstRequest - 2 * 3600 * 1000 + 655)
    #expect(try detected("haproxy.log") == "haproxy")
}

@Test func aW3CFileWhoseFieldsChangeIsReadWithEachBlocksFields() throws {
    // Chunks of 200 bytes: the second #Fields line is met in one chunk and applies in the next.
    for size in [64, 200, 4096] {
        let r = try read("iis.log", as: "w3c", chunkSize: size)
        #expect(r.counts.totalRejects == 0, "chunk size \(size)")
        #expect(r.counts[skip: .directive] == 8)
        #expect(r.events.count == 3)
    }
}

@Test func twoFormatsThatFitAlikeAreRefusedByName() throws {
    // A line that has both nginx's variable names and Caddy's members.
    let mixed =
        #"{"time_iso8601":"2026-03-30T08:15:02+00:00","remote_addr":"192.0.2.1","request_uri":"/","status":200,"ts":1774858502.1,"request":{"uri":"/","remote_ip":"192.0.2.1","method":"GET"}}"#
    let head = Array((mixed + "\n" + mixed + "\n").utf8)
    #expect {
        _ = try FormatSniffer.detect(head: head, input: InputDefinition(type: "auto", paths: ["x"]), zone: paris, file: "x.log")
    } throws: { error in
        let text = "\(error)"
        return text.contains("nginx-json and caddy-json") && text.contains("x.log")
    }
}

@Test func aFileNoFormatReadsIsRefusedWithTheTypesToDeclare() throws {
    let head = Array("hello world\nnot a log line\n".utf8)
    #expect {
        _ = try FormatSniffer.detect(head: head, input: InputDefinition(type: "auto", paths: ["x"]), zone: paris, file: "notes.txt")
    } throws: { error in
        "\(error)".contains("no access-log format reads") && "\(error)".contains("notes.txt")
    }
}

@Test func jsonFieldNamesAreOverridable() throws {
    // An in-house JSON log: the pipeline names where each field is.
    let text = """
        {"@timestamp":"2026-03-30T10:15:02+02:00","client":{"ip":"192.0.2.1"},"http":{"verb":"GET","url":"/course/view.php?id=2","code":"200"},"agent":"Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"}

        """
    let fields: [(field: JSONAccessLayout.Field, path: String)] = [
        (.time, "@timestamp"), (.client, "client.ip"), (.method, "http.verb"), (.uri, "http.url"), (.status, "http.code"),
        (.userAgent, "agent"),
    ]
    let parser = JSONAccessLogParser(
        layout: JSONAccessLayout.presets["nginx-json"]!.overriding(fields), stream: 0, profile: .moodle, visitorScope: .day,
        zone: paris, pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 7, count: 32)))
    let r = parser.parse(LineChunk(bytes: Array(text.utf8), index: 0, offset: 0, isOverlongLine: false))
    #expect(r.counts.totalRejects == 0)
    #expect(r.events.first?.time == firstRequest)
    #expect(r.objects.map(\.text) == ["/course/view.php?id=2"])
}

@Test(arguments: [
    (#"{"remote_addr":"192.0.2.1","request":"GET / HTTP/1.1","status":200}"#, RejectReason.missingField),
    (#"{"time_iso8601":"yesterday","remote_addr":"192.0.2.1","request":"GET / HTTP/1.1","status":200}"#, .badTimestamp),
    (#"{"time_iso8601":"2026-03-30T08:15:02Z","remote_addr":"192.0.2.1","request":"GET / HTTP/1.1","status":"-"}"#, .badStatus),
    (#"{"time_iso8601":"2026-03-30T08:15:02Z","#, .invalidJSON),
])
func unreadableJSONLinesAreRejectedWithTheirReason(line: String, reason: RejectReason) {
    let parser = JSONAccessLogParser(
        layout: JSONAccessLayout.presets["nginx-json"]!, stream: 0, profile: .moodle, visitorScope: .day, zone: paris,
        pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 7, count: 32)))
    let r = parser.parse(LineChunk(bytes: Array((line + "\n").utf8), index: 0, offset: 0, isOverlongLine: false))
    #expect(r.counts[reject: reason] == 1)
    #expect(r.events.isEmpty)
}

@Test func aTrustedForwardedHeaderKeysJSONVisitorsByTheirFirstAddress() throws {
    // Two proxies in front of one visitor: by the proxy address they would be two visitors.
    let lines =
        [("10.0.0.1", "203.0.113.9, 10.0.0.1"), ("10.0.0.2", "203.0.113.9, 10.0.0.2")].map { remote, forwarded in
            #"{"time_iso8601":"2026-03-30T08:15:02Z","remote_addr":"\#(remote)","http_x_forwarded_for":"\#(forwarded)","request":"GET /course/view.php?id=2 HTTP/1.1","status":200,"http_user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"}"#
        }.joined(separator: "\n") + "\n"
    var parser = JSONAccessLogParser(
        layout: JSONAccessLayout.presets["nginx-json"]!, stream: 0, profile: .moodle, visitorScope: .day, zone: paris,
        pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 7, count: 32)))
    let chunk = LineChunk(bytes: Array(lines.utf8), index: 0, offset: 0, isOverlongLine: false)
    #expect(Set(parser.parse(chunk).events.map(\.actor)).count == 2)
    parser.trustsForwardedFor = true
    #expect(Set(parser.parse(chunk).events.map(\.actor)).count == 1)
}

/// Nineteen digits overflow a 64-bit integer: such a status is a bad status, not a crash
/// (an outsider writes the JSON of a browser event, and a status field in a forged line).
@Test func aNumberTooLargeForAnIntegerIsRejectedNotACrash() {
    let parser = JSONAccessLogParser(
        layout: JSONAccessLayout.presets["nginx-json"]!, stream: 0, profile: .generic, visitorScope: .day, zone: paris,
        pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 7, count: 32)))
    let line =
        #"{"time_iso8601":"2026-03-31T10:00:00+02:00","remote_addr":"192.0.2.1","request_uri":"/my/","status":9999999999999999999,"http_user_agent":"Mozilla/5.0 (X11; Linux x86_64)"}"#
    let r = parser.parse(LineChunk(bytes: Array((line + "\n").utf8), index: 0, offset: 0, isOverlongLine: false))
    #expect(r.counts[reject: .badStatus] == 1)
    let edx = OpenEdxTrackingParser(stream: 0, zone: paris, pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 7, count: 32)))
    let search =
        #"{"username":"u","event_type":"edx.course.search.results_displayed","time":"2026-03-29T10:00:00+00:00","context":{"user_id":7,"course_id":"course-v1:Org+C+2025"},"event":"{\"search_term\":\"x\",\"total\":9999999999999999999}","event_source":"browser"}"#
    let e = edx.parse(LineChunk(bytes: Array((search + "\n").utf8), index: 0, offset: 0, isOverlongLine: false))
    #expect(e.events.count == 1 && e.events[0].searchResults == -1)
}

/// An IIS file whose `#Fields:` changed beyond its first 4 KiB, resumed after lines were
/// appended: the new lines are read with the directive in force where reading resumes,
/// not the header's (they were rejected, or read with shifted fields).
@Test func aW3CFileResumedPastAChangedDirectiveReadsWithThatDirective() async throws {
    let dir = TestSupport.temporaryDirectory("w3c-resume")
    defer { TestSupport.remove(dir) }
    for sub in ["once", "inc"] { try FileManager.default.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true) }
    let agent = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/124.0+Safari/537.36"
    let a = { (i: Int) in
        "2026-03-30 08:\(String(format: "%02d", i % 60)):00 10.0.0.1 GET /course/view.php id=\(i) 443 - 192.0.2.\(i % 200 + 1) \(agent) - 200 0 0 15\n"
    }
    let b = { (i: Int) in
        "2026-03-30 10:\(String(format: "%02d", i % 60)):00 W3SVC1 10.0.0.1 GET /course/view.php id=\(i) 443 - 192.0.2.\(i % 200 + 1) \(agent) - 200 0 0 15\n"
    }
    var head =
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
    for i in 0..<40 { head += a(i) }
    head +=
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
    for i in 0..<10 { head += b(i) }
    let tail = (10..<30).map(b).joined()
    #expect(head.utf8.count > LineChunkerDefaults.fingerprintBytes)
    try (head + tail).write(toFile: dir + "/once/u_ex.log", atomically: true, encoding: .utf8)
    let once = try await Runner(pipeline: try TestSupport.pipeline("w3c", [dir + "/once/u_ex.log"], in: dir + "/once", minCount: 2)).run()
    #expect(once.events == 70 && once.counts.totalRejects == 0)
    let log = dir + "/inc/u_ex.log"
    try head.write(toFile: log, atomically: false, encoding: .utf8)
    let p = try TestSupport.pipeline("w3c", [log], in: dir + "/inc", minCount: 2)
    let first = try await Runner(pipeline: p).run()
    try (head + tail).write(toFile: log, atomically: false, encoding: .utf8)
    let second = try await Runner(pipeline: p).run()
    #expect(second.counts.totalRejects == 0)
    #expect(first.events + second.events == once.events)
}

/// A client's user agent that starts with a quote is text, not an unclosed quoted field:
/// seven such lines in a hundred stopped the run over the reject rate.
@Test func aQuoteThatOpensAnIISFieldIsText() throws {
    var text = "#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status\n"
    text += "2026-03-30 08:15:02 GET /course/view.php id=2 192.0.2.1 \"x 200\n"
    text += "2026-03-30 08:15:03 GET /course/view.php id=2 192.0.2.1 \"Quoted+Agent\" 200\n"
    let parser = W3CExtendedLogParser(
        separator: 0x20, stream: 0, profile: .moodle, visitorScope: .day, zone: paris,
        pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 7, count: 32)))
    let r = parser.parse(LineChunk(bytes: Array(text.utf8), index: 0, offset: 0, isOverlongLine: false))
    #expect(r.counts.totalRejects == 0)
    #expect(r.lines == 3 && r.counts[skip: .directive] == 1)
}

/// A crawler list cannot crash the run with patterns nested past any sense.
@Test func aPatternNestedTooDeepIsRefused() {
    #expect(throws: SillageError.self) { try BytePattern(String(repeating: "(", count: 20_000) + String(repeating: ")", count: 20_000)) }
    #expect((try? BytePattern(String(repeating: "(", count: 60) + "a" + String(repeating: ")", count: 60))) != nil)
}

/// `sillage validate` says what an `auto` input reads each file as, and a run says it too.
@Test func validateAndRunSayWhatAutoDetected() throws {
    let dir = TestSupport.temporaryDirectory("auto-validate")
    defer { TestSupport.remove(dir) }
    for file in ["caddy.log", "iis.log"] {
        try FileManager.default.copyItem(atPath: vendorLogs + file, toPath: dir + "/" + file)
    }
    _ = try TestSupport.keyFile(in: dir)
    try #"{"version": 1, "key": {"file": "test.key"}, "store": "s.sqlite", "output": "out", "inputs": [{"type": "auto", "paths": ["*.log"]}]}"#
        .write(toFile: dir + "/p.json", atomically: true, encoding: .utf8)
    let validate = try TestSupport.run(TestSupport.binary, ["validate", "p.json"], in: dir)
    #expect(validate.status == 0, "\(validate.stderr)")
    #expect(validate.stdout.contains("caddy.log: read as caddy-json, detected from its first records (6 of 6)"), "\(validate.stdout)")
    #expect(validate.stdout.contains("iis.log: read as w3c, detected from its first records (6 of 6)"), "\(validate.stdout)")
    let run = try TestSupport.run(TestSupport.binary, ["run", "p.json"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("read as caddy-json") && run.stderr.contains("read as w3c"), "\(run.stderr)")
}
