import SillageCore
import SillagePrivacy

/// `course_completion`: per course, the learners it concerns, those who completed it, the
/// rate and the median time to complete (SPEC §7).
///
/// The denominator is the learners enrolled by the end of the period when the course has
/// enrolment data, otherwise the learners active in the course during the period; the
/// `denominator` column says which. Completers are learners of that denominator whose first
/// completion came by the end of the period (a completer without an enrolment record counts
/// as enrolled). Time to completion runs from enrolment, or else from first activity; a
/// completion recorded before its start (inconsistent records) is left out of the median.
public enum CourseCompletion {
    public static let name = "course_completion"

    /// Per course: cohort, completers and their durations; shared with the activity funnel.
    struct Cohort {
        var denominator: String
        var learners: Set<ActorKey>
        var completers: [ActorKey: Int64]
    }

    static func cohorts(_ input: MetricInput) -> [Publishable: Cohort] {
        let end = input.periodEnd, start = input.periodStart
        var enrolled: [Publishable: Set<ActorKey>] = [:]
        for (k, t) in input.facts.enrolments where t < end { enrolled[k.course, default: []].insert(k.actor) }
        var active: [Publishable: Set<ActorKey>] = [:]
        for (k, a) in input.facts.courseActivity where a.first < end && a.last >= start { active[k.course, default: []].insert(k.actor) }
        var completed: [Publishable: [ActorKey: Int64]] = [:]
        for (k, t) in input.facts.completions where t < end { completed[k.course, default: [:]][k.actor] = t }
        var out: [Publishable: Cohort] = [:]
        for course in Set(enrolled.keys).union(active.keys).union(completed.keys) {
            let hasEnrolments = input.facts.enrolments.keys.contains { $0.course == course }
            var learners = hasEnrolments ? (enrolled[course] ?? []) : (active[course] ?? [])
            // A completer was necessarily a learner of the course, whatever the records say.
            let completers = completed[course] ?? [:]
            learners.formUnion(completers.keys)
            out[course] = Cohort(denominator: hasEnrolments ? "enrolled" : "active", learners: learners, completers: completers)
        }
        return out
    }

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Course completion",
            description:
                "Per course: learners concerned, completers, completion rate and median time to complete, up to the end of the export period.",
            columns: [
                Column("course", .string, "Course key: the Moodle course id, or the Open edX course key."),
                Column("course_name", .string, "The course's name from the catalogue input (empty without one).", optional: true, reference: true),
                Column(
                    "denominator", .string,
                    "Who the rate is computed over: enrolled (enrolment data) or active (learners with activity in the course during the period).",
                    allowed: ["enrolled", "active"]),
                Column("learners", .integer, "Learners in the denominator.", role: .people),
                Column("completers", .integer, "Learners who completed the course by the end of the period.", role: .people),
                Column("completion_rate", .number, "completers ÷ learners (3 decimals).", role: .measure)
                    .ratio(of: "completers", to: "learners", digits: 3),
                Column(
                    "median_days_to_complete", .number,
                    "Median, over completers, of the days from enrolment (or first activity) to completion (1 decimal).", role: .measure),
            ],
            primaryKey: ["course"])
        for (course, cohort) in cohorts(input).sorted(by: { $0.key < $1.key }) {
            let learners = cohort.learners.count
            let completers = cohort.completers.count
            var durations: [Int64] = []
            for (actor, done) in cohort.completers {
                let key = ActivityFacts.ActorCourse(actor: actor, course: course)
                guard let from = input.facts.enrolments[key] ?? input.facts.courseActivity[key]?.first, from <= done else { continue }
                durations.append(done - from)
            }
            let medianDays = supportedMedian(durations, minPeople: input.medianSupport, grain: 86_400_000).map { $0 / 86_400_000 }
            // Disclosure: the smallest group a figure reveals (learners, completers, non-completers).
            let groups = [learners, completers, learners - completers].filter { $0 > 0 }
            var parts = RowContributions()
            if input.recordContributions {
                parts.people("learners", cohort.learners)
                parts.people("completers", cohort.completers.keys)
            }
            table.append(
                [
                    .value(course), .value(input.catalogue[course]?.name ?? .none), .text(cohort.denominator), .integer(Int64(learners)),
                    .integer(Int64(completers)),
                    learners > 0 ? .decimal(Double(completers) / Double(learners), digits: 3) : .empty,
                    medianDays.map { .decimal($0, digits: 1) } ?? .empty,
                ], actors: groups.min() ?? 0, contributions: input.recordContributions ? parts : nil)
        }
        return table
    }
}
