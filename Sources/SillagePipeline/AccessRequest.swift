import Foundation
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

/// One CSV file of an access answer, also given as an array in `person.json`.
struct PersonTable {
    var file: String
    var key: String
    var header: [String]
    var rows: [[String]]
}

/// Access and portability (SPEC §6): everything the store holds about one person, as JSON
/// and as CSV, in a private directory (0700, files 0600) published atomically.
public enum AccessRequest {
    /// Columns written as JSON numbers.
    static let countColumns: Set<String> = ["duration_seconds", "events", "pages", "views", "searches", "failed"]

    /// Answers for the person named by `identities` (each with the text the operator gave).
    ///
    /// Each identity's rows stay apart, marked by an `identity` column (`NS:ID`): the answer
    /// shows what the store holds under each, and never joins accounts the pipeline keeps apart.
    public static func answer(
        _ identities: [(PersonIdentifier, String)], store: Store, pseudonymiser: Pseudonymiser, zone: ZoneRules, to directory: String
    ) throws(SillageError) -> AccessOutcome {
        // An answer never replaces what is already there: the operator's folder may hold
        // anything, and a person's data must not land among other files.
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw SillageError.usage(
                "--out names a directory that is not empty; nothing was written", hint: "give a new or empty directory")
        }
        var tables: [PersonTable] = []
        var people: [JSONValue] = []
        let optOuts = try store.optOuts()
        for (person, text) in identities {
            let actor = person.pseudonym(pseudonymiser)
            let label = person.namespace + ":" + text
            people.append(
                .object([
                    ("namespace", .string(person.namespace)), ("identifier", .string(text)),
                    ("organisation", try store.organisation(of: actor).map { .string($0) } ?? .null),
                    ("optedOut", .bool(optOuts.contains(actor))),
                ]))
            let own = try self.tables(of: actor, store: store)
            for (i, t) in own.enumerated() {
                let marked = t.rows.map { [label] + $0 }
                if i < tables.count {
                    tables[i].rows += marked
                } else {
                    tables.append(PersonTable(file: t.file, key: t.key, header: ["identity"] + t.header, rows: marked))
                }
            }
        }
        var members: [(String, JSONValue)] = [
            ("identities", .array(people)), ("generatedAt", .string(Store.now())), ("timezone", .string(zone.identifier)),
        ]
        var files: [(name: String, bytes: [UInt8])] = []
        var rows: [String: Int] = [:]
        for t in tables {
            var csv: [UInt8] = []
            CSVWriter.appendRecord(t.header, to: &csv)
            for r in t.rows { CSVWriter.appendRecord(r, to: &csv) }
            files.append((t.file, csv))
            rows[t.key] = t.rows.count
            members.append((t.key, json(t)))
        }
        files.insert(("person.json", Array(JSONValue.object(members).serialized().utf8)), at: 0)
        try Publisher.publish(files: files, to: directory, personal: true)
        let namespaces = Set(identities.map(\.0.namespace)).sorted().joined(separator: ", ")
        try store.journal(
            "access",
            subject:
                "access request: 1 person, \(identities.count) identit\(identities.count == 1 ? "y" : "ies") named in \(namespaces); answer written to the directory the operator gave",
            count: Int64(rows.values.reduce(0, +)),
            details: .object(rows.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }))
        return AccessOutcome(directory: directory, files: files.map(\.name), rows: rows)
    }

    /// A table's rows as JSON objects, counts as numbers.
    static func json(_ t: PersonTable) -> JSONValue {
        .array(
            t.rows.map { r in
                .object(
                    zip(t.header, r).map { column, value in
                        (column, countColumns.contains(column) ? Int64(value).map { .int($0) } ?? .null : .string(value))
                    })
            })
    }

    static func instant(_ ms: Int64) -> String { Clock.iso(ms / 1000) }
    static func date(_ day: Int32) -> String { CivilTime.isoDate(days: Int(day)) }

    /// Everything the store holds about `actor`, table by table.
    static func tables(of actor: ActorKey, store: Store) throws(SillageError) -> [PersonTable] {
        let facts = try store.facts(of: actor)
        let catalogue = try store.catalogue()
        let name = { (key: Publishable) in catalogue[key]?.name.text ?? "" }
        let sessions = PersonTable(
            file: "sessions.csv", key: "sessions",
            header: ["stream", "start_utc", "end_utc", "local_date", "duration_seconds", "events", "pages", "device"],
            rows: try store.sessions(of: actor).map {
                [
                    $0.stream, instant($0.start), instant($0.end), date($0.day), String($0.durationSeconds),
                    String($0.events), String($0.pages), $0.agentClass.name,
                ]
            })
        let days = PersonTable(
            file: "learner_days.csv", key: "learnerDays", header: ["local_date", "stream", "events", "pages"],
            rows: try store.actorDays(of: actor).map { [date($0.day), $0.stream, String($0.events), String($0.pages)] })
        let recent = PersonTable(
            file: "recent_views.csv", key: "recentViews", header: ["object", "last_view_utc"],
            rows: try store.recentViews(of: actor).map { [$0.object, instant($0.lastMillis)] })
        return [sessions, days, courses(of: actor, facts: facts, name: name)] + factTables(facts, name: name) + [recent]
    }

    static func courses(of actor: ActorKey, facts: ActivityFacts, name: (Publishable) -> String) -> PersonTable {
        let courses = Set(facts.enrolments.keys.map(\.course)).union(facts.completions.keys.map(\.course))
            .union(facts.courseActivity.keys.map(\.course))
        return PersonTable(
            file: "courses.csv", key: "courses",
            header: ["course", "course_name", "enrolled_utc", "first_activity_utc", "last_activity_utc", "events", "completed_utc"],
            rows: courses.sorted().map { c in
                let k = ActivityFacts.ActorCourse(actor: actor, course: c)
                let a = facts.courseActivity[k]
                return [
                    c.text, name(c), facts.enrolments[k].map(instant) ?? "", a.map { instant($0.first) } ?? "",
                    a.map { instant($0.last) } ?? "", a.map { String($0.events) } ?? "", facts.completions[k].map(instant) ?? "",
                ]
            })
    }

    static func factTables(_ facts: ActivityFacts, name: (Publishable) -> String) -> [PersonTable] {
        [
            PersonTable(
                file: "activity_completions.csv", key: "activityCompletions", header: ["course", "activity", "activity_name", "completed_utc"],
                rows: facts.activityCompletions.sorted { $0.key < $1.key }.map {
                    [$0.value.course.text, $0.key.object.text, name($0.key.object), instant($0.value.time)]
                }),
            PersonTable(
                file: "course_days.csv", key: "courseDays", header: ["local_date", "course", "events", "beyond_course_home"],
                rows: facts.courseDays.sorted { $0.key < $1.key }.map {
                    [date($0.key.day), $0.key.course.text, String($0.value.events), String($0.value.beyondHome)]
                }),
            PersonTable(
                file: "content_views.csv", key: "contentViews", header: ["week", "course", "object", "views"],
                rows: facts.contentViews.sorted { $0.key < $1.key }.map {
                    [date($0.key.week), $0.key.course.text, $0.key.object.text, String($0.value)]
                }),
            PersonTable(
                file: "searches.csv", key: "searches", header: ["local_date", "term", "searches", "failed"],
                rows: facts.searches.sorted { $0.key < $1.key }.map {
                    [date($0.key.day), $0.key.term.text, String($0.value.searches), String($0.value.failed)]
                }),
        ]
    }
}
