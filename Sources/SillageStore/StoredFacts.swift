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
    /// Columns holding gated values from the inputs (courses, objects, search terms): checked
    /// again when the run learns a name (`Store.rewriteValues`).
    var values: [String] = []
    /// How a row meets another of the same key: the conflict clause every insert uses (a
    /// batch commit, a rewritten value).
    var upsert = ""

    /// In the order every statement over them runs.
    static let all: [StoredFact] = [
        StoredFact(table: "sessions", fromInput: false, lastSeen: "max(end_ms)", purge: ("sessions", "day"), accessFile: "sessions.csv"),
        // The parts of sessions shared by several inputs: shown as the sessions they make.
        StoredFact(table: "session_parts", fromInput: false, accessFile: "sessions.csv"),
        StoredFact(table: "daily_counts", byActor: false),
        StoredFact(
            table: "actor_days", lastSeen: "(max(day) + 1) * 86400000", purge: ("learnerDays", "day"), accessFile: "learner_days.csv"),
        StoredFact(
            table: "enrolments", lastSeen: "max(first_ms)", purge: ("enrolments", "first_ms / 86400000"), accessFile: "courses.csv",
            values: ["course"], upsert: Upsert.enrolments),
        StoredFact(
            table: "completions", lastSeen: "max(completed_ms)", purge: ("completions", "completed_ms / 86400000"),
            accessFile: "courses.csv", values: ["course"], upsert: Upsert.completions),
        StoredFact(
            table: "course_activity", lastSeen: "max(last_ms)", purge: ("courseActivity", "last_ms / 86400000"), accessFile: "courses.csv",
            values: ["course"], upsert: Upsert.courseActivity),
        StoredFact(
            table: "course_days", lastSeen: "(max(day) + 1) * 86400000", purge: ("courseDays", "day"), accessFile: "course_days.csv",
            values: ["course"], upsert: Upsert.courseDays),
        StoredFact(
            table: "activity_completions", lastSeen: "max(completed_ms)", purge: ("activityCompletions", "completed_ms / 86400000"),
            accessFile: "activity_completions.csv", values: ["object", "course"], upsert: Upsert.activityCompletions),
        StoredFact(
            table: "content_views", lastSeen: "(max(week) + 7) * 86400000", purge: ("contentViews", "week"),
            accessFile: "content_views.csv", values: ["object", "course"], upsert: Upsert.contentViews),
        StoredFact(
            table: "searches", lastSeen: "(max(day) + 1) * 86400000", purge: ("searches", "day"), accessFile: "searches.csv",
            values: ["term"], upsert: Upsert.searches),
        // Paths many people requested, per day and status class: no one's, kept as long as
        // sessions. A path fewer people requested in a batch is never stored.
        StoredFact(
            table: "server_objects", byActor: false, purge: ("serverObjects", "day"), values: ["object"], upsert: Upsert.serverObjects),
        StoredFact(table: "catalogue", byActor: false),
        // Memberships are not dated: they are no trace of activity, so a learner the operator
        // lists in an organisation but who was never active is not "inactive" (anonymised on
        // the run that loads them); with activity, its dates decide.
        StoredFact(table: "memberships", accessFile: "person.json"),
        // The last view per object near the end of the store, kept for the 30-second rule.
        StoredFact(
            table: "recent_views", fromInput: false, purge: ("recentViews", "last_ms / 86400000"), accessFile: "recent_views.csv",
            values: ["object"], upsert: Upsert.recentViews),
    ]

    /// The conflict clauses of the fact tables: first times are the earliest, last times the
    /// latest, counts add up.
    enum Upsert {
        static let enrolments = "ON CONFLICT(course, actor, input) DO UPDATE SET first_ms = min(first_ms, excluded.first_ms)"
        static let completions =
            "ON CONFLICT(course, actor, input) DO UPDATE SET completed_ms = min(completed_ms, excluded.completed_ms)"
        static let courseActivity = """
            ON CONFLICT(course, actor, input) DO UPDATE SET first_ms = min(first_ms, excluded.first_ms),
                last_ms = max(last_ms, excluded.last_ms), events = events + excluded.events
            """
        static let courseDays = """
            ON CONFLICT(course, actor, day, input) DO UPDATE SET events = events + excluded.events,
                beyond_home = beyond_home + excluded.beyond_home
            """
        static let activityCompletions = """
            ON CONFLICT(object, actor, input) DO UPDATE SET completed_ms = min(completed_ms, excluded.completed_ms),
                course = CASE WHEN excluded.completed_ms < completed_ms THEN excluded.course ELSE course END
            """
        static let contentViews = "ON CONFLICT(object, week, actor, input) DO UPDATE SET views = views + excluded.views"
        static let searches = """
            ON CONFLICT(term, day, actor, input) DO UPDATE SET searches = searches + excluded.searches,
                failed = failed + excluded.failed
            """
        static let serverObjects =
            "ON CONFLICT(day, stream, object, status_class, input) DO UPDATE SET requests = requests + excluded.requests, people = max(people, excluded.people)"
        static let recentViews = "ON CONFLICT(actor, object) DO UPDATE SET last_ms = max(last_ms, excluded.last_ms)"
    }

    /// The files of an access answer that show stored rows.
    static var accessFiles: Set<String> { Set(all.compactMap(\.accessFile)) }

    /// Tables keyed by `actor`.
    static var actorTables: [String] { all.filter(\.byActor).map(\.table) }
    /// Tables whose rows name their input.
    static var inputTables: [String] { all.filter(\.fromInput).map(\.table) }
}
