import Foundation
import Testing
@testable import SillagePipeline

private let header =
    "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"

private func logRow(
    _ event: String, user: Int, related: Int? = nil, course: Int = 5, level: Int = 50, cm: Int = 0,
    other: String = "", at seconds: Int
) -> String {
    "1,\"\(event)\",core,x,y,t,1,r,2,10,\(level),\(level == 70 ? cm : course),\(user),\(course),\(related.map(String.init) ?? ""),0,\"\(other.replacingOccurrences(of: "\"", with: "\"\""))\",\(seconds),web,10.0.0.1,\n"
}

private func statement(user: Int, verb: String, object: String, at: String, extra: String = "") -> String {
    #"{"actor": {"account": {"homePage": "https://moodle.example.fr", "name": "\#(user)"}}, "verb": {"id": "\#(verb)"}, "object": {"id": "\#(object)"}, "timestamp": "\#(at)"\#(extra)}"#
}

@Test func learningTablesFromMoodleAndXAPI() async throws {
    let dir = TestSupport.temporaryDirectory("learning")
    defer { TestSupport.remove(dir) }
    let t0 = 1_774_778_400  // 2026-03-29T10:00:00Z, a Sunday
    let day = 86_400
    var csv = header
    for user in 1...4 { csv += logRow("\\core\\event\\user_enrolment_created", user: 2, related: user, at: t0) }
    csv += logRow("\\core\\event\\course_completed", user: 0, related: 1, at: t0 + 10 * day)
    csv += logRow("\\core\\event\\course_completed", user: 0, related: 2, at: t0 + 20 * day)
    for user in 1...3 {
        csv += logRow(
            "\\core\\event\\course_module_completion_updated", user: 2, related: user, level: 70, cm: 51,
            other: "{\"completionstate\":1}", at: t0 + day + user)
    }
    csv += logRow(
        "\\core\\event\\course_module_completion_updated", user: 2, related: 1, level: 70, cm: 52,
        other: "{\"completionstate\":2}", at: t0 + 2 * day)
    csv += logRow(
        "\\core\\event\\course_module_completion_updated", user: 2, related: 4, level: 70, cm: 52,
        other: "{\"completionstate\":3}", at: t0 + 2 * day)
    // Monday 30 March: user 1 views cm:51 at +0 s, +10 s (double click) and +70 s; user 2 once.
    let monday = t0 + day
    for offset in [0, 10, 70] { csv += logRow("\\mod_page\\event\\course_module_viewed", user: 1, level: 70, cm: 51, at: monday + offset) }
    csv += logRow("\\mod_page\\event\\course_module_viewed", user: 2, level: 70, cm: 51, at: monday + 5)
    try csv.write(toFile: dir + "/logstore.csv", atomically: true, encoding: .utf8)
    let searched = "https://w3id.org/xapi/acrossx/verbs/searched"
    let lines = [
        statement(
            user: 1, verb: searched, object: "https://moodle.example.fr/search", at: "2026-03-30T09:00:00Z",
            extra: #", "result": {"response": "Planning", "extensions": {"https://x/results": 0}}"#),
        statement(
            user: 2, verb: searched, object: "https://moodle.example.fr/search", at: "2026-03-30T09:05:00Z",
            extra: #", "result": {"response": "planning ", "extensions": {"https://x/results": 0}}"#),
        statement(
            user: 3, verb: searched, object: "https://moodle.example.fr/search", at: "2026-03-30T09:06:00Z",
            extra: #", "result": {"response": "planning", "extensions": {"https://x/results": 4}}"#),
        statement(
            user: 3, verb: searched, object: "https://moodle.example.fr/search", at: "2026-03-30T09:07:00Z",
            extra: #", "result": {"response": "jean dupont", "extensions": {"https://x/results": 0}}"#),
    ]
    try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/statements.jsonl", atomically: true, encoding: .utf8)
    var pipeline = try TestSupport.pipeline("moodle-logstore", [dir + "/logstore.csv"], in: dir, minCount: 2)
    var xapiInput = InputDefinition(type: "xapi", paths: [dir + "/statements.jsonl"])
    xapiInput.stream = "lms"
    xapiInput.identity = "moodle-userid"
    pipeline.inputs[0].stream = "lms"
    pipeline.inputs.append(xapiInput)
    try "key,name,course,position\n5,Statistique descriptive,,\n51,Lesson 1,5,2\n52,Quiz 1,5,1\n".write(
        toFile: dir + "/catalogue.csv", atomically: true, encoding: .utf8)
    pipeline.inputs.append(InputDefinition(type: "course-catalogue", paths: [dir + "/catalogue.csv"]))
    let report = try await Runner(pipeline: pipeline).run()
    #expect(report.counts.totalRejects == 0)
    let exportDir = report.exports[0].directory

    let completion = TestSupport.csvRows(try TestSupport.gunzip(exportDir + "/course_completion.csv.gz"))
    #expect(
        completion == [
            ["course", "course_name", "denominator", "learners", "completers", "completion_rate", "median_days_to_complete"],
            ["5", "Statistique descriptive", "enrolled", "4", "2", "0.5", "15"],
        ])
    let funnel = TestSupport.csvRows(try TestSupport.gunzip(exportDir + "/activity_completion.csv.gz"))
    // cm:52 was completed by one learner only (completion state 3, a fail, does not count),
    // and one person produced it: below the k-vocabulary, the row leaves the table, key and
    // all, and ranks count the rows published (cm:51 is first). cm:51's 3 completers of the
    // course's 4 learners leave one who did not complete it: a group under minCount (2), so
    // the row is withheld.
    #expect(
        funnel == [
            ["course", "activity", "activity_name", "rank", "completers", "share_of_learners"],
            ["5", "cm:51", "Lesson 1", "1", "", ""],
        ])
    let views = TestSupport.csvRows(try TestSupport.gunzip(exportDir + "/content_views.csv.gz"))
    #expect(views == [["week", "course", "object", "views", "unique_viewers"], ["2026-03-30", "5", "cm:51", "3", "2"]])
    let searches = TestSupport.csvRows(try TestSupport.gunzip(exportDir + "/failed_searches.csv.gz"))
    // "jean dupont" failed for one learner only: the term is not listed at all.
    #expect(searches == [["term", "searchers", "failed_searches"], ["planning", "2", "2"]])
    let daily = try TestSupport.gunzip(exportDir + "/daily_activity.csv.gz")
    #expect(daily.contains(",lms,"))
    let privacy = try String(contentsOfFile: exportDir + "/privacy-report.json", encoding: .utf8)
    #expect(privacy.contains("\"name\": \"failed_searches\""))
}
