import SillageCore
import SillagePrivacy
import SillageIngest
import SillageMetrics
import SillageExport
import SillageStore

/// What an access request wrote.
public struct AccessOutcome: Sendable, Equatable {
    public var directory: String
    public var files: [String]
    /// Rows written per kind (sessions, learnerDays, courses, ...).
    public var rows: [String: Int]
}

/// Access and portability (SPEC §6): everything the store holds about one person, as JSON
/// and as CSV, in a private directory (0700, files 0600) published atomically.
public enum AccessRequest {
    /// Columns written as JSON numbers.
    static let countColumns: Set<String> = ["duration_seconds", "events", "pages", "views", "searches", "failed"]

    public static func answer(
        _ person: PersonIdentifier, identifier: String, store: Store, pseudonymiser: Pseudonymiser,
        zone: ZoneRules, to directory: String
    ) throws(SillageError) -> AccessOutcome {
        let actor = person.pseudonym(pseudonymiser)
        let sessions = try store.sessions(of: actor)
        let days = try store.actorDays(of: actor)
        let facts = try store.facts(of: actor)
        let catalogue = try store.catalogue()
        let organisation = try store.organisation(of: actor)
        let optedOut = try store.optOuts().contains(actor)
        func instant(_ ms: Int64) -> String { Clock.iso(ms / 1000) }
        func date(_ day: Int32) -> String { CivilTime.isoDate(days: Int(day)) }
        func name(_ key: String) -> String { catalogue[key]?.name ?? "" }

        var tables: [(file: String, key: String, header: [String], rows: [[String]])] = []
        tables.append(
            (
                "sessions.csv", "sessions", ["stream", "start_utc", "end_utc", "local_date", "duration_seconds", "events", "pages", "device"],
                sessions.map {
                    [
                        $0.stream, instant($0.start), instant($0.end), date($0.day), String($0.durationSeconds),
                        String($0.events), String($0.pages), $0.agentClass.name,
                    ]
                }
            ))
        tables.append(
            (
                "learner_days.csv", "learnerDays", ["local_date", "stream", "events", "pages"],
                days.map { [date($0.day), $0.stream, String($0.events), String($0.pages)] }
            ))
        let courses = Set(facts.enrolments.keys.map(\.course)).union(facts.completions.keys.map(\.course))
            .union(facts.courseActivity.keys.map(\.course))
        tables.append(
            (
                "courses.csv", "courses",
                ["course", "course_name", "enrolled_utc", "first_activity_utc", "last_activity_utc", "events", "completed_utc"],
                courses.sorted().map { c in
                    let k = ActivityFacts.ActorCourse(actor: actor, course: c)
                    let a = facts.courseActivity[k]
                    return [
                        c, name(c), facts.enrolments[k].map(instant) ?? "", a.map { instant($0.first) } ?? "",
                        a.map { instant($0.last) } ?? "", a.map { String($0.events) } ?? "", facts.completions[k].map(instant) ?? "",
                    ]
                }
            ))
        tables.append(
            (
                "activity_completions.csv", "activityCompletions", ["course", "activity", "activity_name", "completed_utc"],
                facts.activityCompletions.sorted { $0.key < $1.key }.map {
                    [$0.value.course, $0.key.object, name($0.key.object), instant($0.value.time)]
                }
            ))
        tables.append(
            (
                "content_views.csv", "contentViews", ["week", "course", "object", "views"],
                facts.contentViews.sorted { $0.key < $1.key }.map { [date($0.key.week), $0.key.course, $0.key.object, String($0.value)] }
            ))
        tables.append(
            (
                "searches.csv", "searches", ["local_date", "term", "searches", "failed"],
                facts.searches.sorted { $0.key < $1.key }.map { [date($0.key.day), $0.key.term, String($0.value.searches), String($0.value.failed)] }
            ))

        var members: [(String, JSONValue)] = [
            ("namespace", .string(person.namespace)), ("identifier", .string(identifier)),
            ("generatedAt", .string(Store.now())), ("timezone", .string(zone.identifier)),
            ("organisation", organisation.map { .string($0) } ?? .null), ("optedOut", .bool(optedOut)),
        ]
        var files: [(name: String, bytes: [UInt8])] = []
        var rows: [String: Int] = [:]
        for t in tables {
            var csv: [UInt8] = []
            CSVWriter.appendRecord(t.header, to: &csv)
            for r in t.rows { CSVWriter.appendRecord(r, to: &csv) }
            files.append((t.file, csv))
            rows[t.key] = t.rows.count
            members.append(
                (
                    t.key,
                    .array(
                        t.rows.map { r in
                            .object(
                                zip(t.header, r).map { column, value in
                                    (column, AccessRequest.countColumns.contains(column) ? Int64(value).map { .int($0) } ?? .null : .string(value))
                                })
                        })
                ))
        }
        files.insert(("person.json", Array(JSONValue.object(members).serialized().utf8)), at: 0)
        try Publisher.publish(files: files, to: directory, personal: true)
        try store.journal(
            "access", subject: "access request: 1 person named in \(person.namespace); answer written to \(directory)",
            count: Int64(rows.values.reduce(0, +)),
            details: .object(rows.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }))
        return AccessOutcome(directory: directory, files: files.map(\.name), rows: rows)
    }
}
