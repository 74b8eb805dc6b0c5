import SillageCore

/// The tables that map each source's event names and verbs to canonical kinds (SPEC §4).
///
/// One table per source; the README prints them. Names not listed map to `other`: still
/// activity (it counts for sessions and connection days) but neither a page nor a completion.
public enum EventMapping {
    /// Moodle `eventname` (logstore) → kind. Module views are matched by suffix, see `moodleKind`.
    public static let moodleEvents: [(String, EventKind)] = [
        ("\\core\\event\\user_loggedin", .login),
        ("\\core\\event\\user_loggedout", .logout),
        ("\\core\\event\\course_viewed", .courseView),
        ("\\core\\event\\course_module_completion_updated", .activityCompleted),
        ("\\core\\event\\course_completed", .courseCompleted),
        ("\\core\\event\\user_enrolment_created", .enrolled),
        ("\\core\\event\\search_results_viewed", .search),
        ("\\mod_forum\\event\\course_searched", .search),
        ("\\mod_resource\\event\\course_module_viewed", .download),
        ("\\mod_folder\\event\\all_files_downloaded", .download),
        ("\\*\\event\\course_module_viewed", .contentView),
    ]

    /// Moodle "Logs" report `Event name` (English display names) → kind.
    public static let moodleReportNames: [(String, EventKind)] = [
        ("User has logged in", .login),
        ("User logged out", .logout),
        ("Course viewed", .courseView),
        ("Course module viewed", .contentView),
        ("Course activity completion updated", .activityCompleted),
        ("Course completed", .courseCompleted),
        ("User enrolled in course", .enrolled),
        ("Search results viewed", .search),
        ("Course searched", .search),
        ("All files downloaded", .download),
    ]

    /// Open edX `event_type` / `name` → kind. Server events whose type is a path are page requests.
    public static let openEdxEvents: [(String, EventKind)] = [
        ("edx.course.enrollment.activated", .enrolled),
        ("edx.completion.block_completion.changed", .activityCompleted),
        ("edx.course.grade.passed.first_time", .courseCompleted),
        ("edx.course.completed", .courseCompleted),
        ("edx.course.search.results_displayed", .search),
        ("edx.course.home.resume_course.clicked", .courseView),
        ("edx.ui.lms.outline.selected", .courseView),
        ("edx.ui.lms.sequence.next_selected", .contentView),
        ("edx.ui.lms.sequence.previous_selected", .contentView),
        ("edx.ui.lms.sequence.tab_selected", .contentView),
        ("edx.ui.lms.link_clicked", .contentView),
        ("seq_goto", .contentView),
        ("seq_next", .contentView),
        ("seq_prev", .contentView),
        ("play_video", .contentView),
        ("edx.video.played", .contentView),
        ("load_video", .contentView),
        ("edx.video.loaded", .contentView),
        ("textbook.pdf.page.loaded", .contentView),
        ("book", .contentView),
        ("edx.user.login", .login),
        ("edx.user.logout", .logout),
    ]

    /// xAPI verb (last path segment of the verb IRI, lower-cased) → kind; course objects turn
    /// views into `courseView` and completions into `courseCompleted`.
    public static let xapiVerbs: [(String, EventKind)] = [
        ("viewed", .contentView),
        ("experienced", .contentView),
        ("launched", .contentView),
        ("accessed", .contentView),
        ("played", .contentView),
        ("navigated", .contentView),
        ("completed", .activityCompleted),
        ("registered", .enrolled),
        ("enrolled", .enrolled),
        ("searched", .search),
        ("logged-in", .login),
        ("loggedin", .login),
        ("logged-out", .logout),
        ("downloaded", .download),
    ]

    static let moodleTable: [String: EventKind] = Dictionary(moodleEvents.filter { !$0.0.hasPrefix("\\*") }, uniquingKeysWith: { a, _ in a })
    static let reportTable: [String: EventKind] = Dictionary(moodleReportNames.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { a, _ in a })
    static let openEdxTable: [String: EventKind] = Dictionary(openEdxEvents, uniquingKeysWith: { a, _ in a })
    static let xapiTable: [String: EventKind] = Dictionary(xapiVerbs, uniquingKeysWith: { a, _ in a })

    /// The kind of a Moodle event name.
    public static func moodleKind(_ eventName: String) -> EventKind {
        if let kind = moodleTable[eventName] { return kind }
        if eventName.hasSuffix("\\event\\course_module_viewed") { return .contentView }
        return .other
    }

    /// The kind of a Moodle Logs-report event name (English; other languages map to `other`).
    public static func moodleReportKind(_ name: String) -> EventKind {
        reportTable[name.lowercased()] ?? .other
    }

    /// The kind of an Open edX event type.
    public static func openEdxKind(_ type: String) -> EventKind {
        openEdxTable[type] ?? .other
    }

    /// The kind of an xAPI verb IRI.
    public static func xapiKind(verb: String) -> EventKind {
        let last = verb.split(separator: "/").last.map { $0.lowercased() } ?? verb.lowercased()
        return xapiTable[last] ?? .other
    }

    /// The mapping tables as Markdown, for the README and `sillage formats`.
    public static var markdown: String {
        func table(_ title: String, _ rows: [(String, EventKind)]) -> String {
            "| \(title) | kind |\n|---|---|\n" + rows.map { "| `\($0.0)` | `\($0.1.name)` |" }.joined(separator: "\n") + "\n"
        }
        return table("Moodle event name", moodleEvents) + "\n" + table("Moodle Logs report event name", moodleReportNames)
            + "\n" + table("Open edX event type", openEdxEvents) + "\n" + table("xAPI verb", xapiVerbs)
    }
}
