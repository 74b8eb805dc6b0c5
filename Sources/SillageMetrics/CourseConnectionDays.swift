import SillageCore
import SillagePrivacy

/// `course_connection_days`: per course, how many of its learners (`course_completion`'s)
/// were active in it on 0, 1, 2, 3–4… distinct local days during the period.
///
/// The buckets add up to the course's learners, a total `course_completion` publishes: the
/// table declares it (`TableRegistry`), so that complementary suppression never leaves one
/// bucket alone withheld.
public enum CourseConnectionDays {
    public static let name = "course_connection_days"

    /// Buckets of days with activity in a course.
    public static let scale = BucketScale([("0", 0), ("1", 1), ("2", 2), ("3-4", 3), ("5-9", 5), ("10-19", 10), ("20+", 20)])

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Days of activity per learner and course",
            description:
                "Per course, its learners (as in course_completion) by the number of distinct local days on which they were active in it during the period.",
            columns: [
                Column("course", .string, "Course key: the Moodle course id, or the Open edX course key."),
                Column("days_bucket", .string, "Distinct local days with activity in the course.", allowed: scale.labels),
                Column("learners", .integer, "Learners whose number of days falls in the bucket.", role: .people),
            ],
            primaryKey: ["course", "days_bucket"])
        var days: [ActivityFacts.ActorCourse: Int] = [:]
        for k in input.facts.courseDays.keys where input.covers(day: k.day) {
            days[ActivityFacts.ActorCourse(actor: k.actor, course: k.course), default: 0] += 1
        }
        var buckets: [Publishable: [Int: Set<ActorKey>]] = [:]
        for (course, cohort) in CourseCompletion.cohorts(input) {
            for actor in cohort.learners {
                let n = days[ActivityFacts.ActorCourse(actor: actor, course: course)] ?? 0
                buckets[course, default: [:]][scale.index(of: Int64(n)), default: []].insert(actor)
            }
        }
        for (course, byBucket) in buckets.sorted(by: { $0.key < $1.key }) {
            for (i, label) in scale.labels.enumerated() {
                let actors = byBucket[i] ?? []
                var parts = RowContributions()
                if input.recordContributions { parts.people("learners", actors) }
                table.append(
                    [.value(course), .text(label), .integer(Int64(actors.count))], actors: actors.count,
                    contributions: input.recordContributions ? parts : nil)
            }
        }
        return table
    }
}
