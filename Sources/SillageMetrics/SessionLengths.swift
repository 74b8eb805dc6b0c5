import SillageCore

/// `session_lengths`: the distribution of session durations per stream.
public enum SessionLengths {
    public static let name = "session_lengths"

    /// Duration buckets, lower bounds in seconds.
    public static let scale = BucketScale([
        ("0s", 0), ("1-59s", 1), ("1-4min", 60), ("5-14min", 300), ("15-29min", 900),
        ("30-59min", 1800), ("1-2h", 3600), ("2h+", 7200),
    ])

    public static func build(_ input: MetricInput) -> Table {
        var table = Table(
            name: name, title: "Session lengths",
            description: "Sessions per stream and duration bucket over the export period, with the distinct users who had them.",
            columns: [
                Column("stream", .string, "Input stream."),
                Column(
                    "duration_bucket", .string,
                    "Session duration (last event minus first): 0s is a single-event session or events in the same second; 1-2h means 1 h to under 2 h.",
                    allowed: scale.labels),
                Column("sessions", .integer, "Sessions in the bucket.", role: .count),
                Column("users", .integer, "Distinct pseudonymous actors with at least one session in the bucket.", role: .people),
            ],
            primaryKey: ["stream", "duration_bucket"])
        for stream in input.streams {
            var sessions = [Int](repeating: 0, count: scale.buckets.count)
            var users = [Set<ActorKey>](repeating: [], count: scale.buckets.count)
            var sessionsBy = [Contributions](repeating: Contributions(), count: scale.buckets.count)
            for s in input.sessions where s.stream == stream {
                let b = scale.index(of: s.durationSeconds)
                sessions[b] += 1
                users[b].insert(s.actor)
                sessionsBy[b].add(s.actor, 1)
            }
            for (i, b) in scale.buckets.enumerated() {
                table.append(
                    [.text(stream), .text(b.label), .integer(Int64(sessions[i])), .integer(Int64(users[i].count))],
                    actors: users[i].count, topShare: sessionsBy[i].topShare,
                    contributions: input.recordContributions ? parts(users[i], sessionsBy[i]) : nil)
            }
        }
        return table
    }

    static func parts(_ users: Set<ActorKey>, _ sessions: Contributions) -> RowContributions {
        var parts = RowContributions()
        parts.sum("sessions", sessions)
        parts.people("users", users)
        return parts
    }
}
