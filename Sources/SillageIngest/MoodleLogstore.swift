import SillageCore
import SillagePrivacy

/// Parses a CSV export of Moodle's `logstore_standard_log` table.
///
/// Columns are found by name from the header. Records flagged `anonymous` are never
/// attributed; actions of someone "logged in as" the learner (`realuserid`) are not the
/// learner's; records from `cli` or `restore` are not activity. Completion and enrolment
/// events concern `relateduserid`. `other` is read (JSON or PHP-serialised) for the
/// completion state and search terms only. The IP address and free text never leave.
public struct MoodleLogstoreParser: ChunkParser {
    public static let userNamespace = "moodle-userid"
    /// Moodle's site "course" (the front page, SITEID): not a course anyone enrols in.
    public static let siteCourseID: Int64 = 1

    struct Columns: Sendable {
        var eventName: Int, userID: Int, timeCreated: Int
        var courseID: Int?, contextInstanceID: Int?, contextLevel: Int?, relatedUserID: Int?
        var anonymous: Int?, other: Int?, origin: Int?, realUserID: Int?
    }

    let columns: Columns
    let delimiter: UInt8
    let stream: UInt8
    let zone: ZoneRules
    /// Local days to read (`--since`/`--until`); events outside are skipped.
    public var window: DayWindow? = nil
    let users: Pseudonymiser.Prepared

    /// Prepares a file from its header; a missing required column is a configuration error.
    public init(
        header: CSVHeader, file: String, stream: UInt8, zone: ZoneRules, pseudonymiser: Pseudonymiser,
        identity: String? = nil
    ) throws(SillageError) {
        func required(_ name: String) throws(SillageError) -> Int {
            guard let i = header.index(name) else {
                throw SillageError.configuration(
                    "the Moodle logstore export has no \(name) column: \(header.shape(expected: ["eventname", "userid", "timecreated"]))",
                    at: file, hint: "export logstore_standard_log with its column names in the first row")
            }
            return i
        }
        columns = Columns(
            eventName: try required("eventname"), userID: try required("userid"), timeCreated: try required("timecreated"),
            courseID: header.index("courseid"), contextInstanceID: header.index("contextinstanceid"),
            contextLevel: header.index("contextlevel"), relatedUserID: header.index("relateduserid"),
            anonymous: header.index("anonymous"), other: header.index("other"), origin: header.index("origin"),
            realUserID: header.index("realuserid"))
        delimiter = header.delimiter
        self.stream = stream
        self.zone = zone
        users = pseudonymiser.prepare(identity ?? MoodleLogstoreParser.userNamespace)
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        var kinds = ByteKeyTable<EventKind>(capacity: 128)
        var tape = JSONTape()
        var value: [UInt8] = []
        var other: [UInt8] = []
        return ActivityChunk.parseCSV(
            chunk, zone: zone, stream: stream, window: window, delimiter: delimiter,
            minFields: max(columns.eventName, columns.userID, columns.timeCreated) + 1
        ) { out, reader, line, record in
            guard let seconds = reader.int(columns.timeCreated), seconds > 0, Timestamps.plausible.contains(seconds &* 1000) else {
                out.reject(.badTimestamp, line: line, bytes: record)
                return
            }
            let time = seconds * 1000
            let name = reader.raw(columns.eventName)
            guard name.count > 0 else {
                out.reject(.missingField, line: line, bytes: record)
                return
            }
            // The index first: `kinds.values[kinds.insert(...)]` would read the values before the insert.
            let kindIndex = kinds.insert(name) { EventMapping.moodleKind(String(decoding: name, as: UTF8.self)) }
            var kind = kinds.values[kindIndex]
            if let c = columns.anonymous, reader.int(c) == 1 {
                out.skip(.anonymous, time: time)
                return
            }
            if let c = columns.realUserID, !reader.isNull(c), reader.int(c) != 0 {
                out.skip(.loggedInAs, time: time)
                return
            }
            let isSystem =
                columns.origin.map { c -> Bool in
                    let origin = reader.raw(c)
                    return origin.elementsEqual("cli".utf8) || origin.elementsEqual("restore".utf8)
                } ?? false
            // Completion and enrolment events are about the related user. Made by someone
            // else (a teacher, cron), they are facts about the learner, not their activity.
            let aboutLearner = kind == .activityCompleted || kind == .courseCompleted || kind == .enrolled
            let doer = reader.int(columns.userID) ?? 0
            var user = doer
            if aboutLearner, let c = columns.relatedUserID, let related = reader.int(c), related > 0 {
                user = related
            }
            let isFact = aboutLearner && (isSystem || doer != user)
            if isSystem && !aboutLearner {
                out.skip(.systemOrigin, time: time)
                return
            }
            guard user > 0 else {
                out.skip(.unauthenticated, time: time)
                return
            }
            // `other`, with the CSV's doubled quotes undone, for the events that need it.
            other.removeAll(keepingCapacity: true)
            if kind == .activityCompleted || kind == .search, let c = columns.other { reader.append(c, to: &other) }
            if kind == .activityCompleted {
                value.removeAll(keepingCapacity: true)
                let found = other.withUnsafeBytes { MoodleOther.value($0, "completionstate", tape: &tape, into: &value) }
                let state: Int64? = found ? Int64(String(decoding: value, as: UTF8.self)) : nil
                // 1 = complete, 2 = complete with a pass; 0 and 3 (fail) are not completions.
                if state != 1 && state != 2 { kind = .other }
            }
            let actor = withDecimalBytes(user) { out.actor(users, tag: 1, $0) }
            var course: UInt32 = 0
            if let c = columns.courseID, let id = reader.int(c), id > 0, id != MoodleLogstoreParser.siteCourseID {
                course = withDecimalBytes(id) { out.gate.key($0) }
            }
            var object: UInt32 = 0
            if kind == .search {
                value.removeAll(keepingCapacity: true)
                let found = other.withUnsafeBytes { raw in
                    MoodleOther.value(raw, "q", tape: &tape, into: &value) || MoodleOther.value(raw, "searchterm", tape: &tape, into: &value)
                }
                if found { object = value.withUnsafeBytes { out.gate.searchTerm($0) } }
            } else if let level = columns.contextLevel.flatMap({ reader.int($0) }), level == 70,
                let cm = columns.contextInstanceID.flatMap({ reader.int($0) }), cm > 0
            {
                object = out.gate.moodleModule(cm)
            }
            if kind == .courseView && object == 0 { object = course }
            out.emit(time: time, actor: actor, kind: kind, course: course, object: object, isFact: isFact && kind != .other)
        }
    }
}
