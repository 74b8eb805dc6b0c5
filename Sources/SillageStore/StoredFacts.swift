/// A table of the store that holds rows about learners or from inputs, declared once: what
/// erasure, anonymisation, `--reprocess`, retention and inactivity read instead of lists of
/// table names of their own. A test checks the declarations against the schema's columns.
struct StoredFact {
    var table: String
    /// Rows are keyed by `actor`: erased with the person, re-keyed when anonymised.
    var byActor = true
    /// Rows name the input they came from (`input`): taken out by `--reprocess`. Sessions are
    /// not, since a session made of several inputs is rebuilt from its other parts instead.
    var fromInput = true
    /// SQL for the UTC milliseconds of a learner's last trace in the table (grouped by actor).
    var lastSeen: String? = nil
    /// Retention: rows whose `column` (a local day, or the Monday of a week) is before the
    /// cutoff day are purged, counted under `kind`.
    var purge: (kind: String, column: String)? = nil

    /// In the order every statement over them runs.
    static let all: [StoredFact] = [
        StoredFact(table: "sessions", fromInput: false, lastSeen: "max(end_ms)", purge: ("sessions", "day")),
        StoredFact(table: "session_parts", fromInput: false),
        StoredFact(table: "daily_counts", byActor: false),
        StoredFact(table: "actor_days", lastSeen: "(max(day) + 1) * 86400000", purge: ("learnerDays", "day")),
        StoredFact(table: "enrolments", lastSeen: "max(first_ms)"),
        StoredFact(table: "completions", lastSeen: "max(completed_ms)"),
        StoredFact(table: "course_activity", lastSeen: "max(last_ms)"),
        StoredFact(table: "activity_completions", lastSeen: "max(completed_ms)"),
        StoredFact(table: "content_views", lastSeen: "(max(week) + 7) * 86400000", purge: ("contentViews", "week")),
        StoredFact(table: "searches", lastSeen: "(max(day) + 1) * 86400000", purge: ("searches", "day")),
        StoredFact(table: "catalogue", byActor: false),
        StoredFact(table: "memberships", lastSeen: "0"),
        StoredFact(table: "recent_views", fromInput: false),
    ]

    /// Tables keyed by `actor`.
    static var actorTables: [String] { all.filter(\.byActor).map(\.table) }
    /// Tables whose rows name their input.
    static var inputTables: [String] { all.filter(\.fromInput).map(\.table) }
}
