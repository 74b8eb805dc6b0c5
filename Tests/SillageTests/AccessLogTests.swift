import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest

private let key = [UInt8](repeating: 9, count: 32)
private let paris = try! ZoneRules(identifier: "Europe/Paris")

private func parser(_ format: AccessLogFormat, scope: VisitorScope = .day, profile: AssetProfile = .moodle) -> AccessLogParser {
    AccessLogParser(
        format: format, stream: 0, profile: profile, visitorScope: scope, zone: paris,
        pseudonymiser: Pseudonymiser(key: key))
}

private func parse(_ text: String, _ p: AccessLogParser) -> ChunkResult {
    p.parse(LineChunk(bytes: Array(text.utf8), index: 0, offset: 0, isOverlongLine: false))
}

private let combined = AccessLogFormat.named("combined")!
private let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 Safari/537.36"

@Test func aCombinedLineBecomesAPageView() throws {
    let r = parse(
        #"192.0.2.10 - - [29/Mar/2026:10:15:00 +0200] "GET /course/view.php?id=12&sesskey=abc123XYZ9 HTTP/1.1" 200 5120 "https://moodle.example.fr/my/" "\#(chrome)""#
            + "\n", parser(combined))
    #expect(r.lines == 1)
    let event = try #require(r.events.first)
    #expect(event.time == 1_774_772_100_000)
    #expect(event.kind == .pageView)
    #expect(event.status == 200)
    #expect(event.agentClass == .desktop)
    #expect(event.day == Int32(CivilTime.days(year: 2026, month: 3, day: 29)))
    #expect(r.objects == ["/course/view.php?id=12"])
}

@Test(arguments: [
    // IPv6 client and an escaped quote in the user agent.
    #"2a01:e0a:1f3:2b0::1 - - [29/Mar/2026:10:15:00 +0200] "GET /mod/page/view.php?id=301 HTTP/2.0" 200 77 "-" "Mozilla/5.0 (Windows NT 10.0) \"Campus\" Chrome/126""#,
    // Escaped quote inside the request line.
    #"192.0.2.10 - - [29/Mar/2026:10:15:00 +0200] "GET /mod/page/view.php?id=301&x=\"y\" HTTP/1.1" 200 77 "-" "Mozilla/5.0 (X11; Linux x86_64)""#,
    // An unescaped quote inside the user agent (old nginx).
    #"192.0.2.10 - - [29/Mar/2026:10:15:00 +0200] "GET /mod/page/view.php?id=301 HTTP/1.1" 200 77 "-" "Mozilla/5.0 (X11; Linux "odd" x86_64)""#,
    // CRLF line end.
    "192.0.2.10 - - [29/Mar/2026:10:15:00 +0200] \"GET /mod/page/view.php?id=301 HTTP/1.1\" 200 77 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\r",
])
func awkwardButValidLinesParse(line: String) throws {
    let r = parse(line + "\n", parser(combined))
    #expect(r.counts.totalRejects == 0, "rejected: \(line)")
    #expect(r.events.count == 1)
    #expect(r.objects.first?.text == "/mod/page/view.php?id=301")
}

@Test(arguments: [
    (
        #"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET /theme/styles.php/boost/1/all HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64)""#,
        SkipReason.staticAsset
    ),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET /pix/logo.PNG HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64)""#, .staticAsset),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET /lib/javascript.php/1/x HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64)""#, .staticAsset),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (compatible; Googlebot/2.1)""#, .bot),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET / HTTP/1.1" 200 1 "-" "-""#, .bot),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET / HTTP/1.1" 200 1 "-" "python-requests/2.32""#, .bot),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET /nope HTTP/1.1" 404 1 "-" "Mozilla/5.0 (X11; Linux x86_64)""#, .status),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET / HTTP/1.1" 500 1 "-" "Mozilla/5.0 (X11; Linux x86_64)""#, .status),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "HEAD / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64)""#, .method),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "\x16\x03\x01" 400 226 "-" "Mozilla/5.0 (X11; Linux x86_64)""#, .invalidRequest),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "-" 408 0 "-" "Mozilla/5.0 (X11; Linux x86_64)""#, .invalidRequest),
    ("   ", .blankLine),
])
func skippedLinesAreCountedByReason(line: String, reason: SkipReason) {
    let r = parse(line + "\n", parser(combined))
    #expect(r.events.isEmpty)
    #expect(r.counts[skip: reason] == 1, "\(line)")
    #expect(r.counts.totalSkips == 1)
}

@Test(arguments: [
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET / HTTP/1.1" 200"#, RejectReason.malformedLine),
    (#"192.0.2.1 - - [not a date] "GET / HTTP/1.1" 200 1 "-" "curl""#, .badTimestamp),
    (#"192.0.2.1 - - [31/Feb/2026:10:15:00 +0200] "GET / HTTP/1.1" 200 1 "-" "x""#, .badTimestamp),
    (#"192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] "GET / HTTP/1.1" OK 1 "-" "x""#, .badStatus),
    (#"{"remote_addr":"192.0.2.1","request":"GET / HTTP/1.1"}"#, .malformedLine),
    ("192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] \"GET /", .malformedLine),
    ("\u{0}\u{0}\u{0}\u{0}", .malformedLine),
])
func unreadableLinesAreRejectedWithAReasonAndLineNumber(line: String, reason: RejectReason) {
    let r = parse(
        "192.0.2.1 - - [29/Mar/2026:10:15:00 +0200] \"GET /my/ HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux)\"\n" + line + "\n", parser(combined))
    #expect(r.events.count == 1)
    #expect(r.counts[reject: reason] == 1, "\(line)")
    #expect(r.rejectSamples == [RejectSample(line: 2, reason: reason)])
}

@Test func visitorsAreKeyedPerDayUnlessPersistent() {
    let lines = """
        192.0.2.7 - - [29/Mar/2026:23:50:00 +0200] "GET /my/ HTTP/1.1" 200 1 "-" "\(chrome)"
        192.0.2.7 - - [30/Mar/2026:00:10:00 +0200] "GET /my/ HTTP/1.1" 200 1 "-" "\(chrome)"
        192.0.2.7 - jdoe [30/Mar/2026:00:20:00 +0200] "GET /my/ HTTP/1.1" 200 1 "-" "\(chrome)"
        192.0.2.8 - jdoe [30/Mar/2026:00:25:00 +0200] "GET /my/ HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"

        """
    let daily = parse(lines, parser(combined))
    #expect(daily.events.count == 4)
    #expect(daily.events[0].actor != daily.events[1].actor, "a visitor is not followed across midnight")
    #expect(daily.events[2].actor == daily.events[3].actor, "an authenticated user is the same on any address")
    #expect(daily.events[1].actor != daily.events[2].actor)
    let persistent = parse(lines, parser(combined, scope: .persistent))
    #expect(persistent.events[0].actor == persistent.events[1].actor)
    let expected = Pseudonymiser(key: key).pseudonym(namespace: Pseudonymiser.Namespace.webUser, identifier: "jdoe")
    #expect(daily.events[2].actor == expected)
}

@Test(arguments: [
    (
        "apache", #"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %v %D %T"#,
        #"2001:db8::5 - - [25/Oct/2026:02:30:00 +0100] "GET /course/view.php?id=4 HTTP/1.1" 200 512 "-" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) Mobile/15E148" moodle.example.fr 23512 0"#
    ),
    (
        "nginx",
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $host"#,
        #"2001:db8::5 - - [25/Oct/2026:02:30:00 +0100] "GET /course/view.php?id=4 HTTP/1.1" 200 512 "-" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) Mobile/15E148" 0.024 moodle.example.fr"#
    ),
    (
        "nginx", #"$time_iso8601 $remote_addr "$request_method" "$request_uri" $status "$http_user_agent""#,
        #"2026-10-25T02:30:00+01:00 2001:db8::5 "GET" "/course/view.php?id=4" 200 "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) Mobile/15E148""#
    ),
    (
        "apache", #"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#,
        #"moodle.example.fr:443 2001:db8::5 - - [25/Oct/2026:02:30:00 +0100] "GET /course/view.php?id=4 HTTP/1.1" 200 512 "-" "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) Mobile/15E148""#
    ),
])
func customApacheAndNginxFormatsParse(syntax: String, format: String, line: String) throws {
    let compiled = syntax == "apache" ? try AccessLogFormat.apache(format) : try AccessLogFormat.nginx(format)
    let r = parse(line + "\n", parser(compiled))
    #expect(r.counts.totalRejects == 0)
    let event = try #require(r.events.first)
    // 02:30 at +01:00 on the night DST ends: 01:30 UTC.
    #expect(event.time == 1_792_891_800_000)
    #expect(event.agentClass == .mobile)
    #expect(r.objects == ["/course/view.php?id=4"])
}

@Test(arguments: [
    (#"%h %l %u "%r" %>s"#, "no timestamp"),
    (#"%h %t %>s"#, "no request"),
    (#"%h %t "%r""#, "no status"),
    (#"%h%u %t "%r" %>s"#, "touch without a separator"),
    (#"%h %t "%r" %>s %Z"#, "unknown Apache log directive %Z"),
    (#"%h %t "%r" %>s %{Referer"#, "unclosed %{"),
])
func badApacheFormatsAreExplained(format: String, message: String) {
    do {
        _ = try AccessLogFormat.apache(format, at: "p.json at $.inputs[0].logFormat")
        Issue.record("expected an error")
    } catch {
        #expect(error.description.contains(message), "\(error.description)")
        #expect(error.description.hasPrefix("p.json at $.inputs[0].logFormat: "))
        #expect(error.exitCode == 2)
    }
}

@Test func parsingDoesNotDependOnChunkBoundaries() throws {
    let dir = TestSupport.temporaryDirectory("chunks")
    defer { TestSupport.remove(dir) }
    try TestSupport.generateLogs(into: dir, ["--learners", "30", "--days", "2", "--seed", "3"])
    let text = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/access.log")))
    let p = parser(combined)
    var reference: [Event] = []
    var referenceCounts = OutcomeCounts()
    for chunkSize in [1 << 20, 4096, 333] {
        var chunker = LineChunker(reader: MemoryReader(text), chunkSize: chunkSize)
        var events: [Event] = []
        var counts = OutcomeCounts()
        while let chunk = try chunker.next() {
            let r = p.parse(chunk)
            events += r.events.map {
                var e = $0; e.object = 0; return e
            }
            counts.add(r.counts)
        }
        if chunkSize == 1 << 20 {
            reference = events; referenceCounts = counts
        } else {
            #expect(events == reference)
            #expect(counts == referenceCounts)
        }
    }
    #expect(reference.count > 100)
}

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func realMatomoFixturesParse() throws {
    let samples = try #require(TestSupport.samplesDirectory)
    let common = try String(contentsOfFile: samples + "/web-access-logs/matomo_common.log", encoding: .utf8)
    let extended = try String(contentsOfFile: samples + "/web-access-logs/matomo_ncsa_extended.log", encoding: .utf8)
    let c = parse(common.hasSuffix("\n") ? common : common + "\n", parser(AccessLogFormat.named("common")!))
    #expect(c.counts.totalRejects == 0)
    // GET / answered 301: statuses 200–399 are page views (SPEC §7).
    let viaCommon = try #require(c.events.first)
    let e = parse(extended.hasSuffix("\n") ? extended : extended + "\n", parser(combined))
    #expect(e.counts.totalRejects == 0)
    let event = try #require(e.events.first)
    // 10/Feb/2012:16:42:07 -0500 is 21:42:07 UTC.
    #expect(event.time == 1_328_910_127_000)
    #expect(viaCommon.time == event.time)
    #expect(event.agentClass == .desktop)
    #expect(viaCommon.agentClass == .unknown, "common has no user agent")
    // The log names a user, so both lines key the same authenticated actor.
    #expect(event.actor == Pseudonymiser(key: key).pseudonym(namespace: Pseudonymiser.Namespace.webUser, identifier: "theuser"))
    #expect(viaCommon.actor == event.actor)
}

/// The page-view rules on an access record, whatever format it was read from (a JSON or W3C
/// reader builds the same record): one outcome per record, in the order the rules are applied.
@Test(
    arguments: [
        ("GET", "/mod/page/view.php?id=3", 200, "Mozilla/5.0 (X11; Linux x86_64)", false, nil),
        ("POST", "/login/index.php", 303, "Mozilla/5.0 (X11; Linux x86_64)", false, nil),
        ("GET", "/", 200, "Googlebot/2.1 (+http://www.google.com/bot.html)", false, SkipReason.bot),
        ("GET", "/", 200, "Mozilla/5.0 (X11; Linux x86_64)", true, SkipReason.invalidRequest),
        ("DELETE", "/x", 200, "Mozilla/5.0 (X11; Linux x86_64)", false, SkipReason.method),
        ("G\u{1}T", "/x", 200, "Mozilla/5.0 (X11; Linux x86_64)", false, SkipReason.invalidRequest),
        ("GET", "x", 200, "Mozilla/5.0 (X11; Linux x86_64)", false, SkipReason.invalidRequest),
        ("GET", "/x", 404, "Mozilla/5.0 (X11; Linux x86_64)", false, SkipReason.status),
        ("GET", "/theme/boost/style.css", 200, "Mozilla/5.0 (X11; Linux x86_64)", false, SkipReason.staticAsset),
    ] as [(String, String, Int, String, Bool, SkipReason?)])
func theWebClassifierJudgesAnyAccessRecord(method: String, target: String, status: Int, agent: String, malformed: Bool, skip: SkipReason?) {
    let judge = WebRecordClassifier(
        stream: 0, profile: .moodle, visitorScope: .day, zone: ZoneRules(fixedOffsetSeconds: 0),
        pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 5, count: 32)), userNamespace: Pseudonymiser.Namespace.webUser,
        classifier: UserAgentClassifier())
    var memo = WebRecordClassifier.Memo()
    var result = ChunkResult()
    let (m, t, a, host) = (Array(method.utf8), Array(target.utf8), Array(agent.utf8), Array("192.0.2.7".utf8))
    m.withUnsafeBytes { m in
        t.withUnsafeBytes { t in
            a.withUnsafeBytes { a in
                host.withUnsafeBytes { h in
                    let record = AccessRecord(
                        time: 1_774_778_400_000, status: status, method: m, checksMethod: true, target: t, malformedRequest: malformed,
                        user: AccessRecord.none, host: h, userAgent: a)
                    judge.classify(record, memo: &memo, into: &result)
                }
            }
        }
    }
    if let skip {
        #expect(result.events.isEmpty && result.counts[skip: skip] == 1 && result.counts.totalSkips == 1)
    } else {
        #expect(result.events.count == 1 && result.events[0].kind == .pageView && result.counts.totalSkips == 0)
        #expect(memo.objects.count == 1 && memo.objects[0].text.hasPrefix(String(target.prefix { $0 != "?" })))
    }
}

/// nginx's stock `main` format ends with `"$http_x_forwarded_for"`, which is `"-"` when no
/// proxy set it: it must not replace `$remote_addr` (the review of a real shop log found
/// anonymous visitors keyed by user agent alone, 38 users instead of 43). With
/// `clientAddress: x-forwarded-for` the first address of the header is the client, when
/// there is one.
@Test func nginxMainFormatKeysVisitorsByTheirAddressNotTheForwardedHeader() throws {
    let main = try AccessLogFormat.nginx(
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#)
    let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    let lines = """
        192.0.2.1 - - [02/Mar/2026:10:00:00 +0100] "GET /course/view.php?id=2 HTTP/1.1" 200 10 "-" "\(agent)" "-"
        192.0.2.2 - - [02/Mar/2026:10:01:00 +0100] "GET /course/view.php?id=2 HTTP/1.1" 200 10 "-" "\(agent)" "-"
        10.0.0.7 - - [02/Mar/2026:10:02:00 +0100] "GET /course/view.php?id=2 HTTP/1.1" 200 10 "-" "\(agent)" "203.0.113.9, 10.0.0.7"
        10.0.0.8 - - [02/Mar/2026:10:03:00 +0100] "GET /course/view.php?id=2 HTTP/1.1" 200 10 "-" "\(agent)" " 203.0.113.9 "

        """
    let remote = parse(lines, parser(main))
    #expect(remote.counts.totalRejects == 0 && remote.events.count == 4)
    #expect(Set(remote.events.map(\.actor)).count == 4, "four client addresses, four visitors: the trailing \"-\" is not an address")
    var trusting = parser(main)
    trusting.trustsForwardedFor = true
    let forwarded = parse(lines, trusting)
    #expect(forwarded.events[0].actor == remote.events[0].actor, "no header: the remote address")
    #expect(forwarded.events[2].actor == forwarded.events[3].actor, "the header's first address, spaces trimmed, through two proxies")
    #expect(forwarded.events[2].actor != remote.events[2].actor)
}

/// A combined line read as `common` is not a common line: the text after its size (referer
/// and user agent, and with them the bots) would be dropped. Trailing spaces are not text.
@Test(arguments: [
    (#"192.0.2.1 - - [29/Mar/2026:10:00:00 +0200] "GET /my/ HTTP/1.1" 200 5"#, true),
    (#"192.0.2.1 - - [29/Mar/2026:10:00:00 +0200] "GET /my/ HTTP/1.1" 200 5   "#, true),
    (#"192.0.2.1 - - [29/Mar/2026:10:00:00 +0200] "GET /my/ HTTP/1.1" 200 5 "-" "Googlebot/2.1""#, false),
])
func aCommonLineEndsWithItsSize(line: String, accepted: Bool) throws {
    let r = parse(line + "\n", parser(try #require(AccessLogFormat.named("common"))))
    #expect((r.events.count == 1) == accepted && (r.counts.totalRejects == 0) == accepted, "\(line)")
}
