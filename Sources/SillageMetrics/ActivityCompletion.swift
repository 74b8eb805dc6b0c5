import SillageCore
import SillagePrivacy

/// `activity_completion`: the completion funnel of each course's activities.
///
/// For each course, its activities ranked by the number of learners who completed them by
/// the end of the period, with that number as a share of the course's learners (the same
/// denominator as `course_completion`).
public enum ActivityCompletion {
    public static let name = "activity_completion"

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Activity completion funnel",
            description: "Per course, activities by number of learners who completed them, and that number as a share of the course's learners.",
            columns: [
                Column("course", .string, "Course key (empty when the source did not say).", optional: true),
                Column("activity", .string, "Activity key: cm:<course module id> (Moodle) or the Open edX block key."),
                Column(
                    "activity_name", .string, "The activity's name from the catalogue input (empty without one).", optional: true, reference: true),
                Column(
                    "rank", .integer,
                    "Position in the course's funnel: the catalogue's order when it gives one, otherwise 1 is the activity completed by the most learners (as published: ranks follow the published counts, withheld rows last)."
                ).rank(by: "completers", within: "course", item: "activity"),
                Column("completers", .integer, "Learners who completed the activity by the end of the period.", role: .people),
                Column("share_of_learners", .number, "completers ÷ the course's learners as in course_completion (3 decimals).", role: .measure)
                    .share(of: "completers", over: CourseCompletion.name, column: "learners", matching: "course", digits: 3),
            ],
            primaryKey: ["course", "activity"])
        let cohorts = CourseCompletion.cohorts(input)
        var byCourse: [Publishable: [Publishable: Set<ActorKey>]] = [:]
        for (k, c) in input.facts.activityCompletions where c.time < input.periodEnd {
            byCourse[c.course, default: [:]][k.object, default: []].insert(k.actor)
        }
        for (course, activities) in byCourse.sorted(by: { $0.key < $1.key }) {
            let learners = cohorts[course]?.learners.count ?? 0
            let ranked = activities.sorted { a, b in
                let pa = input.catalogue[a.key]?.position, pb = input.catalogue[b.key]?.position
                if let pa, let pb, pa != pb { return pa < pb }
                if (pa == nil) != (pb == nil) { return pa != nil }
                // Under differential privacy the exact counts must not order the rows.
                if input.recordContributions { return a.key < b.key }
                return a.value.count != b.value.count ? a.value.count > b.value.count : a.key < b.key
            }
            for (rank, (activity, completers)) in ranked.enumerated() {
                table.append(
                    [
                        .value(course), .value(activity), .value(input.catalogue[activity]?.name ?? .none), .integer(Int64(rank + 1)),
                        .integer(Int64(completers.count)),
                        learners > 0 ? .decimal(Double(completers.count) / Double(max(learners, completers.count)), digits: 3) : .empty,
                    ], actors: completers.count,
                    contributions: input.recordContributions
                        ? {
                            var parts = RowContributions()
                            parts.people("completers", completers)
                            return parts
                        }() : nil)
            }
        }
        return table
    }
}
