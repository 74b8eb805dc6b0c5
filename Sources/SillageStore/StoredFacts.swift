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
    /// Retention: rows whose `column` (an SQL expression for a day: a local day, the Monday of
    /// a week, or the UTC day of an instant) is before the cutoff day are purged, counted
    /// under `kind`. Every per-learner dated row has one (SPEC §6).
    var purge: (kind: String, column: String)? = nil
    /// The file of an access answer (`sillage access`) that shows a person's rows of this
    /// table; nil for a table an answer does not show (with the reason in `all`).
    var accessFile: String? = nil

    /// In the order every statement over them runs.
    static let all: [StoredFact] = [
        StoredFact(table: "sessions", fromInput: false, lastSeen: "max(end_ms)", purge: ("sessions", "day"), accessFile: "sessions.csv"),
        // The parts of sessions shared by several inputs: shown as the sessions they make.
        StoredFact(table: "session_parts", fromInput: false, accessFile: "sessions.csv"),
        StoredFact(table: "daily_counts", byActor: false),
        StoredFact(
            table: "actor_days", lastSeen: "(max(day) + 1) * 86400000", purge: ("learnerDays", "day"), accessFile: "learner_days.csv"),
        StoredFact(
            table: "enrolments", lastSeen: "max(first_ms)", purge: ("enrolments", "first_ms / 86400000"), accessFile: "courses.csv"),
        StoredFact(
            table: "completions", lastSeen: "max(completed_ms)", purge: ("completions", "completed_ms / 86400000"),
            accessFile: "courses.csv"),
        StoredFact(
            table: "course_activity", lastSeen: "max(last_ms)", purge: ("courseActivity", "last_ms / 86400000"), accessFile: "courses.csv"),
        StoredFact(
            table: "activity_completions", lastSeen: "max(completed_ms)", purge: ("activityCompletions", "completed_ms / 86400000"),
            accessFile: "activity_completions.csv"),
        StoredFact(
            table: "content_views", lastSeen: "(max(week) + 7) * 86400000", purge: ("contentViews", "week"),
            accessFile: "content_views.csv"),
        StoredFact(table: "searches", lastSeen: "(max(day) + 1) * 86400000", purge: ("searches", "day"), accessFile: "searches.csv"),
        StoredFact(table: "catalogue", byActor: false),
        StoredFact(table: "memberships", lastSeen: "0", accessFile: "person.json"),
        // The last view per object near the end of the store, kept for the 30-second rule.
        StoredFact(
            table: "recent_views", fromInput: false, purge: ("recentViews", "last_ms / 86400000"), accessFile: "recent_views.csv"),
    ]

    /// The files of an access answer that show stored rows.
    static var accessFiles: Set<String> { Set(all.compactMap(\.accessFile)) }

    /// Tables keyed by `actor`.
    static var actorTables: [String] { all.filter(\.byActor).map(\.table) }
    /// Tables whose rows name their input.
    static var inputTables: [String] { all.filter(\.fromInput).map(\.table) }
}
