import SillageCore
import SillagePrivacy
import SillageMetrics

/// What k-anonymisation did to the `sessions` microdata, for `privacy-report.json` and the codebook.
public struct MicrodataReport: Sendable {
    public var records: Int
    public var maxSuppression: Double
    /// The k asked for (the export's `minCount`), per group in sessions and in distinct learners.
    public var k: Int
    public var outcome: KAnonymity.Outcome
    /// Each quasi-identifier with the generalisation chosen for it.
    public var quasiIdentifiers: [(attribute: MicrodataAttribute, level: Int)]
    public var sensitive: MicrodataAttribute?

    public var recordsSuppressed: Int { outcome.recordsSuppressed }
}

/// `sessions`: opt-in pseudonymous session microdata, one row per session, k-anonymised.
///
/// Each column has a generalisation hierarchy (`SessionMicrodata.levels`); the declared
/// quasi-identifiers are generalised together by `KAnonymity`, the other columns are published
/// at their finest level. The learner column holds the recipient's pseudonym
/// (`RecipientPseudonyms`), never the store's.
public enum SessionMicrodata {
    public static let name = "sessions"

    /// What each level of each column publishes, finest first; the last is `*` (withheld).
    public static func levels(_ a: MicrodataAttribute) -> [String] {
        switch a {
        case .start:
            return [
                "local date and part of day (night 0-6 h, morning 6-12 h, afternoon 12-18 h, evening 18-24 h)",
                "local date", "ISO week", "month", "*",
            ]
        case .duration:
            return [
                "7 buckets (0 s, 1-59 s, 1-4, 5-14, 15-29, 30-59 min, 60 min or more)",
                "3 buckets (under 1 min, 1-14 min, 15 min or more)", "*",
            ]
        case .pages: return ["7 buckets (0, 1, 2-3, 4-7, 8-15, 16-31, 32 or more)", "3 buckets (0-1, 2-7, 8 or more)", "*"]
        case .device: return ["client class", "*"]
        case .stream: return ["stream", "*"]
        }
    }

    static let durations = BucketScale([
        ("0 s", 0), ("1-59 s", 1), ("1-4 min", 60), ("5-14 min", 300), ("15-29 min", 900),
        ("30-59 min", 1800), ("60 min or more", 3600),
    ])
    static let durationCoarse = ["under 1 min", "1-14 min", "15 min or more"]
    static let pages = BucketScale([("0", 0), ("1", 1), ("2-3", 2), ("4-7", 4), ("8-15", 8), ("16-31", 16), ("32 or more", 32)])
    static let pageCoarse = ["0-1", "2-7", "8 or more"]
    static let partsOfDay = ["night", "morning", "afternoon", "evening"]
    /// Fine bucket → coarse bucket, for duration and pages alike.
    static let coarse: [Int] = [0, 0, 1, 1, 2, 2, 2]

    struct Context {
        var zone: ZoneRules
        var streams: [String]
    }

    static func partOfDay(_ s: Session, _ zone: ZoneRules) -> Int {
        let seconds = s.start / 1000
        let local = seconds + Int64(zone.offset(atUTCSeconds: seconds))
        return Int(((local % 86400) + 86400) % 86400 / 21600)
    }

    /// The code of a session's value at a level (equal codes ⇔ equal published text).
    static func code(_ a: MicrodataAttribute, _ s: Session, level: Int, _ c: Context) -> Int32 {
        let top = levels(a).count - 1
        if level == top { return 0 }
        switch a {
        case .start:
            let day = Int(s.day)
            switch level {
            case 0: return Int32(day * 4 + partOfDay(s, c.zone))
            case 1: return Int32(day)
            case 2: return Int32(CivilTime.mondayOfWeek(days: day))
            default: return Int32(CivilTime.monthIndex(days: day))
            }
        case .duration:
            let b = durations.index(of: s.durationSeconds)
            return Int32(level == 0 ? b : coarse[b])
        case .pages:
            let b = pages.index(of: Int64(s.pages))
            return Int32(level == 0 ? b : coarse[b])
        case .device: return Int32(s.agentClass.rawValue)
        case .stream: return Int32(c.streams.firstIndex(of: s.stream) ?? 0)
        }
    }

    /// The published text of a session's value at a level.
    static func label(_ a: MicrodataAttribute, _ s: Session, level: Int, _ c: Context) -> String {
        let top = levels(a).count - 1
        if level == top { return "*" }
        switch a {
        case .start:
            let day = Int(s.day)
            switch level {
            case 0: return "\(CivilTime.isoDate(days: day)) \(partsOfDay[partOfDay(s, c.zone)])"
            case 1: return CivilTime.isoDate(days: day)
            case 2: return CivilTime.isoWeek(days: day)
            default: return CivilTime.isoMonth(days: day)
            }
        case .duration:
            let b = durations.index(of: s.durationSeconds)
            return level == 0 ? durations.buckets[b].label : durationCoarse[coarse[b]]
        case .pages:
            let b = pages.index(of: Int64(s.pages))
            return level == 0 ? pages.buckets[b].label : pageCoarse[coarse[b]]
        case .device: return s.agentClass.name
        case .stream: return s.stream
        }
    }

    /// Builds the k-anonymised table of `sessions` for one recipient and period.
    public static func build(
        sessions: [Session], zone: ZoneRules, definition: MicrodataDefinition, k: Int,
        pseudonyms: RecipientPseudonyms
    ) -> (Table, MicrodataReport) {
        let context = Context(zone: zone, streams: Array(Set(sessions.map(\.stream))).sorted())
        var personIndex: [ActorKey: Int32] = [:]
        let people = sessions.map { s -> Int32 in
            if let i = personIndex[s.actor] { return i }
            let i = Int32(personIndex.count)
            personIndex[s.actor] = i
            return i
        }
        let qis = definition.quasiIdentifiers
        let hierarchies = qis.map { a in
            KAnonymity.Hierarchy(
                codes: levels(a).indices.map { level in
                    sessions.map { code(a, $0, level: level, context) }
                })
        }
        let sensitive = definition.sensitive.map { a in sessions.map { code(a, $0, level: 0, context) } }
        let allowed = Int((definition.maxSuppression * Double(sessions.count)).rounded(.down))
        let outcome = KAnonymity(k: k, maxSuppressed: allowed).anonymise(hierarchies: hierarchies, people: people, sensitive: sensitive)

        var table = Table(
            name: name, title: "Sessions (k-anonymised microdata)",
            description:
                "One row per session, pseudonymous and generalised so that every combination of the quasi-identifiers (\(qis.map(\.rawValue).joined(separator: ", "))) is shared by at least \(k) sessions of at least \(k) distinct learners.",
            columns: [
                Column(
                    "learner", .string, "The learner's pseudonym for this recipient and period (not linkable to any other recipient's or period's)."),
                Column(
                    "start", .string,
                    "When the session started, generalised: local date and part of day, date, ISO week, month, or * (see privacy-report.json)."),
                Column("duration", .string, "Last event minus first, as a bucket (or *)."),
                Column("pages", .string, "Pages or course views in the session, as a bucket (or *)."),
                Column("device", .string, "Client class of the session's first event (or *)."),
                Column("stream", .string, "Input stream (or *)."),
            ],
            primaryKey: [])
        table.columns[0].isPseudonym = true
        let levelOf = MicrodataAttribute.allCases.map { a in qis.firstIndex(of: a).map { outcome.levels[$0] } ?? 0 }
        var published: [ActorKey: String] = [:]
        var kept: [(codes: [Int32], learner: String, session: Int)] = []
        for (i, s) in sessions.enumerated() where outcome.kept[i] {
            let learner = published[s.actor] ?? pseudonyms.pseudonym(s.actor)
            published[s.actor] = learner
            let codes = MicrodataAttribute.allCases.enumerated().map { code($0.element, s, level: levelOf[$0.offset], context) }
            kept.append((codes, learner, i))
        }
        // Sorted on the published values (their codes order them as the values do within a
        // column), then the pseudonym: the order of rows says nothing about the store.
        kept.sort { a, b in
            a.codes != b.codes ? a.codes.lexicographicallyPrecedes(b.codes) : a.learner < b.learner
        }
        let rows = kept.map { k in
            [k.learner] + MicrodataAttribute.allCases.enumerated().map { label($0.element, sessions[k.session], level: levelOf[$0.offset], context) }
        }
        for row in rows { table.append(row.map { .text($0) }, actors: 0) }
        let report = MicrodataReport(
            records: sessions.count, maxSuppression: definition.maxSuppression, k: k, outcome: outcome,
            quasiIdentifiers: qis.enumerated().map { ($0.element, outcome.levels[$0.offset]) },
            sensitive: definition.sensitive)
        return (table, report)
    }
}
