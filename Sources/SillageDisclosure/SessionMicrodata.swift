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
    /// The file has a learner column, and protects any `m` of a person's sessions.
    public var linkable = false
    public var m: Int? = nil
    /// Share of learners a reader singles out knowing 1, 2 and 3 of their sessions as
    /// published (the rows of an unlinkable file do not combine, so the three are equal).
    public var singleOutRates: [Double] = [0, 0, 0]
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
                "7 buckets (0s, 1-59s, 1-4min, 5-14min, 15-29min, 30-59min, 1h+: the labels of session_lengths)",
                "3 buckets (0-59s, 1-14min, 15min+)", "*",
            ]
        case .pages: return ["7 buckets (0, 1, 2-3, 4-7, 8-15, 16-31, 32 or more)", "3 buckets (0-1, 2-7, 8 or more)", "*"]
        case .device: return ["client class", "*"]
        case .stream: return ["stream", "*"]
        }
    }

    // One spelling per bucket across tables: those of `session_lengths`.
    static let durations = BucketScale([
        ("0s", 0), ("1-59s", 1), ("1-4min", 60), ("5-14min", 300), ("15-29min", 900),
        ("30-59min", 1800), ("1h+", 3600),
    ])
    static let durationCoarse = ["0-59s", "1-14min", "15min+"]
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
        let people = denseIds(sessions.map(\.actor))
        let qis = definition.quasiIdentifiers
        let hierarchies = qis.map { a in
            KAnonymity.Hierarchy(
                codes: levels(a).indices.map { level in
                    sessions.map { code(a, $0, level: level, context) }
                })
        }
        let sensitive = definition.sensitive.map { a in sessions.map { code(a, $0, level: 0, context) } }
        let allowed = Int((definition.maxSuppression * Double(sessions.count)).rounded(.down))
        var outcome = KAnonymity(k: k, maxSuppressed: allowed).anonymise(hierarchies: hierarchies, people: people, sensitive: sensitive)
        var levelOf = MicrodataAttribute.allCases.map { a in qis.firstIndex(of: a).map { outcome.levels[$0] } ?? 0 }
        if definition.linkable && definition.protectsLinks {
            (levelOf, outcome) = linked(
                sessions, people: people, start: levelOf, k: k, m: definition.m, allowed: allowed, context: context)
        }
        var table = emptyTable(definition, k: k)
        var published: [ActorKey: String] = [:]
        var kept: [(codes: [Int32], learner: String, session: Int)] = []
        for (i, s) in sessions.enumerated() where outcome.kept[i] {
            var learner = ""
            if definition.linkable {
                learner = published[s.actor] ?? pseudonyms.pseudonym(s.actor)
                published[s.actor] = learner
            }
            let codes = MicrodataAttribute.allCases.enumerated().map { code($0.element, s, level: levelOf[$0.offset], context) }
            kept.append((codes, learner, i))
        }
        // Sorted on the published values (their codes order them as the values do within a
        // column), then the pseudonym: the order of rows says nothing about the store, nor,
        // without a learner column, about which rows are one person's.
        kept.sort { a, b in
            a.codes != b.codes ? a.codes.lexicographicallyPrecedes(b.codes) : a.learner < b.learner
        }
        for k in kept {
            let values = MicrodataAttribute.allCases.enumerated().map { label($0.element, sessions[k.session], level: levelOf[$0.offset], context) }
            table.append(((definition.linkable ? [k.learner] : []) + values).map { .text($0) }, actors: 0)
        }
        var report = MicrodataReport(
            records: sessions.count, maxSuppression: definition.maxSuppression, k: k, outcome: outcome,
            quasiIdentifiers: definition.linkable
                ? MicrodataAttribute.allCases.enumerated().map { ($0.element, levelOf[$0.offset]) }
                : qis.enumerated().map { ($0.element, outcome.levels[$0.offset]) },
            sensitive: definition.linkable ? nil : definition.sensitive)
        report.linkable = definition.linkable
        report.m = definition.linkable ? definition.m : nil
        report.singleOutRates = singleOut(kept.map(\.codes), people: kept.map { people[$0.session] }, linkable: definition.linkable)
        return (table, report)
    }

    /// The table's declaration; the learner column only in a linkable file.
    static func emptyTable(_ definition: MicrodataDefinition, k: Int) -> Table {
        let qis = definition.quasiIdentifiers
        let shared =
            definition.linkable
            ? "any \(definition.m) sessions of a learner, as published, are shared by at least \(k) learners (k^m-anonymity), and every row by at least \(k) sessions of \(k) learners"
            : "every combination of the quasi-identifiers (\(qis.map(\.rawValue).joined(separator: ", "))) is shared by at least \(k) sessions of at least \(k) distinct learners; rows carry no learner column, so a learner's sessions cannot be linked"
        var columns = [
            Column(
                "start", .string,
                "When the session started, generalised: local date and part of day, date, ISO week, month, or * (see privacy-report.json)."),
            Column("duration", .string, "Last event minus first, as a bucket (or *)."),
            Column("pages", .string, "Pages or course views in the session, as a bucket (or *)."),
            Column("device", .string, "Client class of the session's first event (or *)."),
            Column("stream", .string, "Input stream (or *)."),
        ]
        if definition.linkable {
            var learner = Column(
                "learner", .string, "The learner's pseudonym for this recipient and period (not linkable to any other recipient's or period's).")
            learner.isPseudonym = true
            columns.insert(learner, at: 0)
        }
        return Table(
            name: name, title: "Sessions (k-anonymised microdata)",
            description: "One row per session, pseudonymous and generalised so that \(shared).", columns: columns, primaryKey: [])
    }
}

extension SessionMicrodata {
    /// The levels of every column and the sessions kept for a linkable file: the first node
    /// at or above `start` (fewest levels raised, then in lattice order) where k^m-anonymity
    /// costs at most `allowed` suppressed sessions; the top node (every value `*`) otherwise.
    static func linked(
        _ sessions: [Session], people: [Int32], start: [Int], k: Int, m: Int, allowed: Int, context: Context
    ) -> ([Int], KAnonymity.Outcome) {
        let heights = MicrodataAttribute.allCases.map { levels($0).count }
        let nodes = KAnonymity.nodes(heights: heights).filter { zip($0, start).allSatisfy { $0 >= $1 } }
            .sorted { a, b in a.reduce(0, +) != b.reduce(0, +) ? a.reduce(0, +) < b.reduce(0, +) : a.lexicographicallyPrecedes(b) }
        let protection = LinkedSessions(k: k, m: m)
        var chosen: (levels: [Int], items: [Int32], kept: [Bool])? = nil
        for node in nodes {
            let items = itemIds(sessions, levels: node, context: context)
            let occurrences = Occurrences(items: items, people: people)
            guard let sets = occurrences.protect(with: protection) else { continue }
            let kept = occurrences.keptSessions(sets)
            if kept.filter({ !$0 }).count <= allowed || node == nodes.last {
                chosen = (node, items, kept)
                break
            }
        }
        let chosenLevels = chosen?.levels ?? heights.map { $0 - 1 }
        let kept = chosen?.kept ?? [Bool](repeating: false, count: sessions.count)
        return (chosenLevels, outcome(levels: chosenLevels, kept: kept, items: chosen?.items ?? [], people: people, allowed: allowed))
    }

    /// A person's sessions as items with their multiplicity: three sessions of one published
    /// row are (row, 1), (row, 2), (row, 3), so a reader who knows someone had three such
    /// sessions is protected against as one who knows three different ones.
    struct Occurrences {
        var items: [Int32]
        var people: [Int32]
        /// (row, occurrence) → dense id, and back.
        var ids: [UInt64: Int32] = [:]
        var pairs: [(row: Int32, occurrence: Int32)] = []
        var sets: [[Int32]] = []

        init(items: [Int32], people: [Int32]) {
            self.items = items
            self.people = people
            var seen: [UInt64: Int32] = [:]
            var sets = [[Int32]](repeating: [], count: Int(people.max() ?? -1) + 1)
            for (item, person) in zip(items, people) {
                let key = Occurrences.pack(person, item)
                let occurrence = (seen[key] ?? 0) + 1
                seen[key] = occurrence
                let pair = Occurrences.pack(item, occurrence)
                let id = ids[pair] ?? Int32(pairs.count)
                if ids[pair] == nil {
                    ids[pair] = id
                    pairs.append((item, occurrence))
                }
                sets[Int(person)].append(id)
            }
            self.sets = sets.map { $0.sorted() }
        }

        /// k^m over the occurrence items; a person keeps, of each row, its first occurrences
        /// only (the file shows how many there are, never which), so protection runs again
        /// until that holds.
        func protect(with protection: LinkedSessions) -> [[Int32]]? {
            var current = sets
            while true {
                guard let kept = protection.protect(current) else { return nil }
                let closed = kept.map(prefixClosed)
                if closed == kept { return kept }
                current = closed
            }
        }

        func prefixClosed(_ set: [Int32]) -> [Int32] {
            var present: [Int32: Set<Int32>] = [:]
            for id in set { present[pairs[Int(id)].row, default: []].insert(pairs[Int(id)].occurrence) }
            return set.filter { id in
                let (row, occurrence) = pairs[Int(id)]
                return (1..<occurrence).allSatisfy { present[row]?.contains($0) == true }
            }
        }

        /// Two ids as one dictionary key.
        static func pack(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

        /// Which sessions stay: per person and row, as many as the occurrences kept.
        func keptSessions(_ sets: [[Int32]]) -> [Bool] {
            var allowance: [UInt64: Int32] = [:]
            for (person, set) in sets.enumerated() {
                for id in set {
                    allowance[Occurrences.pack(Int32(person), pairs[Int(id)].row), default: 0] += 1
                }
            }
            return zip(items, people).map { item, person in
                let key = Occurrences.pack(person, item)
                guard let left = allowance[key], left > 0 else { return false }
                allowance[key] = left - 1
                return true
            }
        }
    }

    /// One dense id per session for its published row at `levels`.
    static func itemIds(_ sessions: [Session], levels: [Int], context: Context) -> [Int32] {
        denseIds(sessions.map { s in MicrodataAttribute.allCases.enumerated().map { code($0.element, s, level: levels[$0.offset], context) } })
    }

    /// 0, 1, 2… in order of first appearance: equal keys, equal ids.
    static func denseIds<Key: Hashable>(_ keys: [Key]) -> [Int32] {
        var ids: [Key: Int32] = [:]
        return keys.map { key in
            if let id = ids[key] { return id }
            let id = Int32(ids.count)
            ids[key] = id
            return id
        }
    }

    /// What the privacy report says of the kept rows, each published row a group.
    static func outcome(levels: [Int], kept: [Bool], items: [Int32], people: [Int32], allowed: Int) -> KAnonymity.Outcome {
        var records: [Int32: Int] = [:]
        var persons: [Int32: Set<Int32>] = [:]
        for i in kept.indices where kept[i] {
            records[items[i], default: 0] += 1
            persons[items[i], default: []].insert(people[i])
        }
        let suppressed = kept.filter { !$0 }.count
        let smallestPeople = persons.values.map(\.count).min()
        let keptCount = kept.count - suppressed
        let riskSum = kept.indices.filter { kept[$0] }.reduce(0.0) { $0 + 1 / Double(persons[items[$1]]?.count ?? 1) }
        return KAnonymity.Outcome(
            levels: levels, kept: kept, recordsSuppressed: suppressed, groups: records.count, smallestGroup: records.values.min(),
            smallestGroupPeople: smallestPeople, lDiversity: nil, feasible: suppressed <= allowed,
            maxRisk: smallestPeople.map { 1 / Double($0) } ?? 0, averageRisk: keptCount > 0 ? riskSum / Double(keptCount) : 0)
    }

    /// Share of the published learners a reader singles out knowing 1, 2, 3 of their sessions:
    /// from the published rows (`codes`) and, for a linkable file, the pseudonym that links
    /// them; without it a reader only matches rows one at a time.
    static func singleOut(_ codes: [[Int32]], people: [Int32], linkable: Bool) -> [Double] {
        let items = denseIds(codes)
        guard linkable else {
            var persons: [Int32: Set<Int32>] = [:]
            for (item, person) in zip(items, people) { persons[item, default: []].insert(person) }
            let learners = Set(people)
            let singled = Set(zip(items, people).filter { persons[$0.0]?.count == 1 }.map(\.1))
            let rate = learners.isEmpty ? 0 : Double(singled.count) / Double(learners.count)
            return [rate, rate, rate]
        }
        return LinkedSessions.singleOutRates(Occurrences(items: items, people: denseIds(people)).sets)
    }
}
