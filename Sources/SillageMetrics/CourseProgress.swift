import SillageCore
import SillagePrivacy

/// `course_progress`: per course, who is enrolled, who is active, who has started, who is
/// active now and who is at risk, as the completion report's headline figures.
///
/// The cohort is `course_completion`'s (enrolled learners when the course has enrolment
/// data, otherwise learners active in it), so the two tables agree. A learner has *started*
/// a course when they did anything in it beyond its home page. A learner is *at risk*, as
/// Open edX Aspects defines it, when they belong to the cohort, have started, have not
/// completed the course by the end of the period, and have done nothing in it during the
/// last `atRiskDays` days up to the report's day (`MetricInput.asOfDay`).
public enum CourseProgress {
    public static let name = "course_progress"

    /// Per course, the learners in each state; what the table and the reports' learner rows read.
    public struct Learner: Sendable, Equatable {
        public var started: Bool
        public var completed: Bool
        /// Last local day with activity in the course up to the report's day.
        public var lastDay: Int32?
        public var atRisk: Bool
    }

    /// Every learner of every course with their state as of the report's day.
    public static func learners(_ input: MetricInput) -> [Publishable: [ActorKey: Learner]] {
        let asOf = input.asOfDay ?? Int32.max
        let quietFrom = asOf == Int32.max ? Int32.max : asOf - Int32(max(input.atRiskDays, 1)) + 1
        let cohorts = CourseCompletion.cohorts(input)
        var days: [ActivityFacts.ActorCourse: (last: Int32, beyond: Bool)] = [:]
        for (k, d) in input.facts.courseDays where k.day <= asOf {
            let key = ActivityFacts.ActorCourse(actor: k.actor, course: k.course)
            let seen = days[key]
            days[key] = (max(seen?.last ?? k.day, k.day), (seen?.beyond ?? false) || d.beyondHome > 0)
        }
        var out: [Publishable: [ActorKey: Learner]] = [:]
        for (course, cohort) in cohorts {
            var states: [ActorKey: Learner] = [:]
            for actor in cohort.learners {
                let d = days[ActivityFacts.ActorCourse(actor: actor, course: course)]
                let completed = cohort.completers[actor] != nil
                let started = d?.beyond ?? false || completed
                let atRisk = started && !completed && (d?.last ?? Int32.min) < quietFrom
                states[actor] = Learner(started: started, completed: completed, lastDay: d?.last, atRisk: atRisk)
            }
            out[course] = states
        }
        return out
    }

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Course progress",
            description:
                "Per course: learners concerned, those who started, those active in the last 7 days, and those at risk (started, not completed, no activity for the declared number of days), as of the period's last day.",
            columns: [
                Column("course", .string, "Course key: the Moodle course id, or the Open edX course key."),
                Column("course_name", .string, "The course's name from the catalogue input (empty without one).", optional: true, reference: true),
                Column(
                    "denominator", .string, "Who the learners are: enrolled (enrolment data) or active (activity in the course during the period).",
                    allowed: ["enrolled", "active"]),
                Column("learners", .integer, "Learners concerned, as in course_completion.", role: .people),
                Column("started", .integer, "Learners who did something in the course beyond its home page, or completed it.", role: .people),
                Column(
                    "active_last_7_days", .integer, "Learners with activity in the course during the last 7 days up to the period's last day.",
                    role: .people),
                Column(
                    "at_risk", .integer,
                    "Learners who started, have not completed the course, and had no activity in it for the declared number of days (default 7).",
                    role: .people),
            ],
            primaryKey: ["course"])
        let asOf = input.asOfDay ?? Int32.max
        var recent: [Publishable: Set<ActorKey>] = [:]
        for k in input.facts.courseDays.keys where k.day <= asOf && k.day > asOf - 7 { recent[k.course, default: []].insert(k.actor) }
        let cohorts = CourseCompletion.cohorts(input)
        for (course, states) in learners(input).sorted(by: { $0.key < $1.key }) {
            let cohort = states.keys
            let started = Set(states.filter(\.value.started).keys)
            let active = (recent[course] ?? []).filter { states[$0] != nil }
            let atRisk = Set(states.filter(\.value.atRisk).keys)
            // Disclosure: the smallest group a figure of the row reveals, with its complement.
            let sizes = [cohort.count, started.count, active.count, atRisk.count]
            let groups = sizes + [cohort.count - started.count, started.count - atRisk.count]
            var parts = RowContributions()
            if input.recordContributions {
                parts.people("learners", cohort)
                parts.people("started", started)
                parts.people("active_last_7_days", active)
                parts.people("at_risk", atRisk)
            }
            table.append(
                [
                    .value(course), .value(input.catalogue[course]?.name ?? .none), .text(cohorts[course]?.denominator ?? "active"),
                ] + sizes.map { .integer(Int64($0)) },
                actors: groups.filter { $0 > 0 }.min() ?? 0, contributions: input.recordContributions ? parts : nil)
        }
        return table
    }
}
