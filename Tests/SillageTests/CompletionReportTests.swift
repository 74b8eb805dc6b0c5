import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageMetrics
@testable import SillageReports
@testable import SillagePipeline

/// A cohort whose truth is known: learners of two courses (one with enrolment data, one
/// without), each active on chosen days, viewing the course home or activities, completing
/// some activities and perhaps the course. The expected figures are computed from this
/// description directly, not from the facts the report reads.
struct CompletionScenario {
    struct Learner {
        var course: Int
        var enrolled: Bool
        /// Local days with activity, and whether each went beyond the course home.
        var days: [(day: Int32, beyond: Bool)]
        var completed: Int32?
        var activities: Set<Int>
    }

    static let firstDay = Int32(CivilTime.days(year: 2026, month: 3, day: 2))
    var learners: [Learner] = []
    let courseKeys = ["101", "course-v1:Org+B+2026"]

    init(seed: UInt64, count: Int = 80) {
        var rng = SplitMix(state: seed)
        for _ in 0..<count {
            let course = Int(rng.next() % 2)
            let active = Int(rng.next() % 8)
            var days: [(Int32, Bool)] = []
            for _ in 0..<active { days.append((Self.firstDay + Int32(rng.next() % 42), rng.next() % 3 != 0)) }
            let completes = active > 0 && rng.next() % 4 == 0
            let activities = Set((0..<5).filter { _ in active > 0 && rng.next() % 3 == 0 })
            learners.append(
                Learner(
                    course: course, enrolled: course == 0 ? rng.next() % 5 != 0 : false, days: days,
                    completed: completes ? (days.map(\.0).max() ?? Self.firstDay) : nil, activities: activities))
        }
    }

    /// The events the platform would have logged, sorted as the pipeline sorts them.
    func events(_ gate: inout PublishableGate) -> (events: [Event], strings: [Publishable]) {
        let courses = courseKeys.map { k in Array(k.utf8).withUnsafeBytes { gate.key($0) } }
        let modules = (0..<5).map { gate.moodleModule(Int64(200 + $0)) }
        var out: [Event] = []
        for (i, l) in learners.enumerated() {
            let actor = ActorKey(high: 1, low: UInt64(i + 1))
            let c = courses[l.course]
            func at(_ day: Int32, hour: Int64) -> Int64 { (Int64(day) * 86_400 + hour * 3600) * 1000 }
            if l.enrolled {
                out.append(
                    Event(
                        time: at(Self.firstDay - 3, hour: 8), actor: actor, day: Self.firstDay - 3, stream: 0, kind: .enrolled, course: c,
                        isFact: true))
            }
            for d in l.days {
                out.append(Event(time: at(d.day, hour: 9), actor: actor, day: d.day, stream: 0, kind: .courseView, object: c, course: c))
                if d.beyond {
                    out.append(
                        Event(time: at(d.day, hour: 10), actor: actor, day: d.day, stream: 0, kind: .contentView, object: modules[0], course: c))
                }
            }
            for a in l.activities.sorted() {
                let day = l.days.map(\.day).max() ?? Self.firstDay
                out.append(Event(time: at(day, hour: 11), actor: actor, day: day, stream: 0, kind: .activityCompleted, object: modules[a], course: c))
            }
            if let done = l.completed {
                out.append(Event(time: at(done, hour: 12), actor: actor, day: done, stream: 0, kind: .courseCompleted, course: c, isFact: true))
            }
        }
        out.sort { ($0.stream, $0.actor, $0.time) < ($1.stream, $1.actor, $1.time) }
        return (out, [Publishable.none] + gate.values())
    }

    /// The learners each course's figures are about: the enrolled (or, without enrolment
    /// data, the active), and every completer.
    func cohort(_ course: Int) -> [Int] {
        let hasEnrolments = learners.contains { $0.course == course && $0.enrolled }
        return learners.indices.filter { i in
            let l = learners[i]
            return l.course == course && (l.completed != nil || (hasEnrolments ? l.enrolled : !l.days.isEmpty))
        }
    }

    var asOf: Int32 { learners.flatMap { $0.days.map(\.day) }.max() ?? Self.firstDay }

    func atRisk(_ course: Int, days: Int) -> Int {
        cohort(course).filter { i in
            let l = learners[i]
            // Completing an activity is doing something beyond the course home.
            let started = l.days.contains { $0.beyond } || !l.activities.isEmpty || l.completed != nil
            let last = l.days.map(\.day).max() ?? Int32.min
            return started && l.completed == nil && last < asOf - Int32(days) + 1
        }.count
    }

    func completers(_ course: Int) -> Int { cohort(course).filter { learners[$0].completed != nil }.count }

    func funnel(_ course: Int, activity: Int) -> Int { learners.filter { $0.course == course && $0.activities.contains(activity) }.count }

    func weeklyActive(_ course: Int) -> [Int32: Int] {
        var weeks: [Int32: Set<Int>] = [:]
        for (i, l) in learners.enumerated() where l.course == course {
            for d in l.days { weeks[CivilTime.mondayOfWeek(days: Int(d.day)).asInt32, default: []].insert(i) }
        }
        return weeks.mapValues(\.count)
    }
}

extension Int {
    fileprivate var asInt32: Int32 { Int32(self) }
}

private func tables(_ scenario: CompletionScenario, atRiskDays: Int) -> (tables: [String: Table], input: MetricInput) {
    var gate = PublishableGate()
    let (events, strings) = scenario.events(&gate)
    var input = MetricInput(sessions: [], actorDays: [], facts: ActivityFacts.collect(sorted: events, strings: strings))
    input.atRiskDays = atRiskDays
    let built = CompletionReport.tables.compactMap { TableRegistry.tables[$0]?.build(input) }
    return (Dictionary(uniqueKeysWithValues: built.map { ($0.name, $0) }), input)
}

private func integer(_ table: Table?, _ column: String, where key: String, is value: String) -> Int64? {
    guard let table, let c = table.columns.firstIndex(where: { $0.name == column }),
        let k = table.columns.firstIndex(where: { $0.name == key }),
        let row = table.rows.first(where: { $0[k].csvText == value }), case .integer(let n) = row[c]
    else { return nil }
    return n
}

/// Completers, the funnel, weekly active learners and the at-risk count, on generated
/// cohorts, equal what the cohorts' description says, for several seeds and thresholds.
@Test(arguments: [(UInt64(1), 7), (2, 7), (3, 14), (4, 3), (5, 7)])
func completionFiguresEqualAnIndependentCount(seed: UInt64, atRiskDays: Int) {
    let scenario = CompletionScenario(seed: seed)
    let (tables, input) = tables(scenario, atRiskDays: atRiskDays)
    #expect(input.asOfDay == scenario.asOf)
    for (c, key) in scenario.courseKeys.enumerated() {
        let cohort = Int64(scenario.cohort(c).count)
        #expect(integer(tables[CourseCompletion.name], "learners", where: "course", is: key) == cohort)
        #expect(integer(tables[CourseCompletion.name], "completers", where: "course", is: key) == Int64(scenario.completers(c)))
        #expect(integer(tables[CourseProgress.name], "learners", where: "course", is: key) == cohort)
        #expect(integer(tables[CourseProgress.name], "at_risk", where: "course", is: key) == Int64(scenario.atRisk(c, days: atRiskDays)))
        let funnel = tables[ActivityCompletion.name]!
        for a in 0..<5 {
            let expected = scenario.funnel(c, activity: a)
            let row = funnel.rows.first { $0[0].csvText == key && $0[1].csvText == "cm:\(200 + a)" }
            #expect((row.map { $0[4] } ?? .integer(0)) == .integer(Int64(expected)), "course \(key), cm:\(200 + a)")
        }
        let weeks = tables[CourseWeeks.name]!.rows.filter { $0[0].csvText == key }
        for (week, n) in scenario.weeklyActive(c) {
            #expect(weeks.contains { $0[1].csvText == CivilTime.isoDate(days: Int(week)) && $0[2] == .integer(Int64(n)) })
        }
        #expect(
            weeks.allSatisfy { row in
                scenario.weeklyActive(c).contains { CivilTime.isoDate(days: Int($0.key)) == row[1].csvText } || row[2] == .integer(0)
            })
    }
}

/// The report's pages show the tables' figures: the key figures of a course page and the
/// index row are the cells of course_completion and course_progress.
@Test func theReportShowsTheTablesFigures() throws {
    let scenario = CompletionScenario(seed: 9)
    let (tables, input) = tables(scenario, atRiskDays: 7)
    var settings = ReportSettings()
    settings.dialect = .rfc4180
    let docs = CompletionReport.documents(tables, asOf: input.asOfDay, settings: settings)
    #expect(docs.map(\.name) == ["completion", "completion-101", "completion-course-v1-org-b-2026"])
    let index = TestSupport.csvRows(String(decoding: try #require(docs[0].csv), as: UTF8.self))
    let course = try #require(index.first { $0[1] == "101" })
    #expect(course[3] == String(scenario.cohort(0).count) && course[4] == String(scenario.completers(0)))
    #expect(course[8] == String(scenario.atRisk(0, days: 7)))
    let page = TestSupport.csvRows(String(decoding: try #require(docs[1].csv), as: UTF8.self))
    #expect(page.first == ["tableau", "ligne", "colonne", "valeur"])
    #expect(page.contains(["summary", "À risque", "Valeur", String(scenario.atRisk(0, days: 7))]))
    #expect(docs[1].html.contains("<dt>À risque</dt><dd>\(scenario.atRisk(0, days: 7))</dd>"))
}

/// A course key is never a path: file names keep letters, digits and dashes, and keys that
/// would share one get a digest each.
@Test func courseFileNamesAreSafeAndDistinct() {
    let names = ReportFileName.names(stem: "completion", keys: ["../../etc/passwd", "A+B", "a b", "course-v1:Org+X+2026"])
    #expect(names["../../etc/passwd"] == "completion-etc-passwd")
    #expect(names["course-v1:Org+X+2026"] == "completion-course-v1-org-x-2026")
    #expect(names["A+B"] != names["a b"] && names["A+B"]!.hasPrefix("completion-a-b-") && names["a b"]!.hasPrefix("completion-a-b-"))
    #expect(names.values.allSatisfy { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } })
}

/// Runs the sample pipeline, which declares its reports, in a fresh directory; the caller removes it.
func runSampleWithReports() throws -> String {
    let dir = TestSupport.temporaryDirectory("sample-reports")
    try FileManager.default.createSymbolicLink(atPath: dir + "/SampleLogs", withDestinationPath: TestSupport.packageRoot + "/SampleLogs")
    try FileManager.default.createDirectory(atPath: dir + "/Pipelines", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: TestSupport.packageRoot + "/Pipelines/sample.json", toPath: dir + "/Pipelines/sample.json")
    // A fixed key: the organisation report's learner labels, and the perturbed exports, follow it.
    let key = try TestSupport.keyFile(in: dir + "/var")
    try FileManager.default.moveItem(atPath: key, toPath: dir + "/var/sample.key")
    let r = try TestSupport.run(TestSupport.binary, ["run", "Pipelines/sample.json"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    return dir
}

/// The sample run writes the completion report in French and English, as the golden files
/// say (the index, its CSV, and the page of course 2 with its CSV).
@Test func theSampleRunWritesTheCompletionReportOfItsGoldenFiles() throws {
    let dir = try runSampleWithReports()
    defer { TestSupport.remove(dir) }
    for (language, folder) in [("fr", "/out/reports"), ("en", "/out/reports/en")] {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + folder).filter { !$0.hasPrefix(".") }
        #expect(files.contains("index.html") && files.contains("completion.html") && files.contains("completion.csv"))
        #expect(files.filter { $0.hasPrefix("completion-") && $0.hasSuffix(".html") }.count == 14)
        for name in ["completion.html", "completion.csv", "completion-2.html", "completion-2.csv", "index.html"] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + folder + "/" + name)))
            try golden("sample/\(language)/\(name)", bytes)
        }
    }
    let csv = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/reports/completion.csv"))
    #expect(Array(csv.prefix(3)) == ReportCSV.byteOrderMark)
}

/// The report's figures are the exact export's: course_completion published with
/// `perturbation: none` and `minCount: 1` from the same store has the learners, completers
/// and rates of the report's index.
@Test func theCompletionReportEqualsTheExactExport() throws {
    let dir = try runSampleWithReports()
    defer { TestSupport.remove(dir) }
    var pipeline = try String(contentsOfFile: dir + "/Pipelines/sample.json", encoding: .utf8)
    pipeline = pipeline.replacingOccurrences(
        of: #"{ "name": "research", "recipient": "partner-lab", "period": "all", "minCount": 11 }"#,
        with: #"{ "name": "exact", "recipient": "partner-lab", "minCount": 1, "perturbation": "none", "tables": ["course_completion"] }"#)
    try pipeline.write(toFile: dir + "/Pipelines/exact.json", atomically: true, encoding: .utf8)
    #expect(try TestSupport.run(TestSupport.binary, ["run", "Pipelines/exact.json"], in: dir).status == 0)
    let report = try TestSupport.run(
        TestSupport.binary, ["report", "completion", "Pipelines/sample.json", "--csv", "rfc4180", "--out", "rfc"], in: dir)
    #expect(report.status == 0, "\(report.stderr)")
    let exported = TestSupport.csvRows(try TestSupport.gunzip(dir + "/out/exact/partner-lab/all/course_completion.csv.gz"))
    let index = TestSupport.csvRows(try String(contentsOfFile: dir + "/rfc/completion.csv", encoding: .utf8))
    #expect(exported.count == index.count && exported.count > 10)
    for row in exported.dropFirst() {
        let shown = try #require(index.first { $0[1] == row[0] }, "course \(row[0]) is in the report")
        #expect(shown[3] == row[3] && shown[4] == row[4], "learners and completers of \(row[0])")
        let rate = Double(row[5]).map { Cell.formatDecimal($0 * 100, digits: 1) } ?? ""
        #expect(shown[5] == rate, "rate of \(row[0])")
    }
}

/// Every report page renders in headless Chromium with no network request and no console
/// message; the screenshots go to out/screenshots/report-*.png.
@Test(.enabled(if: TestSupport.findOnPath("chromium") != nil, "needs the Debian package chromium (.ci/run installs it)"))
func everyReportPageRendersOfflineInChromium() throws {
    let dir = try runSampleWithReports()
    defer { TestSupport.remove(dir) }
    for (language, folder) in [("fr", "/out/reports"), ("en", "/out/reports/en")] {
        let pages = try FileManager.default.contentsOfDirectory(atPath: dir + folder).filter { $0.hasSuffix(".html") }.sorted()
        #expect(!pages.isEmpty)
        for page in pages {
            let name = "report-\(language)-" + page.dropLast(5)
            let (png, requests, console) = try renderInChromium(file: dir + folder + "/" + page, name: name, height: 2400)
            #expect(requests.isEmpty, "\(page) asked for \(requests)")
            #expect(console.isEmpty, "\(page) logged \(console)")
            #expect(FileManager.default.fileExists(atPath: png))
        }
    }
}

/// Attack: anyone reads a public completion report. A course of three learners, two of
/// whom an attacker knows completed it, tells the attacker that the third is at risk; a
/// large course with a single learner at risk tells that learner's tutor group who it is.
/// With the team's exact figures (the protection off) the report says so; declared
/// `"audience": "public"`, every figure that rests on fewer than `minCount` people is
/// withheld, on the index and on the course page.
@Test(arguments: [false, true])
func aPublicCompletionReportSinglesNoOneOut(protected: Bool) throws {
    let scenario = CompletionScenario(seed: 21, count: 160)
    var gate = PublishableGate()
    var (events, strings) = scenario.events(&gate)
    let small = Array("999".utf8).withUnsafeBytes { gate.key($0) }
    strings = [Publishable.none] + gate.values()
    let start = Int64(CompletionScenario.firstDay) * 86_400_000
    for i in 0..<3 {
        let actor = ActorKey(high: 2, low: UInt64(i + 1))
        let day = CompletionScenario.firstDay + Int32(i == 0 ? 1 : 40)
        events.append(
            Event(
                time: start - 86_400_000, actor: actor, day: CompletionScenario.firstDay - 1, stream: 0, kind: .enrolled, course: small, isFact: true)
        )
        events.append(
            Event(time: Int64(day) * 86_400_000 + 36_000_000, actor: actor, day: day, stream: 0, kind: .contentView, object: small, course: small))
        if i > 0 {
            events.append(
                Event(
                    time: Int64(day) * 86_400_000 + 40_000_000, actor: actor, day: day, stream: 0, kind: .courseCompleted, course: small, isFact: true
                ))
        }
    }
    events.sort { ($0.stream, $0.actor, $0.time) < ($1.stream, $1.actor, $1.time) }
    var input = MetricInput(sessions: [], actorDays: [], facts: ActivityFacts.collect(sorted: events, strings: strings))
    input.atRiskDays = 7
    var definition = ReportDefinition(kind: .completion)
    definition.audience = protected ? .public : .team
    let phase = ReportPhase(pipeline: PipelineDefinition(), key: try TestSupport.testKey)
    let tables = try phase.completionTables(definition, input: input, scanner: PIIScanner(), directory: "report")
    var settings = definition.writing
    settings.dialect = .rfc4180
    let docs = CompletionReport.documents(tables, asOf: input.asOfDay, settings: settings)
    let index = TestSupport.csvRows(String(decoding: try #require(docs.first?.csv), as: UTF8.self))
    let row = index.first { $0[1] == "999" }
    let page = docs.first { $0.name == "completion-999" }
    if protected {
        // The course key itself rests on three people: below the k-vocabulary, it is left out.
        #expect(row == nil && page == nil, "the small course is not in the public report")
        #expect(!docs.contains { $0.html.contains("999") })
    } else {
        // learners, completers, …, at risk
        let figures = try #require(row).dropFirst(3)
        #expect(figures.first == "3" && figures.dropFirst().first == "2" && figures.last == "1", "the exact report singles the third learner out")
        #expect(try #require(page).html.contains("<dt>À risque</dt><dd>1</dd>"))
    }
    // No figure of course_progress that reveals a group of fewer than minCount people is
    // published: not the learners at risk, nor those who never started (the learners less
    // those who started).
    let exact = try phase.completionTables(ReportDefinition(kind: .completion), input: input, scanner: PIIScanner(), directory: "report")
    let progress = try #require(tables[CourseProgress.name]), truth = try #require(exact[CourseProgress.name])
    var checked = 0
    for real in truth.rows {
        let n = (3...6).map { c -> Int64 in if case .integer(let v) = real[c] { v } else { 0 } }
        let groups: [Int64] = [n[0], n[1], n[2], n[3], n[0] - n[1], n[1] - n[3]]
        let smallest = groups.filter { $0 > 0 }.min() ?? 0
        guard smallest > 0, smallest < 11 else { continue }
        checked += 1
        let shown = progress.rows.first { $0[0] == real[0] }
        if protected {
            #expect(shown.map { row in (3...6).allSatisfy { row[$0] == .empty } } ?? true, "\(real[0].csvText) reveals a group of \(smallest)")
        } else {
            #expect(shown.map { $0 == real } == true)
        }
    }
    #expect(checked >= 2, "the small course, and a large one whose non-starters are few")
}
