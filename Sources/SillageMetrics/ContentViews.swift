import SillageCore
import SillagePrivacy

/// `content_views`: consultations of each course content per week (COUNTER R5 style).
///
/// Views of the same object by the same learner within 30 seconds count once; unique
/// viewers are the distinct learners who consulted it that week. Weeks run Monday to Sunday
/// in the pipeline time zone and belong to the period that holds their Monday.
public enum ContentViews {
    public static let name = "content_views"

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Content consultations per week",
            description:
                "Consultations of course content (pages, resources, videos, files) per local week, after the 30-second double-click rule, with unique viewers.",
            columns: [
                Column("week", .date, "Monday of the local week."),
                Column("course", .string, "Course key (empty when the source did not say).", optional: true),
                Column("object", .string, "Content key: cm:<course module id>, an Open edX block key, or a scrubbed path."),
                Column(
                    "views", .integer, "Consultations, views within 30 s of the previous view of the same object by the same learner counted once.",
                    role: .count),
                Column("unique_viewers", .integer, "Distinct learners who consulted it that week.", role: .people),
            ],
            primaryKey: ["week", "course", "object"])
        struct Key: Hashable, Comparable {
            var week: Int32
            var course: Publishable
            var object: Publishable
            static func < (a: Key, b: Key) -> Bool { (a.week, a.course, a.object) < (b.week, b.course, b.object) }
        }
        var views: [Key: Int] = [:]
        var viewers: [Key: Set<ActorKey>] = [:]
        var viewsBy: [Key: Contributions] = [:]
        for (k, n) in input.facts.contentViews where input.covers(day: k.week) {
            let key = Key(week: k.week, course: k.course, object: k.object)
            views[key, default: 0] += n
            viewers[key, default: []].insert(k.actor)
            viewsBy[key, default: Contributions()].add(k.actor, Int64(n))
        }
        for key in views.keys.sorted() {
            let unique = viewers[key]?.count ?? 0
            table.append(
                [
                    .text(CivilTime.isoDate(days: Int(key.week))), .value(key.course), .value(key.object),
                    .integer(Int64(views[key]!)), .integer(Int64(unique)),
                ], actors: unique,
                topShare: viewsBy[key]?.topShare ?? 0,
                contributions: input.recordContributions
                    ? {
                        var parts = RowContributions()
                        parts.sum("views", viewsBy[key] ?? Contributions())
                        parts.people("unique_viewers", viewers[key] ?? [])
                        return parts
                    }() : nil)
        }
        return table
    }
}
