import SillageCore

/// `daily_activity`: per local day and stream, users, sessions, page views, bounces and session shape.
///
/// Users and page views count what happened on the day (learner-day summaries); sessions,
/// bounces, the median duration and pages per session count the sessions that started on
/// the day (a session belongs to its start day, SPEC §7).
public enum DailyActivity {
    public static let name = "daily_activity"

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Daily activity",
            description: "Activity per local day and stream: distinct pseudonymous users, sessions, page views and bounces.",
            columns: [
                Column("date", .date, "Local day (pipeline time zone)."),
                Column("stream", .string, "Input stream, as the pipeline names it (the codebook lists them)."),
                Column(
                    "users", .integer, "Distinct pseudonymous actors with at least one event that day in that stream.", role: .people),
                Column("sessions", .integer, "Sessions that started that day.", role: .count),
                Column("page_views", .integer, "Page views (web) or course and content views (lms) that day.", role: .count),
                Column("bounces", .integer, "Sessions of a single event among those that started that day.", role: .count),
                Column(
                    "median_session_seconds", .number,
                    "Median session duration (last event minus first) of the sessions started that day, in seconds.", role: .measure),
                Column(
                    "mean_pages_per_session", .number,
                    "Pages visited per session, averaged over the sessions started that day (2 decimals); with perturbed counts, page_views ÷ sessions as published.",
                    role: .measure
                ).ratio(of: "page_views", to: "sessions", digits: 2, approximate: true),
            ],
            primaryKey: ["date", "stream"])
        struct Key: Hashable, Comparable {
            var day: Int32
            var stream: String
            static func < (a: Key, b: Key) -> Bool { a.day != b.day ? a.day < b.day : a.stream < b.stream }
        }
        struct Acc {
            var users = 0
            var pageViews: Int64 = 0
            var durations: [Int64] = []
            var durationActors: [ActorKey] = []
            var bounces = 0
            var sessionPages: Int64 = 0
            // Sessions (and so bounces and durations) and page views are sums over people.
            var sessionsBy = Contributions()
            var pagesBy = Contributions()
            var parts = RowContributions()
        }
        var acc: [Key: Acc] = [:]
        for d in input.actorDays {
            let k = Key(day: d.day, stream: d.stream)
            acc[k, default: Acc()].users += 1
            acc[k, default: Acc()].pageViews += Int64(d.pages)
            acc[k, default: Acc()].pagesBy.add(d.actor, Int64(d.pages))
            if input.recordContributions {
                acc[k, default: Acc()].parts.add(d.actor, column: "users", 1)
                acc[k, default: Acc()].parts.add(d.actor, column: "page_views", Int64(d.pages))
            }
        }
        for s in input.sessions {
            let k = Key(day: s.day, stream: s.stream)
            acc[k, default: Acc()].durations.append(s.durationSeconds)
            if input.medianSupport != nil { acc[k, default: Acc()].durationActors.append(s.actor) }
            if s.isBounce { acc[k, default: Acc()].bounces += 1 }
            acc[k, default: Acc()].sessionPages += Int64(s.pages)
            acc[k, default: Acc()].sessionsBy.add(s.actor, 1)
            if input.recordContributions {
                acc[k, default: Acc()].parts.add(s.actor, column: "sessions", 1)
                if s.isBounce { acc[k, default: Acc()].parts.add(s.actor, column: "bounces", 1) }
            }
        }
        for key in acc.keys.sorted() {
            let a = acc[key]!
            let sessions = a.durations.count
            table.append(
                [
                    .text(CivilTime.isoDate(days: Int(key.day))),
                    .text(key.stream),
                    .integer(Int64(a.users)),
                    .integer(Int64(sessions)),
                    .integer(a.pageViews),
                    .integer(Int64(a.bounces)),
                    supportedMedian(a.durations, people: a.durationActors, minPeople: input.medianSupport, grain: 1).map {
                        .decimal($0, digits: 1)
                    } ?? .empty,
                    sessions > 0 ? .decimal(Double(a.sessionPages) / Double(sessions), digits: 2) : .empty,
                ], actors: a.users, topShare: max(a.sessionsBy.topShare, a.pagesBy.topShare),
                contributions: input.recordContributions ? a.parts : nil)
        }
        return table
    }
}
