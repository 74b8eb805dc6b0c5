import Foundation
import Testing

@testable import SillageCore
@testable import SillageExport
@testable import SillagePipeline

/// A Moodle standard log written event by event, for attack scenarios whose truth is known.
struct LogstoreScenario {
    static let header =
        "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"
    /// 08:00 UTC on Monday 2 March 2026, day 0 of every scenario.
    static let day0 = Int64(CivilTime.days(year: 2026, month: 3, day: 2)) * 86400 + 8 * 3600
    var csv = header
    var id = 0

    static func at(day: Int, second: Int64) -> Int64 { day0 + Int64(day) * 86400 + second }

    mutating func add(_ fields: String) {
        id += 1
        csv += "\(id),\(fields)\n"
    }

    mutating func enrol(_ user: Int, course: Int, at t: Int64) {
        add(
            "\\core\\event\\user_enrolment_created,enrol_manual,created,user_enrolment_created,,,c,2,1\(course),50,\(course),2,\(course),\(user),0,,\(t),web,,"
        )
    }

    mutating func viewCourse(_ user: Int, course: Int, at t: Int64) {
        add("\\core\\event\\course_viewed,core,viewed,course,,,r,2,1\(course),50,\(course),\(user),\(course),,0,,\(t),web,,")
    }

    mutating func viewActivity(_ user: Int, course: Int, module: Int, at t: Int64) {
        add(
            "\\mod_page\\event\\course_module_viewed,mod_page,viewed,course_module_viewed,,,r,2,2\(module),70,\(module),\(user),\(course),,0,,\(t),web,,"
        )
    }

    mutating func completeActivity(_ user: Int, course: Int, module: Int, at t: Int64) {
        add(
            "\\core\\event\\course_module_completion_updated,core,updated,course_module_completion_updated,,,u,2,2\(module),70,\(module),\(user),\(course),\(user),0,\"{\"\"relateduserid\"\": \(user), \"\"completionstate\"\": 1}\",\(t),web,,"
        )
    }

    mutating func completeCourse(_ user: Int, course: Int, at t: Int64) {
        add(
            "\\core\\event\\course_completed,core,completed,course_completed,,,u,2,1\(course),50,\(course),0,\(course),\(user),0,\"{\"\"relateduserid\"\": \(user)}\",\(t),cli,,"
        )
    }
}

/// One export's tables, read back as CSV rows keyed by table name (header row dropped).
func publishedTables(_ directory: String, _ names: [String]) throws -> [String: [[String]]] {
    var out: [String: [[String]]] = [:]
    for name in names { out[name] = Array(TestSupport.csvRows(try TestSupport.gunzip("\(directory)/\(name).csv.gz")).dropFirst()) }
    return out
}

/// The within-one-export attacks of a research partner who reads only the published files:
/// two courses whose truth is known (course 3: 30 learners, 25 completers, so its row is
/// withheld for its 5 non-completers; course 4: 40 learners, 15 completers), their
/// activities' funnels, and one day of three lone learners' bounces among busy days.
/// - bounces: the `0s` bucket minus the published days' bounces gives the withheld day's;
/// - learners: round(completers ÷ share_of_learners) gives course 3's withheld learners;
/// - non-completers: an activity row whose completers are within 10 of its course's
///   learners (published, or recovered from a share) singles out those who did not do it;
/// - ranks: the withheld activity rows' ranks order them by their exact counts.
/// Without the release-level check every attack succeeds; with it, with exact or perturbed
/// counts, none does.
@Test(arguments: [(false, false), (false, true), (true, true)])
func attacksWithinOneExportRecoverNothingWithheld(perturbed: Bool, checked: Bool) async throws {
    let dir = TestSupport.temporaryDirectory("within-export")
    defer { TestSupport.remove(dir) }
    var log = LogstoreScenario()
    // Course → (learners, completers, activities: module → completers); module keys sort
    // against the counts, so an order by count is not the order by key.
    let courses: [(course: Int, learners: Int, completers: Int, activities: [(Int, Int)])] = [
        (3, 30, 25, [(11, 20), (12, 24), (13, 3), (14, 5), (15, 7)]),
        (4, 40, 15, [(21, 35), (22, 20)]),
    ]
    var user = 100
    for c in courses {
        for i in 0..<c.learners {
            user += 1
            let t = LogstoreScenario.at(day: 6 + i % 2, second: Int64(i % 7) * 3600)
            log.enrol(user, course: c.course, at: t)
            log.viewCourse(user, course: c.course, at: t + 300)
            for (module, completers) in c.activities {
                log.viewActivity(user, course: c.course, module: module, at: t + 600)
                if i < completers { log.completeActivity(user, course: c.course, module: module, at: t + 600) }
            }
            if i < c.completers { log.completeCourse(user, course: c.course, at: t + 900) }
        }
    }
    // Days 0–4: 20 learners a day, 5 of them with a one-event session (a bounce); day 5:
    // three lone learners, one course view each.
    for day in 0..<5 {
        for i in 0..<20 {
            let t = LogstoreScenario.at(day: day, second: Int64(i) * 600)
            log.viewCourse(2000 + day * 20 + i, course: 4, at: t)
            if i >= 5 { log.viewCourse(2000 + day * 20 + i, course: 4, at: t + 120) }
        }
    }
    for lone in 0..<3 { log.viewCourse(900 + lone, course: 4, at: LogstoreScenario.at(day: 5, second: Int64(lone) * 3600)) }
    try log.csv.write(toFile: dir + "/logstore.csv", atomically: false, encoding: .utf8)

    var p = try TestSupport.pipeline("moodle-logstore", [dir + "/logstore.csv"], in: dir)
    p.inputs[0].stream = "lms"
    let names = ["daily_activity", "session_lengths", "course_completion", "activity_completion"]
    var truth = p.exports[0]
    truth.name = "truth"
    truth.minCount = 1
    truth.dominance = 1
    truth.tables = names
    var attacked = truth
    attacked.name = "attacked"
    attacked.minCount = 11
    attacked.dominance = 0.85
    attacked.perturbation = perturbed ? .standard : nil
    attacked.releaseCheck = checked
    p.exports = [truth, attacked]
    let report = try await Runner(pipeline: p).run()
    let exact = try publishedTables(report.exports[0].directory, names)
    let published = try publishedTables(report.exports[1].directory, names)
    #expect(exact["course_completion"]?.map { [$0[0], $0[3], $0[4]] } == [["3", "30", "25"], ["4", "40", "15"]])

    // Bounces: one withheld day in the stream, and the 0s bucket published.
    var bouncesRecovered = 0
    let days = published["daily_activity"] ?? []
    let withheldDays = days.filter { $0[5].isEmpty }
    if withheldDays.count == 1, let zero = published["session_lengths"]?.first(where: { $0[1] == "0s" }), let z = Int(zero[2]) {
        let estimate = z - days.compactMap { Int($0[5]) }.reduce(0, +)
        let day = withheldDays[0][0]
        if let truthRow = exact["daily_activity"]?.first(where: { $0[0] == day }), Int(truthRow[5]) == estimate {
            bouncesRecovered += 1
        }
    }
    // Learners from shares, then the small groups of non-completers.
    var learnersKnown: [String: Int] = [:]
    for row in published["course_completion"] ?? [] { if let l = Int(row[3]) { learnersKnown[row[0]] = l } }
    var learnersRecovered = 0
    for row in published["course_completion"] ?? [] where row[3].isEmpty {
        let shares = (published["activity_completion"] ?? []).filter { $0[0] == row[0] && !$0[5].isEmpty && Double($0[5]) ?? 0 > 0 }
        guard let a = shares.first, let completers = Double(a[4]), let share = Double(a[5]) else { continue }
        let estimate = Int((completers / share).rounded())
        if exact["course_completion"]?.first(where: { $0[0] == row[0] }).flatMap({ Int($0[3]) }) == estimate {
            learnersRecovered += 1
            learnersKnown[row[0]] = estimate
        }
    }
    var smallGroups = 0
    for row in published["activity_completion"] ?? [] {
        guard let completers = Int(row[4]), let learners = learnersKnown[row[0]] else { continue }
        if (1..<11).contains(learners - completers) { smallGroups += 1 }
    }
    // Ranks of withheld rows: ordered by their exact counts rather than by key.
    var ranksLeaking = 0
    for c in courses {
        let withheld = (published["activity_completion"] ?? []).filter { $0[0] == String(c.course) && $0[4].isEmpty }
        guard withheld.count > 1 else { continue }
        let byRank = withheld.sorted { Int($0[3]) ?? 0 < Int($1[3]) ?? 0 }.map { $0[1] }
        let exactCount = { (key: String) in Int(exact["activity_completion"]?.first { $0[1] == key }?[4] ?? "") ?? 0 }
        let byCount = withheld.map { $0[1] }.sorted { exactCount($0) > exactCount($1) }
        if byRank == byCount && byRank != byRank.sorted() { ranksLeaking += 1 }
    }
    let found = [bouncesRecovered, learnersRecovered, smallGroups, ranksLeaking]
    if checked {
        #expect(found == [0, 0, 0, 0], "bounces, learners, small groups, ranks recovered: \(found)")
    } else {
        #expect(found.allSatisfy { $0 > 0 }, "without the check every attack works: \(found)")
    }
}
