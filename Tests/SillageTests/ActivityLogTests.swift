import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest

private let key = [UInt8](repeating: 5, count: 32)
private let utc = ZoneRules(fixedOffsetSeconds: 0)

/// A parsed event with its strings resolved, for comparisons across sources.
struct ResolvedEvent: Equatable, CustomStringConvertible {
    var time: Int64
    var kind: EventKind
    var course: String
    var object: String
    var searchResults: Int32

    var description: String { "\(time) \(kind.name) course=\(course) object=\(object)" }
}

func resolve(_ r: ChunkResult) -> [ResolvedEvent] {
    r.events.map { e in
        ResolvedEvent(
            time: e.time, kind: e.kind, course: e.course == 0 ? "" : r.objects[Int(e.course) - 1].text,
            object: e.object == 0 ? "" : r.objects[Int(e.object) - 1].text, searchResults: e.searchResults)
    }
}

func parseText(_ parser: any ChunkParser, _ text: String) -> ChunkResult {
    parser.parse(LineChunk(bytes: Array(text.utf8), index: 0, offset: 0, isOverlongLine: false))
}

private func sample(_ path: String) throws -> String {
    let dir = try #require(TestSupport.samplesDirectory)
    return try String(contentsOfFile: dir + "/" + path, encoding: .utf8)
}

private let edx = OpenEdxTrackingParser(stream: 0, zone: utc, pseudonymiser: Pseudonymiser(key: key))
private let xapi = XAPIStatementsParser(stream: 0, zone: utc, pseudonymiser: Pseudonymiser(key: key))

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func openEdxTrackingLogsFromEventRoutingBackendsParse() throws {
    let text = try sample("openedx-tracking-logs/event-routing-backends_tracking.log")
    let r = parseText(edx, text)
    let lines = text.split(separator: "\n").count
    #expect(r.lines == lines)
    // Lines 3 and 11 are broken upstream (a missing brace, a truncated line): counted rejects with their lines.
    #expect(r.counts[reject: .invalidJSON] == 2)
    #expect(r.rejectSamples == [RejectSample(line: 3, reason: .invalidJSON), RejectSample(line: 11, reason: .invalidJSON)])
    #expect(r.events.count + r.counts.totalSkips + r.counts.totalRejects == lines)
    let events = resolve(r)
    #expect(events.contains { $0.course == "course-v1:edX+DemoX+Demo_Course" })
    #expect(!events.isEmpty)
    // No identifier, path parameter or username leaves the parser.
    let strings = r.objects.map(\.text).joined(separator: " ")
    #expect(!strings.contains("bmtcril") && !strings.contains("172.18.0.1"))
}

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func openEdxEventExportLogParses() throws {
    let text = try sample("openedx-tracking-logs/edx-analytics-pipeline_event_export_tracking.log")
    let r = parseText(edx, text)
    #expect(r.counts.totalRejects == 0)
    let events = resolve(r)
    let enrolments = events.filter { $0.kind == .enrolled }
    #expect(enrolments.count >= 2)
    #expect(enrolments.allSatisfy { $0.course == "edX/Open_DemoX/edx_demo_course" })
    // 2014-04-18T17:09:59.941616+00:00
    #expect(enrolments.first?.time == 1_397_840_999_941)
    #expect(r.events.count + r.counts.totalSkips == r.lines)
}

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func obfuscationInputParsesWithoutLeakingNames() throws {
    let text = try sample("openedx-tracking-logs/edx-analytics-pipeline_obfuscation_tracking.INPUT.log")
    let r = parseText(edx, text)
    #expect(r.counts.totalRejects == 0)
    #expect(r.events.count > 0)
    let strings = r.objects.map(\.text).joined(separator: " ")
    for secret in ["honor", "123.45.67.89", "audit", "staff"] {
        #expect(!strings.contains(secret), "\(secret) leaked into an object")
    }
}

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func ralphStatementsParse() throws {
    let text = try sample("xapi/ralph_data_statements.head20.jsonl")
    let r = parseText(xapi, text)
    #expect(r.events.count == 20)
    #expect(r.counts.totalRejects == 0)
    let events = resolve(r)
    #expect(events.allSatisfy { $0.course.hasPrefix("course-v1:FUN-MOOC+0000") && $0.course.hasSuffix("+session01") })
    #expect(Set(events.map(\.course)).count == 2)
    #expect(events.contains { $0.kind == .contentView })
    // 2021-11-29T23:09:00.867219+00:00
    #expect(events[0].time == 1_638_227_340_867)
    #expect(Set(r.events.map(\.actor)).count > 1)
}

/// The same learner activity, read once as an Open edX event and once as the xAPI statement
/// Open edX's event-routing-backends made of it, gives the same canonical event.
@Test(
    .enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"),
    arguments: ["erb_edx.completion.block_completion.changed", "erb_play_video", "erb_edx.ui.lms.sequence.next_selected"])
func openEdxAndItsXAPITranslationGiveTheSameEvent(name: String) throws {
    let edxText = try sample("xapi/\(name).EDX_PROCESSED_EVENT.json")
    let xapiText = try sample("xapi/\(name).XAPI_EXPECTED.json")
    // Pretty-printed documents: newlines between tokens are only white space.
    let fromEdx = resolve(parseText(edx, edxText.replacingOccurrences(of: "\n", with: " ") + "\n"))
    let fromXAPI = resolve(parseText(xapi, xapiText.replacingOccurrences(of: "\n", with: " ") + "\n"))
    #expect(fromEdx.count == 1)
    #expect(fromEdx == fromXAPI)
    #expect(fromEdx.first?.course == "course-v1:edX+DemoX+Demo_Course")
    #expect(fromEdx.first?.object.hasPrefix("block-v1:edX+DemoX+Demo_Course+type@") == true)
}

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func moodleXAPIStatementsNameMoodleCourses() throws {
    let original = try sample("moodle/xAPI-vle_moodle-logstore_xapi_course_viewed.statements.json")
    // The fixture has no timestamp (optional in xAPI): without one the statement is a reject.
    #expect(
        parseText(XAPIStatementsParser(stream: 0, zone: utc, pseudonymiser: Pseudonymiser(key: key), wholeDocument: true), original)
            .counts[reject: .badTimestamp] == 1)
    // With the logstore row's timecreated (1433946701) as its timestamp, it is read.
    let text = original.replacingOccurrences(of: "\"actor\": {", with: "\"timestamp\": \"2015-06-10T14:31:41Z\", \"actor\": {")
    let parser = XAPIStatementsParser(
        stream: 0, zone: utc, pseudonymiser: Pseudonymiser(key: key), identity: "moodle-userid",
        wholeDocument: XAPIStatementsParser.isWholeDocument(head: Array(text.utf8)))
    #expect(parser.wholeDocument)
    let r = parseText(parser, text)
    let event = try #require(resolve(r).first)
    #expect(event.kind == .courseView)
    #expect(event.course == "", "course 1 is Moodle's site front page")
    // Declared identity: the account name 1 is Moodle user 1.
    #expect(r.events[0].actor == Pseudonymiser(key: key).pseudonym(namespace: "moodle-userid", identifier: "1"))
}

@Test(arguments: [
    (
        "[{\"actor\": {\"mbox\": \"mailto:A@x.fr\"}, \"verb\": {\"id\": \"http://adlnet.gov/expapi/verbs/completed\"}, \"object\": {\"id\": \"https://m.fr/course/view.php?id=7\"}, \"timestamp\": \"2026-03-01T10:00:00Z\"}]",
        "array"
    ),
    (
        "{\"statements\": [{\"actor\": {\"mbox\": \"mailto:a@x.fr\"}, \"verb\": {\"id\": \"http://adlnet.gov/expapi/verbs/completed\"}, \"object\": {\"id\": \"https://m.fr/course/view.php?id=7\"}, \"timestamp\": \"2026-03-01T10:00:00Z\"}], \"more\": \"\"}",
        "page"
    ),
])
func xapiDocumentsAreRead(text: String, shape: String) throws {
    let parser = XAPIStatementsParser(
        stream: 0, zone: utc, pseudonymiser: Pseudonymiser(key: key),
        wholeDocument: XAPIStatementsParser.isWholeDocument(head: Array(text.utf8)))
    #expect(parser.wholeDocument, "\(shape)")
    let r = parseText(parser, text)
    let event = try #require(resolve(r).first)
    #expect(event.kind == .courseCompleted && event.course == "7")
    // mbox addresses are compared case-insensitively and keyed in their own namespace.
    #expect(r.events[0].actor == Pseudonymiser(key: key).pseudonym(namespace: "xapi-mbox", identifier: "mailto:a@x.fr"))
}

@Test(arguments: [
    ("{\"verb\": {\"id\": \"x/viewed\"}, \"object\": {\"id\": \"a\"}, \"timestamp\": \"2026-03-01T10:00:00Z\"}", RejectReason.missingField),
    ("{\"actor\": {\"mbox\": \"mailto:a@x.fr\"}, \"verb\": {\"id\": \"x/viewed\"}, \"object\": {\"id\": \"a\"}}", .badTimestamp),
    (
        "{\"actor\": {\"mbox\": \"mailto:a@x.fr\"}, \"verb\": {\"id\": \"x/viewed\"}, \"object\": {\"id\": \"a\"}, \"timestamp\": \"yesterday\"}",
        .badTimestamp
    ),
    ("{\"actor\": {\"mbox\": \"mailto:a@x.fr\"}, \"verb\": ", .invalidJSON),
    ("not json at all", .invalidJSON),
])
func malformedStatementsAreCountedRejects(line: String, reason: RejectReason) {
    let r = parseText(xapi, line + "\n")
    #expect(r.counts[reject: reason] == 1)
    #expect(r.events.isEmpty)
}

@Test func xapiSearchesKeepOnlyAScrubbedTerm() throws {
    let line =
        #"{"actor": {"account": {"homePage": "https://lms.fr", "name": "u7"}}, "verb": {"id": "https://w3id.org/xapi/acrossx/verbs/searched"}, "object": {"id": "https://lms.fr/search"}, "result": {"response": "  Jean.Dupont@Example.fr ", "extensions": {"https://lms.fr/x/results": 0}}, "timestamp": "2026-03-01T10:00:00Z"}"#
    let plain = line.replacingOccurrences(of: "  Jean.Dupont@Example.fr ", with: "Planning   DES Examens")
    let personal = resolve(parseText(xapi, line + "\n"))
    let ok = resolve(parseText(xapi, plain + "\n"))
    #expect(personal.first?.object == "search:{email}")
    #expect(ok.first?.object == "search:planning des examens")
    #expect(ok.first?.searchResults == 0)
    #expect(ok.first?.kind == .search)
}

/// The Open edX learner rule as documented: the payload's `user_id` is the learner for
/// enrolment and completion events only. A bulk password reset or settings change made by
/// an operator (context without a user) names the account acted on in its payload: taking
/// it made 59 accounts "active learners" on one day of a production log.
@Test func anOpenEdxPayloadUserIsTheLearnerOnlyOfEnrolmentsAndCompletions() {
    func line(_ type: String, payloadUser: Int, course: String = "course-v1:Org+C1+2026") -> String {
        #"{"username": "", "event_type": "\#(type)", "event_source": "server", "time": "2026-03-02T10:00:00+00:00", "context": {"user_id": null, "course_id": "\#(course)", "org_id": "Org"}, "event": {"user_id": \#(payloadUser), "course_id": "\#(course)", "mode": "audit"}}"#
    }
    let text =
        (0..<5).map { line("edx.user.settings.changed", payloadUser: 100 + $0) }.joined(separator: "\n") + "\n"
        + line("edx.course.enrollment.activated", payloadUser: 200) + "\n"
    let r = parseText(edx, text)
    #expect(r.counts.totalRejects == 0)
    #expect(r.events.count == 1, "the enrolment is the learner's; the settings changes are nobody's activity: \(r.events.count)")
    #expect(r.counts[skip: .unauthenticated] == 5)
}

/// The Segment wrapper of the mobile apps: the edX event is `properties` (name, data,
/// context with the course) and the learner the root `userId`; the root `event` is a label.
@Test func aSegmentWrappedMobileEventIsReadAsTheEdxEventItCarries() throws {
    let wrapped =
        #"{"type": "track", "event": "Played a video", "userId": "42", "anonymousId": "a1", "timestamp": "2026-03-02T10:00:00.000Z", "receivedAt": "2026-03-02T10:00:01.000Z", "channel": "mobile", "context": {"library": {"name": "analytics-android"}, "userAgent": "Dalvik/2.1.0"}, "properties": {"name": "edx.video.played", "label": "Week 1", "context": {"course_id": "course-v1:Org+C1+2026", "app_name": "edx.mobileapp.android"}, "data": {"id": "0b9e39477cf34507a7a48f74be381fdd", "code": "mobile", "currentTime": 12}}}"#
    let plain =
        #"{"username": "", "event_type": "edx.video.played", "event_source": "mobile", "time": "2026-03-02T10:00:00+00:00", "context": {"user_id": 42, "course_id": "course-v1:Org+C1+2026"}, "event": {"id": "0b9e39477cf34507a7a48f74be381fdd", "code": "mobile", "currentTime": 12}}"#
    let a = parseText(edx, wrapped + "\n"), b = parseText(edx, plain + "\n")
    #expect(a.counts.totalRejects == 0)
    #expect(resolve(a) == resolve(b))
    #expect(resolve(a).first?.object == "block-v1:Org+C1+2026+type@video+block@0b9e39477cf34507a7a48f74be381fdd")
    #expect(a.events.first?.actor == b.events.first?.actor)
}

/// Courseware pages name their sections by hex block ids: each stays its own object (they
/// all became `{token}`, one object per course); the gate's k-vocabulary rule, not their
/// shape, decides whether one is published.
@Test func hexBlockIdsAndUUIDsStayDistinctObjects() throws {
    let blocks = ["d8a6192ade314473a78242dfeedfbf5b", "3f2a1c9be0d84f6c9a1b2c3d4e5f6a7b"]
    let text =
        blocks.map { id in
            #"{"username": "", "event_type": "/courses/course-v1:Org+C1+2026/courseware/\#(id)/intro/", "event_source": "server", "time": "2026-03-02T10:00:00+00:00", "context": {"user_id": 7, "course_id": "course-v1:Org+C1+2026"}, "event": "{\"POST\": {}, \"GET\": {}}"}"#
        }.joined(separator: "\n") + "\n"
    let objects = Set(resolve(parseText(edx, text)).map(\.object))
    #expect(objects == Set(blocks.map { "/courses/course-v1:Org+C1+2026/courseware/\($0)/intro/" }))
    // xAPI activities named by UUID (as DATASIM writes them).
    let ids = ["7c9e6679-7425-40de-944b-e07fc1f0b2c5", "16fd2706-8baf-433b-82eb-8c7fada847da"]
    let statements =
        ids.map { id in
            #"{"actor": {"mbox": "mailto:a@x.fr"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://example.org/activities/\#(id)"}, "timestamp": "2026-03-01T10:00:00Z"}"#
        }.joined(separator: "\n") + "\n"
    #expect(Set(resolve(parseText(xapi, statements)).map(\.object)) == Set(ids.map { "/activities/\($0)" }))
}

/// A JSON array with a bad statement in the middle: the reject names statement 2 and its
/// sample is that statement's text, not the start of the document.
@Test func aBadStatementInAJSONArrayIsNamedByItsPosition() throws {
    let good =
        #"{"actor": {"mbox": "mailto:a@x.fr"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://m.fr/mod/page/view.php?id=3"}, "timestamp": "2026-03-01T10:00:00Z"}"#
    let bad =
        #"{"actor": {"mbox": "mailto:b@x.fr"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://m.fr/x"}, "timestamp": "not a time"}"#
    let text = "[\n  " + [good, bad, good].joined(separator: ",\n  ") + "\n]\n"
    let parser = XAPIStatementsParser(
        stream: 0, zone: utc, pseudonymiser: Pseudonymiser(key: key), wholeDocument: XAPIStatementsParser.isWholeDocument(head: Array(text.utf8)))
    #expect(parser.wholeDocument)
    let r = parseText(parser, text)
    #expect(r.events.count == 2)
    #expect(r.rejectSamples == [RejectSample(line: 2, reason: .badTimestamp, isStatement: true)])
    #expect(r.rejectSamples.first?.position == "statement 2")
    #expect(r.rejectedBytes.first == Array(bad.utf8))
}

/// NDJSON whose first line is damaged is still NDJSON: one reject, not a whole-file one.
@Test(arguments: [true, false])
func ndjsonIsDetectedEvenWhenItsFirstLineIsBad(badFirstLine: Bool) throws {
    let good =
        #"{"actor": {"mbox": "mailto:a@x.fr"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://m.fr/mod/page/view.php?id=3"}, "timestamp": "2026-03-01T10:00:00Z"}"#
    let first = badFirstLine ? String(good.dropLast(20)) : good
    let text = ([first] + Array(repeating: good, count: 4)).joined(separator: "\n") + "\n"
    #expect(!XAPIStatementsParser.isWholeDocument(head: Array(text.utf8)))
    let r = parseText(xapi, text)
    #expect(r.events.count == (badFirstLine ? 4 : 5))
    #expect(r.counts[reject: .invalidJSON] == (badFirstLine ? 1 : 0))
    #expect(r.rejectSamples.first?.position == (badFirstLine ? "line 1" : nil))
}

/// A pretty-printed LRS page with one statement per indented line is one document: its
/// last statement line being a whole object does not make NDJSON of it.
@Test func aPrettyPrintedLRSPageIsOneDocument() throws {
    let statement = { (i: Int) in
        #"{"actor": {"mbox": "mailto:l\#(i)@example.fr"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://lms.example.fr/activities/a1"}, "timestamp": "2026-03-23T10:00:00Z"}"#
    }
    let page = "{\n  \"statements\": [\n    \(statement(0)),\n    \(statement(1)),\n    \(statement(2))\n  ],\n  \"more\": \"\"\n}\n"
    #expect(XAPIStatementsParser.isWholeDocument(head: Array(page.utf8)))
    let parser = XAPIStatementsParser(stream: 0, zone: utc, pseudonymiser: Pseudonymiser(key: key), wholeDocument: true)
    #expect(parseText(parser, page).events.count == 3)
}

/// A browser event is written by the learner's browser: a completion it claims for another
/// user id is not that user's (one learner published 14 forged completions).
@Test func aBrowserEventCannotCompleteForSomeoneElse() {
    let forged =
        #"{"username": "mallory", "event_type": "edx.completion.block_completion.changed", "event_source": "browser", "time": "2026-03-02T10:00:00+00:00", "context": {"user_id": 7, "course_id": "course-v1:Org+C1+2026"}, "event": {"user_id": 101, "completion": 1.0, "block_id": "block-v1:Org+C1+2026+type@html+block@d8a6192ade314473a78242dfeedfbf5b"}}"#
    let server = forged.replacingOccurrences(of: #""event_source": "browser""#, with: #""event_source": "server""#)
    let a = parseText(edx, forged + "\n"), b = parseText(edx, server + "\n")
    let sender = Pseudonymiser(key: key).pseudonym(namespace: OpenEdxTrackingParser.userNamespace, identifier: "7")
    let named = Pseudonymiser(key: key).pseudonym(namespace: OpenEdxTrackingParser.userNamespace, identifier: "101")
    #expect(a.events.map(\.actor) == [sender])
    #expect(b.events.map(\.actor) == [named])
}
