import SillageCore
import SillagePrivacy

/// `course_weekly_active`: per course and local week, the learners with activity in it.
///
/// Weeks run Monday to Sunday in the pipeline's time zone; every week from the course's
/// first to its last active week in the period has a row, quiet weeks with 0, so that a
/// chart of them has no gaps that look like data.
public enum CourseWeeks {
    public static let name = "course_weekly_active"

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Weekly active learners per course",
            description: "Per course and local week (Monday to Sunday), the learners with at least one event in the course.",
            columns: [
                Column("course", .string, "Course key: the Moodle course id, or the Open edX course key."),
                Column("week", .date, "Monday of the local week."),
                Column("active_learners", .integer, "Learners with at least one event in the course that week.", role: .people),
            ],
            primaryKey: ["course", "week"])
        var weeks: [Publishable: [Int32: Set<ActorKey>]] = [:]
        for k in input.facts.courseDays.keys where input.covers(day: k.day) {
            weeks[k.course, default: [:]][ActivityFacts.weekStart(k.day), default: []].insert(k.actor)
        }
        for (course, byWeek) in weeks.sorted(by: { $0.key < $1.key }) {
            guard let first = byWeek.keys.min(), let last = byWeek.keys.max() else { continue }
            for week in stride(from: first, through: last, by: 7) {
                let actors = byWeek[week] ?? []
                var parts = RowContributions()
                if input.recordContributions { parts.people("active_learners", actors) }
                table.append(
                    [.value(course), .text(CivilTime.isoDate(days: Int(week))), .integer(Int64(actors.count))],
                    actors: actors.count, contributions: input.recordContributions ? parts : nil)
            }
        }
        return table
    }
}
