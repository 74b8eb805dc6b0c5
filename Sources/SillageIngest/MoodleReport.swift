import SillageCore
import SillagePrivacy

/// Parses the CSV download of Moodle's "Logs" report.
///
/// Columns (English or French headers): Time, User full name, Affected user, Event context,
/// Component, Event name, Description, Origin, IP address; a leading index column (as pandas
/// writes) is ignored. Times are local, with or without seconds, read in the pipeline time
/// zone. The learner is the user id the Description names (`The user with id '58' …`; for
/// completion and enrolment events, the user concerned); names are dropped at the parser and
/// the Description is read for ids only, never kept.
public struct MoodleReportParser: ChunkParser {
    public static let nameNamespace = "moodle-fullname"

    struct Columns: Sendable {
        var time: Int, eventName: Int, description: Int
        var fullName: Int?, affectedUser: Int?, origin: Int?
    }

    let columns: Columns
    let delimiter: UInt8
    let stream: UInt8
    let zone: ZoneRules
    /// Local days to read (`--since`/`--until`); events outside are skipped.
    public var window: DayWindow? = nil
    let users: Pseudonymiser.Prepared
    let names: Pseudonymiser.Prepared

    public init(
        header: CSVHeader, file: String, stream: UInt8, zone: ZoneRules, pseudonymiser: Pseudonymiser,
        identity: String? = nil
    ) throws(SillageError) {
        func required(_ names: String...) throws(SillageError) -> Int {
            for name in names { if let i = header.index(name) { return i } }
            throw SillageError.configuration(
                "the Moodle Logs report has no \(names[0]) column: \(header.shape(expected: ["Time", "User full name", "Event name"]))",
                at: file, hint: "download the Logs report as CSV with its header row")
        }
        columns = Columns(
            time: try required("Time", "Heure", "Date"),
            eventName: try required("Event name", "Nom de l'événement", "Nom de l’événement"),
            description: try required("Description"),
            fullName: header.index("User full name", "Nom complet de l'utilisateur", "Nom complet de l’utilisateur"),
            affectedUser: header.index("Affected user", "Utilisateur concerné"),
            origin: header.index("Origin", "Origine"))
        delimiter = header.delimiter
        self.stream = stream
        self.zone = zone
        users = pseudonymiser.prepare(identity ?? MoodleLogstoreParser.userNamespace)
        names = pseudonymiser.prepare(MoodleReportParser.nameNamespace)
    }

    /// Reads `23/01/23, 12:09`, `23/01/2023 12:09:05` or `2023-01-23 12:09[:05]` as local seconds.
    static func localSeconds(_ b: UnsafeRawBufferPointer) -> Int64? {
        var numbers: [Int] = []
        var digitsOf: [Int] = []
        var current = -1
        var width = 0
        for c in b {
            if c >= 48 && c <= 57 {
                current = (current < 0 ? 0 : current) * 10 + Int(c - 48)
                width += 1
                if width > 4 { return nil }
            } else if current >= 0 {
                numbers.append(current)
                digitsOf.append(width)
                current = -1
                width = 0
            }
            if numbers.count > 6 { return nil }
        }
        if current >= 0 { numbers.append(current); digitsOf.append(width) }
        guard numbers.count == 5 || numbers.count == 6 else { return nil }
        var y: Int, m: Int, d: Int
        if digitsOf[0] == 4 {
            (y, m, d) = (numbers[0], numbers[1], numbers[2])
        } else {
            (d, m, y) = (numbers[0], numbers[1], numbers[2])
            if digitsOf[2] <= 2 { y += 2000 }
        }
        let h = numbers[3], mi = numbers[4], s = numbers.count == 6 ? numbers[5] : 0
        guard (1...12).contains(m), d >= 1, d <= CivilTime.daysInMonth(year: y, month: m), h < 24, mi < 60, s < 61, y >= 1970 else { return nil }
        return Int64(CivilTime.days(year: y, month: m, day: d)) * 86400 + Int64(h * 3600 + mi * 60 + s)
    }

    /// The ids a Description names, by the words before `id '…'`: "user with id", "course with
    /// id", "course module id" / "course module with id".
    static func describedIDs(_ b: UnsafeRawBufferPointer) -> (users: [Int64], course: Int64?, module: Int64?) {
        var users: [Int64] = []
        var course: Int64? = nil
        var module: Int64? = nil
        let n = b.count
        var i = 0
        // Scan for ` id '` without building strings per record.
        while i + 5 <= n {
            guard b[i] == 0x20, b[i + 1] == UInt8(ascii: "i"), b[i + 2] == UInt8(ascii: "d"), b[i + 3] == 0x20, b[i + 4] == 0x27 else {
                i += 1
                continue
            }
            var j = i + 5
            var value: Int64 = 0
            var digits = 0
            while j < n, b[j] >= 48, b[j] <= 57, digits < 18 { value = value * 10 + Int64(b[j] - 48); j += 1; digits += 1 }
            if digits > 0 {
                var end = i
                if end >= 5, endsWith(b, end, " with") { end -= 5 }
                if endsWith(b, end, "course module") || endsWith(b, end, "module") {
                    module = module ?? value
                } else if endsWith(b, end, "user") {
                    users.append(value)
                } else if endsWith(b, end, "course") {
                    course = course ?? value
                }
            }
            i = j
        }
        return (users, course, module)
    }

    /// True when the bytes before `end` are `suffix`, ignoring case.
    private static func endsWith(_ b: UnsafeRawBufferPointer, _ end: Int, _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard end >= count else { return false }
        let s = suffix.utf8Start
        for k in 0..<count where (b[end - count + k] | 0x20) != (s[k] | 0x20) { return false }
        return true
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        var kinds = ByteKeyTable<EventKind>(capacity: 64)
        var scratch: [UInt8] = []
        var name: [UInt8] = []
        return ActivityChunk.parseCSV(
            chunk, zone: zone, stream: stream, window: window, delimiter: delimiter,
            minFields: max(columns.time, columns.eventName, columns.description) + 1
        ) { out, reader, line, record in
            guard let local = MoodleReportParser.localSeconds(reader.raw(columns.time)) else {
                out.reject(.badTimestamp, line: line, bytes: record)
                return
            }
            let time = zone.utcSeconds(fromLocalSeconds: local) * 1000
            name.removeAll(keepingCapacity: true)
            reader.append(columns.eventName, to: &name)
            guard !name.isEmpty else {
                out.reject(.missingField, line: line, bytes: record)
                return
            }
            let kindIndex = name.withUnsafeBytes { raw in
                kinds.insert(raw) { EventMapping.moodleReportKind(String(decoding: raw, as: UTF8.self)) }
            }
            let kind = kinds.values[kindIndex]
            let isSystem =
                columns.origin.map { c -> Bool in
                    let origin = reader.raw(c)
                    return origin.elementsEqual("cli".utf8) || origin.elementsEqual("restore".utf8)
                } ?? false
            // Names are dropped here, but the PII guard must know them.
            for c in [columns.fullName, columns.affectedUser].compactMap({ $0 }) where !reader.isNull(c) {
                scratch.removeAll(keepingCapacity: true)
                reader.append(c, to: &scratch)
                if scratch != [UInt8(ascii: "-")] { scratch.withUnsafeBytes { out.noteName($0) } }
            }
            let ids = MoodleReportParser.describedIDs(reader.raw(columns.description))
            let subjectIsRelated = kind == .activityCompleted || kind == .courseCompleted || kind == .enrolled
            if isSystem && !subjectIsRelated {
                out.skip(.systemOrigin, time: time)
                return
            }
            let user = subjectIsRelated ? ids.users.last : ids.users.first
            // Made by someone else (a teacher, cron): a fact about the learner, not their activity.
            let isFact = subjectIsRelated && (isSystem || (ids.users.first != nil && ids.users.first != user))
            var actor: ActorKey? = nil
            if let user {
                if user > 0 { actor = withDecimalBytes(user) { out.actor(users, tag: 1, $0) } }
            } else if let c = columns.fullName, !reader.isNull(c) {
                scratch.removeAll(keepingCapacity: true)
                reader.append(c, to: &scratch)
                IdentifierForm.fullName(&scratch)
                actor = scratch.withUnsafeBytes { out.actor(names, tag: 2, $0) }
            }
            guard let actor else {
                out.skip(.unauthenticated, time: time)
                return
            }
            let course = ids.course.flatMap { id in id == MoodleLogstoreParser.siteCourseID ? nil : withDecimalBytes(id) { out.gate.key($0) } } ?? 0
            var object: UInt32 = 0
            if let module = ids.module {
                object = out.gate.moodleModule(module)
            } else if kind == .courseView {
                object = course
            }
            out.emit(time: time, actor: actor, kind: kind, course: course, object: object, isFact: isFact)
        }
    }
}
