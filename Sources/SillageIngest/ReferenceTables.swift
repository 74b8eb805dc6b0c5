import SillageCore
import SillagePrivacy

/// Parses the reference CSVs that complete the activity logs (SPEC §5).
///
/// - `moodle-course-completions`: Moodle's `course_completions` table; `timeenrolled` and
///   `timecompleted` become enrolment and completion facts.
/// - `enrolments`: learner, course and enrolment time (seconds since 1970 or an ISO date).
/// - `course-catalogue`: course (or activity) keys with their names, and for activities
///   their course and position, so that reports can name them and order funnels.
/// - `organisations`: learner → organisation (the organisation that enrolled them).
///
/// Facts never count as activity (no sessions, no connection days). Learner ids are keyed
/// at once; names in the catalogue are course and activity titles, not people.
public struct ReferenceTableParser: ChunkParser {
    public enum Kind: String, Sendable, CaseIterable {
        case courseCompletions = "moodle-course-completions"
        case enrolments
        case catalogue = "course-catalogue"
        case organisations
    }

    struct Columns: Sendable {
        var user: Int?, course: Int?, enrolled: Int?, completed: Int?
        var key: Int?, name: Int?, position: Int?, organisation: Int?
    }

    let kind: Kind
    let columns: Columns
    let delimiter: UInt8
    let stream: UInt8
    let zone: ZoneRules
    /// Local days to read (`--since`/`--until`); events outside are skipped.
    public var window: DayWindow? = nil
    let users: Pseudonymiser.Prepared

    public init(
        kind: Kind, header: CSVHeader, file: String, stream: UInt8, zone: ZoneRules, pseudonymiser: Pseudonymiser,
        identity: String? = nil
    ) throws(SillageError) {
        func need(_ index: Int?, _ what: String) throws(SillageError) -> Int {
            guard let index else {
                throw SillageError.configuration(
                    "the \(kind.rawValue) table has no \(what) column: \(header.shape(expected: [what]))",
                    at: file)
            }
            return index
        }
        var c = Columns()
        switch kind {
        case .courseCompletions:
            c.user = try need(header.index("userid"), "userid")
            c.course = try need(header.index("course", "courseid"), "course")
            c.enrolled = header.index("timeenrolled")
            c.completed = try need(header.index("timecompleted"), "timecompleted")
        case .enrolments:
            c.user = try need(header.index("userid", "user_id", "user", "learner"), "userid")
            c.course = try need(header.index("courseid", "course_id", "course"), "courseid")
            c.enrolled = try need(header.index("timestart", "timeenrolled", "timecreated", "enrolled_at", "time", "date"), "time")
        case .catalogue:
            c.key = try need(header.index("key", "id", "courseid", "course_id", "cmid", "activity"), "key")
            c.name = try need(header.index("name", "fullname", "title"), "name")
            c.course = header.index("course", "course_key", "parent")
            c.position = header.index("position", "sortorder", "rank")
        case .organisations:
            c.user = try need(header.index("userid", "user_id", "user", "learner"), "userid")
            c.organisation = try need(header.index("organisation", "organization", "org", "company", "institution"), "organisation")
        }
        self.kind = kind
        columns = c
        delimiter = header.delimiter
        self.stream = stream
        self.zone = zone
        users = pseudonymiser.prepare(identity ?? MoodleLogstoreParser.userNamespace)
    }

    /// Seconds since 1970, or an ISO date / date-time read in the pipeline zone, as UTC ms.
    func time(_ raw: UnsafeRawBufferPointer) -> Int64? {
        if raw.count > 0, raw.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            guard let v = Timestamps.epochMillis(raw), v > 0 else { return nil }
            let millis = raw.count <= 11 ? v * 1000 : v
            return Timestamps.plausible.contains(millis) ? millis : nil
        }
        if raw.count == 10, let day = CivilTime.parseISODate(String(decoding: raw, as: UTF8.self)) {
            return zone.startOfLocalDay(day) * 1000
        }
        if let t = Timestamps.iso8601(raw) {
            return t.hasOffset ? t.millis : zone.utcSeconds(fromLocalSeconds: t.millis / 1000) * 1000
        }
        return nil
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        var scratch: [UInt8] = []
        return ActivityChunk.parseCSV(chunk, zone: zone, stream: stream, window: window, delimiter: delimiter, minFields: 1) {
            out, reader, line, record in
            switch kind {
            case .catalogue:
                guard let k = columns.key, let n = columns.name, !reader.isNull(k), !reader.isNull(n) else {
                    out.reject(.missingField, line: line, bytes: record)
                    return
                }
                scratch.removeAll(keepingCapacity: true)
                reader.append(k, to: &scratch)
                var key = String(decoding: scratch, as: UTF8.self)
                // A bare Moodle course-module id in an activity row becomes its canonical key.
                let course = columns.course.map { reader.string($0) } ?? ""
                if !course.isEmpty, key.allSatisfy(\.isNumber) { key = "cm:" + key }
                out.result.references.append(
                    .catalogue(
                        key: PublishableGate.reference(key), course: PublishableGate.reference(course),
                        name: PublishableGate.reference(reader.string(n)),
                        position: columns.position.flatMap { reader.int($0) }.map(Int.init)))
            case .organisations:
                guard let u = columns.user, let o = columns.organisation, let id = reader.int(u), id > 0, !reader.isNull(o) else {
                    out.reject(.missingField, line: line, bytes: record)
                    return
                }
                let actor = withDecimalBytes(id) { out.actor(users, tag: 1, $0) }
                out.result.references.append(.membership(actor: actor, organisation: PublishableGate.reference(reader.string(o))))
            case .courseCompletions, .enrolments:
                guard let u = columns.user, let c = columns.course, let id = reader.int(u), id > 0, !reader.isNull(c) else {
                    out.reject(.missingField, line: line, bytes: record)
                    return
                }
                let actor = withDecimalBytes(id) { out.actor(users, tag: 1, $0) }
                let course = out.gate.key(reader.raw(c))
                var any = false
                if let e = columns.enrolled, !reader.isNull(e), reader.raw(e).count > 0, !(reader.raw(e).count == 1 && reader.raw(e)[0] == 48) {
                    guard let t = time(reader.raw(e)) else { out.reject(.badTimestamp, line: line, bytes: record); return }
                    out.emit(time: t, actor: actor, kind: .enrolled, course: course, object: 0, isFact: true)
                    any = true
                }
                if let d = columns.completed, !reader.isNull(d), !(reader.raw(d).count == 1 && reader.raw(d)[0] == 48) {
                    guard let t = time(reader.raw(d)) else { out.reject(.badTimestamp, line: line, bytes: record); return }
                    out.emit(time: t, actor: actor, kind: .courseCompleted, course: course, object: 0, isFact: true)
                    any = true
                }
                if !any { out.skip(.blankLine, time: nil) }
            }
        }
    }
}
