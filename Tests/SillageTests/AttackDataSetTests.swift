import Foundation
import Testing
@testable import SillageCore
@testable import SillageStore

// A learner who controls fields of the logs writes their e-mail address (plain, encoded,
// obfuscated), phone numbers (French and international), IP addresses, user name, full name
// and date of birth into every field a parser reads, in every input format. Whatever the
// runs, nothing of it may reach a published file or the store, and nothing of it may stop
// a release. Values are compared case-insensitively.

/// Every value the learner injects, as a reader of a file or of the store would look for it.
private let injected = [
    "jean.dupont@example.fr", "jean.dupont%40example.fr", "jean.dupont(at)example(dot)fr", "jean.dupont [at] example [dot] fr",
    "jean dot dupont at example dot fr", "jean.dupont\\u0040example.fr", "jdupont00", "jean dupont", "jean07 dupont",
    "jean%20dupont", "élodie brun", "elodie brun", "élodie.brun", "06 12 34 56 78", "0612345678", "+33 (0)6",
    "0033 6 12", "+44 20 7946", "192.168.13.37", "2a01:e0a:1f3:2b0::1", "12/03/2009", "12%2f03%2f2009", "2009-03-12",
]

private let agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0"

private func webLine(_ minute: Int, _ target: String, user: String = "jdupont00", referer: String = "-", agentSuffix: String = "") -> String {
    "192.168.13.37 - \(user) [29/Mar/2026:10:\(String(format: "%02d", minute)):00 +0200] \"GET \(target) HTTP/1.1\" 200 512 \"\(referer)\" \"\(agent)\(agentSuffix)\"\n"
}

private func edx(
    _ minute: Int, _ type: String, user: Int?, username: String = "jdupont00", course: String = "course-v1:Org+C1+2025", event: String = "{}",
    source: String = "server"
) -> String {
    let id = user.map { #""user_id":\#($0),"# } ?? ""
    return
        #"{"username":"\#(username)","event_type":"\#(type)","time":"2026-03-29T10:\#(String(format: "%02d", minute)):00+00:00","context":{\#(id)"course_id":"\#(course)"},"event":"\#(event)","event_source":"\#(source)"}"#
        + "\n"
}

private func statement(_ minute: Int, actor: String, verb: String, object: String, extra: String = "") -> String {
    #"{"actor": \#(actor), "verb": {"id": "http://adlnet.gov/expapi/verbs/\#(verb)"}, "object": \#(object), "timestamp": "2026-03-29T10:\#(String(format: "%02d", minute)):00Z"\#(extra)}"#
        + "\n"
}

/// Writes the inputs (every format) and the pipeline; `catalogue` is the course catalogue.
private func writeAttack(in dir: String, catalogue: String) throws {
    let web = [
        webLine(
            0, "/user/profile.php/jean.dupont@example.fr", referer: "https://lms.example.fr/?mail=jean.dupont@example.fr",
            agentSuffix: " tel 06 12 34 56 78"),
        webLine(1, "/course/cours-de-jdupont00/"), webLine(2, "/mod/page/jean.dupont(at)example(dot)fr/"),
        webLine(3, "/notes/Jean%20Dupont/12%2F03%2F2009"), webLine(4, "/x/2a01:e0a:1f3:2b0::1/y"),
        webLine(5, "/mod/page/view.php?id=3&q=0612345678&email=jean.dupont%40example.fr"),
        webLine(6, "/blog/+33%20(0)6%2012%2034%2056%2078/"), webLine(7, "/p/0033%206%2012%2034%2056%2078/"),
        webLine(8, "/p/%2B44%2020%207946%200958"), webLine(9, "/p/2009-03-12/"), webLine(10, "/p/jean.dupont%20[at]%20example%20[dot]%20fr"),
        webLine(11, "/course/view.php?id=12", user: "mmartin"),
    ]
    try web.joined().write(toFile: dir + "/access.log", atomically: false, encoding: .utf8)
    let logstore =
        "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"
        + "1,\\core\\event\\course_viewed,core,viewed,course,,,r,2,100,50,12,58,12,,0,,1774778400,web,192.168.13.37,\n"
        + "2,\\core\\event\\search_results_viewed,core,viewed,search_results,,,r,2,1,10,0,58,1,,0,\"{\"\"q\"\":\"\"jean.dupont@example.fr 06 12 34 56 78\"\"}\",1774778460,web,192.168.13.37,\n"
        + "3,\\core\\event\\search_results_viewed,core,viewed,search_results,,,r,2,1,10,0,58,1,,0,\"{\"\"q\"\":\"\"Jean Dupont né le 12/03/2009\"\"}\",1774778520,web,2a01:e0a:1f3:2b0::1,\n"
    try logstore.write(toFile: dir + "/logstore.csv", atomically: false, encoding: .utf8)
    let report =
        "Time,User full name,Affected user,Event context,Component,Event name,Description,Origin,IP address\n"
        + "\"29/03/26, 10:00\",Jean Dupont,-,Course: Cours 12,System,Course viewed,The user with id '58' viewed the course with id '12'.,web,192.168.13.37\n"
        + "\"29/03/26, 10:05\",Élodie Brun,Jean Dupont,Course: Cours 12,System,Course viewed,The user with id '60' viewed the course with id '12'.,web,192.168.13.37\n"
    try report.write(toFile: dir + "/report.csv", atomically: false, encoding: .utf8)
    let tracking = [
        edx(0, "/courses/course-v1:Org+C1+2025/courseware/ch/jdupont00/", user: 7, course: #"course-v1:Org+jean.dupont\u0040example.fr+2025"#),
        edx(1, "play_video", user: 7, event: #"{\"id\":\"Jean Dupont 06 12 34 56 78\",\"currentTime\":3}"#, source: "browser"),
        edx(
            2, "seq_goto", user: 7, event: #"{\"id\":\"block-v1:Org+C1+2025+type@sequential+block@jean.dupont%40example.fr\",\"old\":1,\"new\":2}"#,
            source: "browser"),
        // Forged by the learner: an IP address as a video id must not stop any release.
        edx(3, "play_video", user: 7, event: #"{\"id\":\"192.168.13.37\",\"currentTime\":1}"#, source: "browser"),
        // A real-shaped block id: a long hex run is an id, not a phone.
        edx(
            4, "play_video", user: 7,
            event: #"{\"id\":\"block-v1:Org+C1+2025+type@video+block@08a03292a9934d53b07981e3456abcdef\",\"currentTime\":1}"#, source: "browser"),
        edx(5, "edx.course.search.results_displayed", user: 7, event: #"{\"search_term\":\"Jean07 Dupont\",\"total\":0}"#),
        edx(6, "/courses/course-v1:Org+C1+2025/courseware/", user: nil, username: "élodie.brun"),
    ]
    try tracking.joined().write(toFile: dir + "/tracking.log", atomically: false, encoding: .utf8)
    let course = #"{"id": "urn:course:cours-de-jdupont00", "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}"#
    let statements = [
        statement(
            0, actor: #"{"name": "Jean Dupont", "account": {"homePage": "https://lms.example.fr", "name": "jdupont00"}}"#, verb: "experienced",
            object: course),
        statement(
            1, actor: #"{"account": {"homePage": "https://lms.example.fr", "name": "jdupont00"}}"#, verb: "experienced",
            object: #"{"id": "https://lms.example.fr/user/jdupont00/notes/1"}"#,
            extra: #", "context": {"contextActivities": {"parent": [{"id": "https://lms.example.fr/course/view.php?id=12"}]}}"#),
        statement(
            2, actor: #"{"mbox": "mailto:Jean.Dupont@Example.FR"}"#, verb: "searched", object: #"{"id": "https://lms.example.fr/search"}"#,
            extra: #", "result": {"response": "jean dot dupont at example dot fr 0033 6 12 34 56 78"}"#),
        statement(
            3, actor: #"{"account": {"homePage": "https://lms.example.fr", "name": "Élodie Brun"}}"#, verb: "searched",
            object: #"{"id": "https://lms.example.fr/search"}"#, extra: #", "result": {"response": "née le 2009-03-12 +44 20 7946 0958"}"#),
    ]
    try statements.joined().write(toFile: dir + "/statements.jsonl", atomically: false, encoding: .utf8)
    try "userid,course,timeenrolled,timecompleted\n58,cours jean.dupont@example.fr,1774778400,1774864800\n58,12,1774778400,1774864800\n"
        .write(toFile: dir + "/course_completions.csv", atomically: false, encoding: .utf8)
    try "userid,organisation\n58,Lycée Victor Hugo\n".write(toFile: dir + "/organisations.csv", atomically: false, encoding: .utf8)
    try catalogue.write(toFile: dir + "/catalogue.csv", atomically: false, encoding: .utf8)
    try """
    {"version": 1, "key": {"file": "test.key"}, "store": "store.sqlite", "output": "out",
     "retention": {"sessionDays": 36500, "inactiveLearnerDays": 36500},
     "inputs": [{"type": "combined", "paths": ["access.log"], "stream": "web", "profile": "moodle"},
                {"type": "moodle-logstore", "paths": ["logstore.csv"], "stream": "lms"},
                {"type": "moodle-report", "paths": ["report.csv"], "stream": "lms"},
                {"type": "openedx-tracking", "paths": ["tracking.log"], "stream": "mooc"},
                {"type": "xapi", "paths": ["statements*.jsonl"], "stream": "orientation"},
                {"type": "moodle-course-completions", "paths": ["course_completions.csv"]},
                {"type": "organisations", "paths": ["organisations.csv"]},
                {"type": "course-catalogue", "paths": ["catalogue.csv"]}],
     "exports": [{"name": "research", "period": "all", "minCount": 1}]}
    """.write(toFile: dir + "/p.json", atomically: false, encoding: .utf8)
}

/// A file the third run finds: another learner quotes the first one's names.
private func writeThirdFile(in dir: String) throws {
    let statements = [
        statement(
            20, actor: #"{"account": {"homePage": "https://lms.example.fr", "name": "mmartin"}}"#, verb: "searched",
            object: #"{"id": "https://lms.example.fr/search"}"#, extra: #", "result": {"response": "jdupont00 Élodie.Brun jean.dupont@example.fr"}"#),
        statement(
            21, actor: #"{"account": {"homePage": "https://lms.example.fr", "name": "mmartin"}}"#, verb: "experienced",
            object: #"{"id": "urn:x:notes-elodie-brun-12/03/2009"}"#),
    ]
    try statements.joined().write(toFile: dir + "/statements2.jsonl", atomically: false, encoding: .utf8)
}

/// The injected values found in `text`.
private func leaks(in text: String) -> [String] {
    let folded = text.lowercased()
    return injected.filter { folded.contains($0) }
}

@Test func nothingALearnerInjectsIsPublishedOrStoredAndNothingStopsARelease() throws {
    let dir = TestSupport.temporaryDirectory("attack")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    try writeAttack(in: dir, catalogue: "key,name,course,position\n12,Statistique descriptive,,\n")
    let exportDir = dir + "/out/research/default/all"
    var published = ""
    for run in 1...3 {
        if run == 3 { try writeThirdFile(in: dir) }
        let r = try TestSupport.run(TestSupport.binary, ["run", "p.json", "--json"], in: dir)
        #expect(r.status == 0, "run \(run): \(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: exportDir + "/SHA256SUMS"), "run \(run) published")
        published = try TestSupport.publishedText(exportDir)
        #expect(leaks(in: published).isEmpty, "run \(run) published \(leaks(in: published))")
        let stored = try TestSupport.storedText(dir)
        #expect(leaks(in: stored).isEmpty, "after run \(run) the store holds \(leaks(in: stored))")
        #expect(leaks(in: r.stdout + r.stderr).isEmpty, "run \(run) printed \(leaks(in: r.stdout + r.stderr))")
    }
    // The real-shaped block id is published whole, the placeholders stand where the values were,
    // and the organisation (reference data for reports) is in no research table.
    #expect(published.contains("block@08a03292a9934d53b07981e3456abcdef"))
    for placeholder in ["{email}", "{name}", "{ip}", "{date}"] {
        #expect(published.contains(placeholder), "\(placeholder)")
    }
    #expect(try TestSupport.storedText(dir).contains("{phone}"), "the phones were replaced, not dropped")
    #expect(!published.lowercased().contains("victor hugo"))
}

@Test func aPoisonedCatalogueStopsEveryRunUntilItIsFixed() throws {
    let dir = TestSupport.temporaryDirectory("attack-catalogue")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    try writeAttack(in: dir, catalogue: "key,name,course,position\n12,Tutorat de Jean Dupont,,\n")
    for run in 1...3 {
        let r = try TestSupport.run(TestSupport.binary, ["run", "p.json"], in: dir)
        #expect(r.status == 3, "run \(run): \(r.stderr)")
        #expect(
            r.stderr.contains(
                "PII guard: table course_completion, row 1, column course_name holds a full name met in the inputs; nothing was published"),
            "\(r.stderr)")
        #expect(leaks(in: r.stdout + r.stderr).isEmpty && !r.stderr.contains("Tutorat"), "the message holds no value")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/research/default/all"), "run \(run) published nothing")
    }
    // Fixed at the source and read again: the next run publishes.
    try "key,name,course,position\n12,Statistique descriptive,,\n".write(toFile: dir + "/catalogue.csv", atomically: false, encoding: .utf8)
    let fixed = try TestSupport.run(TestSupport.binary, ["run", "p.json", "--reprocess", "catalogue.csv"], in: dir)
    #expect(fixed.status == 0, "\(fixed.stderr)")
    #expect(FileManager.default.fileExists(atPath: dir + "/out/research/default/all/SHA256SUMS"))
}
