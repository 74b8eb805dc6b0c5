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

@Test(arguments: [
    ("nginx-json", "nginx-json.log"), ("caddy-json", "caddy.log"), ("traefik-json", "traefik.log"),
    ("cloudflare-json", "cloudflare.log"), ("w3c", "iis.log"), ("cloudfront", "cloudfront.log"), ("elb", "elb.log"),
    ("alb", "alb.log"), ("s3", "s3.log"), ("vhost-combined", "vhost-portless.log"), ("combined", "nginx-main.log"),
])
func everyVendorFormatReadsItsDocumentedLines(type: String, file: String) throws {
    let r = try read(file, as: type)
    #expect(r.counts.totalRejects == 0, "\(type) rejected lines")
    #expect(r.events.count == 3)
    #expect(r.counts[skip: .bot] == 1)
    #expect(r.counts[skip: .staticAsset] == 1)
    #expect(r.counts[skip: .status] == 1)
    #expect(Set(r.events.map(\.actor)).count == 2)
    #expect(r.events.map(\.time).min().map { $0 / 1000 } == firstRequest / 1000)
    #expect(Set(r.objects.map(\.text)) == ["/course/view.php?id=2", "/mod/page/view.php?id=7", "/mod/quiz/view.php?id=9"])
    #expect(try detected(file) == type)
}

@Test func haproxyReadsItsHTTPLogWithOrWithoutTheSyslogPrefix() throws {
    let r = try read("haproxy.log", as: "haproxy")
    #expect(r.counts.totalRejects == 0)
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
