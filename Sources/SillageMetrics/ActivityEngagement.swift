import SillageCore
import SillagePrivacy

/// `activity_engagement`: per course, each activity or content with the learners who
/// consulted it and their consultations over the period, in catalogue order.
///
/// Consultations follow `content_views` (the 30-second rule) summed over the period's
/// weeks; viewers are distinct over the whole period, not a sum of weekly viewers.
public enum ActivityEngagement {
    public static let name = "activity_engagement"

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Engagement per activity",
            description: "Per course, the learners who consulted each activity or content during the period, and their consultations.",
            columns: [
                Column("course", .string, "Course key (empty when the source did not say).", optional: true),
                Column("activity", .string, "Activity or content key: cm:<course module id>, an Open edX block key, or a scrubbed path."),
                Column(
                    "activity_name", .string, "The activity's name from the catalogue input (empty without one).", optional: true, reference: true),
                Column("viewers", .integer, "Distinct learners who consulted it during the period.", role: .people),
                Column("views", .integer, "Consultations, after the 30-second rule.", role: .count),
            ],
            primaryKey: ["course", "activity"])
        var viewers: [Publishable: [Publishable: Set<ActorKey>]] = [:]
        var views: [Publishable: [Publishable: Contributions]] = [:]
        for (k, n) in input.facts.contentViews where input.covers(day: k.week) {
            viewers[k.course, default: [:]][k.object, default: []].insert(k.actor)
            views[k.course, default: [:]][k.object, default: Contributions()].add(k.actor, Int64(n))
        }
        for (course, objects) in viewers.sorted(by: { $0.key < $1.key }) {
            let ordered = objects.keys.sorted { a, b in
                let pa = input.catalogue[a]?.position, pb = input.catalogue[b]?.position
                if let pa, let pb, pa != pb { return pa < pb }
                if (pa == nil) != (pb == nil) { return pa != nil }
                return a < b
            }
            for object in ordered {
                let people = objects[object] ?? []
                let sum = views[course]?[object] ?? Contributions()
                var parts = RowContributions()
                if input.recordContributions {
                    parts.people("viewers", people)
                    parts.sum("views", sum)
                }
                table.append(
                    [
                        .value(course), .value(object), .value(input.catalogue[object]?.name ?? .none), .integer(Int64(people.count)),
                        .integer(sum.total),
                    ], actors: people.count, topShare: sum.topShare, contributions: input.recordContributions ? parts : nil)
            }
        }
        return table
    }
}
