import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest
@testable import SillageMetrics

private let key = [UInt8](repeating: 5, count: 32)
private let paris = try! ZoneRules(identifier: "Europe/Paris")
private let logstoreHeader =
    "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"

private func logstoreParser(_ header: String = logstoreHeader, identity: String? = nil) throws -> MoodleLogstoreParser {
    try MoodleLogstoreParser(
        header: try #require(CSVHeader(head: Array(header.utf8))), file: "log.csv", stream: 0, zone: paris,
        pseudonymiser: Pseudonymiser(key: key), identity: identity)
}

private func parseCSV(_ parser: any ChunkParser, _ text: String) -> ChunkResult {
    parser.parse(LineChunk(bytes: Array(text.utf8), index: 0, offset: 0, isOverlongLine: false))
}

private func moodleUser(_ id: Int) -> ActorKey {
    Pseudonymiser(key: key).pseudonym(namespace: "moodle-userid", identifier: String(id))
}

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func theMoodleLogsReportDownloadParses() throws {
    let dir = try #require(TestSupport.samplesDirectory)
    let text = try String(contentsOfFile: dir + "/moodle/AD1529_Moodle-Log-Data-Consolidation_example_platform_logs.csv", encoding: .utf8)
    let header = try #require(CSVHeader(head: Array(text.utf8)))
    let parser = try MoodleReportParser(header: header, file: "report.csv", stream: 0, zone: paris, pseudonymiser: Pseudonymiser(key: key))
    let r = parseCSV(parser, text)
    #expect(r.counts.totalRejects == 0)
    #expect(r.counts[skip: .header] == 1)
    let events = resolve(r)
    #expect(!events.isEmpty)
    // "The user with id '58' has logged in." at 23/01/23, 12:09 Paris (UTC+1) = 11:09 UTC.
    let login = try #require(zip(r.events, events).first { $0.1.kind == .login })
    #expect(login.0.actor == moodleUser(58))
    #expect(login.1.time == 1_674_472_140_000)
    // "The user with id '0' viewed the course" is not a learner; course 1 is the site front page, not a course.
    #expect(!events.contains { $0.course == "1" })
    #expect(r.counts[skip: .unauthenticated] > 0)
    // "The user with id '287' viewed the course with id '36'."
    #expect(zip(r.events, events).contains { $0.1.kind == .courseView && $0.1.course == "36" && $0.0.actor == moodleUser(287) })
    // "... viewed the 'url' activity with course module id '4051'."
    #expect(events.contains { $0.kind == .contentView && $0.object == "cm:4051" })
    // Full names are dropped at the parser.
    #expect(!r.objects.contains { $0.text.contains("User 58") })
}

@Test(arguments: ["23/01/23, 12:09", "23/01/2023 12:09:00", "2023-01-23 12:09", "2023-01-23 12:09:00"])
func reportTimesAreReadWithOrWithoutSeconds(text: String) throws {
    let local = try #require(Array(text.utf8).withUnsafeBytes { MoodleReportParser.localSeconds($0) })
    #expect(paris.utcSeconds(fromLocalSeconds: local) == 1_674_472_140)
}

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func aLogstoreRowAndItsXAPIStatementGiveTheSameEventAndLearner() throws {
    let dir = try #require(TestSupport.samplesDirectory)
    let row = try JSONParser.parse(
        Array(try String(contentsOfFile: dir + "/moodle/xAPI-vle_moodle-logstore_xapi_course_viewed.event.json", encoding: .utf8).utf8),
        source: "event.json")
    func field(_ name: String) -> String {
        switch row[name] {
        case .int(let i): return String(i)
        case .string(let s): return s
        default: return ""
        }
    }
    // The fixture row, written as a logstore export (its missing columns empty).
    let csv =
        logstoreHeader
        + "\(field("id")),\"\(field("eventname"))\",core,viewed,course,\(field("objecttable")),\(field("objectid")),r,2,2,50,\(field("courseid")),\(field("userid")),\(field("courseid")),,0,,\(field("timecreated")),web,,\n"
    let fromLogstore = parseCSV(try logstoreParser(), csv)
    var statements = try String(contentsOfFile: dir + "/moodle/xAPI-vle_moodle-logstore_xapi_course_viewed.statements.json", encoding: .utf8)
    statements = statements.replacingOccurrences(of: "\"actor\": {", with: "\"timestamp\": \"2015-06-10T14:31:41Z\", \"actor\": {")
    let fromXAPI = parseCSV(
        XAPIStatementsParser(
            stream: 0, zone: paris, pseudonymiser: Pseudonymiser(key: key), identity: "moodle-userid",
            wholeDocument: true), statements)
    #expect(resolve(fromLogstore).count == 1)
    #expect(resolve(fromLogstore) == resolve(fromXAPI))
    // The fixture's course is id 1, Moodle's site front page: on both sides, a view with no course.
    #expect(resolve(fromLogstore).first?.kind == .courseView && resolve(fromLogstore).first?.course == "")
    #expect(fromLogstore.events.map(\.actor) == fromXAPI.events.map(\.actor))
    #expect(fromLogstore.events.first?.actor == moodleUser(1))
}

private func row(
    _ event: String, user: Int = 7, related: String = "", course: Int = 3, level: Int = 70, instance: Int = 45,
    anonymous: Int = 0, other: String = "", time: String = "1774778400", origin: String = "web", real: String = ""
) -> String {
    "1,\"\(event)\",core,x,y,t,1,r,2,10,\(level),\(instance),\(user),\(course),\(related),\(anonymous),\"\(other.replacingOccurrences(of: "\"", with: "\"\""))\",\(time),\(origin),192.0.2.9,\(real)\n"
}

@Test(arguments: [
    (row("\\mod_page\\event\\course_module_viewed"), "contentView cm:45 u7"),
    (row("\\mod_resource\\event\\course_module_viewed"), "download cm:45 u7"),
    (row("\\core\\event\\course_viewed", level: 50, instance: 3), "courseView 3 u7"),
    (
        row("\\core\\event\\course_module_completion_updated", user: 2, related: "7", other: "{\"relateduserid\":7,\"completionstate\":1}"),
        "activityCompleted cm:45 u7"
    ),
    (
        row(
            "\\core\\event\\course_module_completion_updated", user: 2, related: "7",
            other: "a:2:{s:14:\"relateduserid\";i:7;s:15:\"completionstate\";i:2;}"), "activityCompleted cm:45 u7"
    ),
    (row("\\core\\event\\course_module_completion_updated", user: 2, related: "7", other: "{\"completionstate\":0}"), "other cm:45 u7"),
    (row("\\core\\event\\course_module_completion_updated", user: 2, related: "7", other: "a:1:{s:15:\"completionstate\";i:3;}"), "other cm:45 u7"),
    (row("\\core\\event\\course_completed", user: 0, related: "7", level: 50), "courseCompleted  u7"),
    (row("\\core\\event\\user_enrolment_created", user: 2, related: "7", level: 50), "enrolled  u7"),
    (row("\\core\\event\\user_loggedin", level: 10, instance: 0), "login  u7"),
    (row("\\core\\event\\search_results_viewed", level: 10, other: "{\"q\":\"Planning  Examens\",\"page\":0}"), "search search:planning examens u7"),
    (row("\\mod_forum\\event\\course_searched", level: 50, other: "a:1:{s:10:\"searchterm\";s:9:\"jean@x.fr\";}"), "search search:{email} u7"),
    (row("\\core\\event\\grade_viewed", level: 50), "other  u7"),
])
func logstoreRowsBecomeCanonicalEvents(csv: String, expected: String) throws {
    let r = parseCSV(try logstoreParser(), logstoreHeader + csv)
    #expect(r.counts.totalRejects == 0)
    let e = try #require(resolve(r).first)
    let actor = r.events[0].actor == moodleUser(7) ? "u7" : "other-user"
    #expect("\(e.kind.name) \(e.object) \(actor)" == expected)
    #expect(e.time == 1_774_778_400_000)
}

@Test(arguments: [
    (row("\\mod_page\\event\\course_module_viewed", anonymous: 1), SkipReason.anonymous),
    (row("\\mod_page\\event\\course_module_viewed", real: "2"), .loggedInAs),
    (row("\\core\\event\\course_viewed", origin: "cli"), .systemOrigin),
    (row("\\core\\event\\user_loggedin", origin: "cli"), .systemOrigin),
    (row("\\core\\event\\course_viewed", origin: "restore"), .systemOrigin),
    (row("\\core\\event\\course_viewed", user: 0), .unauthenticated),
    (row("\\core\\event\\course_viewed", user: -1), .unauthenticated),
])
func logstoreRowsThatAreNotTheLearnersActivityAreSkipped(csv: String, reason: SkipReason) throws {
    let r = parseCSV(try logstoreParser(), logstoreHeader + csv)
    #expect(r.events.isEmpty)
    #expect(r.counts[skip: reason] == 1)
}

@Test(arguments: [
    (row("\\core\\event\\course_viewed", time: "yesterday"), RejectReason.badTimestamp),
    (row("", time: "1774778400"), .missingField),
    ("1,\"\\core\\event\\course_viewed\",core\n", .malformedCSV),
    ("1,\"broken\"quote,core,x,y,t,1,r,2,10,50,3,7,3,,0,,1774778400,web,,\n", .malformedCSV),
])
func badLogstoreRowsAreCountedRejects(csv: String, reason: RejectReason) throws {
    let r = parseCSV(try logstoreParser(), logstoreHeader + csv)
    #expect(r.counts[reject: reason] == 1)
    #expect(r.rejectSamples.first?.line == 2)
}

@Test func completionsMadeByCronOrATeacherAreFactsNotActivity() throws {
    let csv =
        logstoreHeader
        + row("\\core\\event\\course_completed", user: 0, related: "7", level: 50, origin: "cli")
        + row("\\core\\event\\user_enrolment_created", user: 2, related: "7", level: 50)
        + row("\\core\\event\\user_enrolment_created", user: 7, related: "7", level: 50)
        + row("\\core\\event\\course_module_completion_updated", user: 7, related: "7", other: "{\"completionstate\":1}")
    let r = parseCSV(try logstoreParser(), csv)
    #expect(r.events.map(\.kind) == [.courseCompleted, .enrolled, .enrolled, .activityCompleted])
    #expect(r.events.map(\.isFact) == [true, true, false, false])
    #expect(r.events.allSatisfy { $0.actor == moodleUser(7) })
    // Facts never make sessions.
    let sessions = Sessioniser(inactivityMinutes: 30).sessionise(r.events.filter(\.isFact)).sessions
    #expect(sessions.isEmpty)
}

@Test func aLogstoreExportWithoutItsColumnsIsExplained() throws {
    let header = try #require(CSVHeader(head: Array("time,user,event\n".utf8)))
    do throws(SillageError) {
        _ = try MoodleLogstoreParser(header: header, file: "log.csv", stream: 0, zone: paris, pseudonymiser: Pseudonymiser(key: key))
        Issue.record("expected an error")
    } catch {
        #expect(error.description.hasPrefix("log.csv: the Moodle logstore export has no eventname column"))
        #expect(error.exitCode == 2)
    }
}

@Test func multiLineOtherValuesStayInTheirRecord() throws {
    let csv =
        logstoreHeader
        + row("\\core\\event\\search_results_viewed", level: 10, other: "{\"q\":\"line one\\nline two\"}")
        .replacingOccurrences(of: "\\\\n", with: "\n") + row("\\core\\event\\course_viewed", level: 50, instance: 3)
    let r = parseCSV(try logstoreParser(), csv)
    #expect(r.events.count == 2)
    #expect(r.counts.totalRejects == 0)
}

@Test func referenceTablesBecomeFactsCatalogueEntriesAndMemberships() throws {
    func parser(_ kind: ReferenceTableParser.Kind, _ header: String) throws -> ReferenceTableParser {
        try ReferenceTableParser(
            kind: kind, header: try #require(CSVHeader(head: Array(header.utf8))), file: "ref.csv", stream: 0,
            zone: paris, pseudonymiser: Pseudonymiser(key: key))
    }
    let completions =
        "id,userid,course,timeenrolled,timestarted,timecompleted,reaggregate\n"
        + "1,7,5,1774778400,1774778500,1775642400,0\n2,8,5,1774778400,0,,0\n3,9,5,0,0,0,0\n4,x,5,1,1,1,0\n"
    let r = parseCSV(try parser(.courseCompletions, completions), completions)
    #expect(r.events.map(\.kind) == [.enrolled, .courseCompleted, .enrolled])
    #expect(r.events.allSatisfy { $0.isFact })
    #expect(r.events.first?.actor == moodleUser(7))
    #expect(r.events[1].time == 1_775_642_400_000)
    #expect(r.counts[reject: .missingField] == 1)
    #expect(r.counts[skip: .blankLine] == 1, "a row with neither enrolment nor completion time")
    let enrolments = "userid,courseid,timestart\n7,course-v1:a+b+c,2026-03-29\n8,course-v1:a+b+c,2026-03-29T10:00:00Z\n9,course-v1:a+b+c,soon\n"
    let e = parseCSV(try parser(.enrolments, enrolments), enrolments)
    #expect(e.events.count == 2)
    #expect(e.events[0].time == 1_774_738_800_000, "a date is local midnight in the pipeline zone (still UTC+1 that night)")
    #expect(e.counts[reject: .badTimestamp] == 1)
    let catalogue = "key,name,course,position\n5,\"Statistique, niveau 1\",,\n51,Lesson 1,5,2\n"
    let c = parseCSV(try parser(.catalogue, catalogue), catalogue)
    #expect(
        c.references == [
            .catalogue(key: "5", course: "", name: "Statistique, niveau 1", position: nil),
            .catalogue(key: "cm:51", course: "5", name: "Lesson 1", position: 2),
        ])
    let members = "userid,organisation\n7,Lycée Jean Moulin\n"
    let m = parseCSV(try parser(.organisations, members), members)
    #expect(m.references == [.membership(actor: moodleUser(7), organisation: "Lycée Jean Moulin")])
    do throws(SillageError) {
        _ = try ReferenceTableParser(
            kind: .courseCompletions, header: CSVHeader(head: Array("a,b\n".utf8))!, file: "ref.csv",
            stream: 0, zone: paris, pseudonymiser: Pseudonymiser(key: key))
        Issue.record("expected an error")
    } catch {
        #expect(error.description.hasPrefix("ref.csv: the moodle-course-completions table has no userid column"))
    }
}
