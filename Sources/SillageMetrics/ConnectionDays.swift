import SillageCore

/// `connection_days`: how many days a month learners connect, and how long (SPEC §7).
///
/// For each actor and local month: connection days = distinct local days with at least one
/// event; connected time = the summed durations of the sessions that started on those days.
/// Actors are then counted per bucket of connection days.
public enum ConnectionDays {
    public static let name = "connection_days"

    /// Buckets of connection days in a month.
    public static let scale = BucketScale([("1", 1), ("2", 2), ("3-4", 3), ("5-9", 5), ("10-14", 10), ("15-31", 15)])

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Connection days per month",
            description:
                "Distribution of learners by number of connection days in a local month, with their median connected time. Anonymous web visitors are keyed per day, so they count one day each.",
            columns: [
                Column("month", .yearmonth, "Local month."),
                Column("stream", .string, "Input stream."),
                Column(
                    "connection_days", .string, "Distinct local days with at least one event in the month (bucket).",
                    allowed: scale.labels),
                Column("users", .integer, "Distinct pseudonymous actors in the bucket.", role: .people),
                Column(
                    "median_connected_seconds", .number,
                    "Median over those actors of the summed durations of their sessions started in the month, in seconds.", role: .measure),
            ],
            primaryKey: ["month", "stream", "connection_days"])
        struct ActorMonth: Hashable {
            var stream: String
            var actor: ActorKey
            var month: Int
        }
        var days: [ActorMonth: Int] = [:]
        var seconds: [ActorMonth: Int64] = [:]
        for d in input.actorDays {
            days[ActorMonth(stream: d.stream, actor: d.actor, month: CivilTime.monthIndex(days: Int(d.day))), default: 0] += 1
        }
        for s in input.sessions {
            seconds[ActorMonth(stream: s.stream, actor: s.actor, month: CivilTime.monthIndex(days: Int(s.day))), default: 0] += s.durationSeconds
        }
        struct Key: Hashable, Comparable {
            var month: Int
            var stream: String
            var bucket: Int
            static func < (a: Key, b: Key) -> Bool {
                (a.month, a.stream, a.bucket) < (b.month, b.stream, b.bucket)
            }
        }
        var groups: [Key: [Int64]] = [:]
        var members: [Key: [ActorKey]] = [:]
        for (am, n) in days {
            let key = Key(month: am.month, stream: am.stream, bucket: scale.index(of: Int64(n)))
            groups[key, default: []].append(seconds[am] ?? 0)
            if input.recordContributions { members[key, default: []].append(am.actor) }
        }
        let months = Set(groups.keys.map { MonthStream(month: $0.month, stream: $0.stream) }).sorted()
        for ms in months {
            for (i, b) in scale.buckets.enumerated() {
                let key = Key(month: ms.month, stream: ms.stream, bucket: i)
                let values = groups[key] ?? []
                var parts = RowContributions()
                if input.recordContributions { parts.people("users", members[key] ?? []) }
                let label = "\(ms.month / 12)-\(ms.month % 12 + 1 < 10 ? "0" : "")\(ms.month % 12 + 1)"
                table.append(
                    [
                        .text(label), .text(ms.stream), .text(b.label), .integer(Int64(values.count)),
                        supportedMedian(values, minPeople: input.medianSupport, grain: 1).map { .decimal($0, digits: 1) } ?? .empty,
                    ], actors: values.count,
                    contributions: input.recordContributions ? parts : nil)
            }
        }
        return table
    }

    struct MonthStream: Hashable, Comparable {
        var month: Int
        var stream: String
        static func < (a: MonthStream, b: MonthStream) -> Bool { (a.month, a.stream) < (b.month, b.stream) }
    }
}
