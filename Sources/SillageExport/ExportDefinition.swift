import SillageCore
import SillageMetrics
import SillageDisclosure

/// The period an export covers; it names the export's directory.
public enum ExportPeriod: Sendable, Equatable {
    case all
    case year(Int)
    case month(Int, Int)
    case days(Int, Int)

    /// Parses `all`, `2026`, `2026-03` or `2026-03-01..2026-03-31`.
    public static func parse(_ text: String) -> ExportPeriod? {
        if text == "all" { return .all }
        let b = Array(text.utf8)
        if b.count == 4, let y = Int(text), y >= 1970 { return .year(y) }
        if b.count == 7, b[4] == UInt8(ascii: "-"), let y = Int(text.prefix(4)), let m = Int(text.suffix(2)), (1...12).contains(m) {
            return .month(y, m)
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: true)
        if parts.count == 2, text.contains(".."), let a = CivilTime.parseISODate(String(parts[0])),
            let z = CivilTime.parseISODate(String(parts[1])), a <= z
        {
            return .days(a, z)
        }
        return nil
    }

    /// The local days covered, or nil for all.
    public var dayRange: ClosedRange<Int>? {
        switch self {
        case .all: return nil
        case .year(let y): return CivilTime.days(year: y, month: 1, day: 1)...CivilTime.days(year: y, month: 12, day: 31)
        case .month(let y, let m):
            return CivilTime.days(year: y, month: m, day: 1)...CivilTime.days(year: y, month: m, day: CivilTime.daysInMonth(year: y, month: m))
        case .days(let a, let z): return a...z
        }
    }

    public var directoryName: String {
        switch self {
        case .all: return "all"
        case .year(let y): return String(y)
        case .month(let y, let m): return "\(y)-\(m < 10 ? "0" : "")\(m)"
        case .days(let a, let z): return "\(CivilTime.isoDate(days: a))_\(CivilTime.isoDate(days: z))"
        }
    }
}

/// One export: a directory of tables for one recipient and period (SPEC §8).
public struct ExportDefinition: Sendable {
    public var name = "research"
    public var recipient = "default"
    /// The recipient's stable id (`RecipientDefinition.id`), which keys its pseudonyms, its
    /// noise and its ε ledger; nil: the name.
    public var recipientId: String? = nil
    /// What keys the recipient's pseudonyms, noise and budget: its id, or else its name.
    public var recipientKey: String { recipientId ?? recipient }
    public var period = ExportPeriod.all
    /// Minimum distinct actors behind a published cell (SPEC §6; French threshold 11).
    public var minCount = 11
    /// Largest share of a sum or duration cell one person may hold (SPEC §6: 85 %).
    public var dominance = 0.85
    /// Base published counts are rounded to (1: no rounding).
    public var roundTo = 1
    public var tables: [String] = TableRegistry.defaultTables
    /// The opt-in k-anonymous `sessions.csv.gz`; nil: not published.
    public var microdata: MicrodataDefinition? = nil
    /// Tables published with differential-privacy noise instead of exact counts.
    public var noisyTables: [NoisyTableDefinition] = []
    /// Cell-key perturbation of the counts (`"perturbation": "cell-key"`), with its table;
    /// nil: exact counts.
    public var perturbation: PerturbationTable? = .standard
    /// The release-level check (`ReleaseCheck`); off only in attack tests, to show what it stops.
    package var releaseCheck = true

    public init() {}

    /// The noise settings of `table`, if it is published with differential privacy.
    public func noise(for table: String) -> NoisyTableDefinition? {
        noisyTables.first { $0.table == table }
    }

    package static func parse(_ r: JSONObjectReader) throws(SillageError) -> ExportDefinition {
        var e = ExportDefinition()
        if let name = try r.string("name") {
            guard isSafeName(name) else {
                throw SillageError.configuration("an export name uses letters, digits, - and _", at: r.location("name"))
            }
            e.name = name
        }
        if let recipient = try r.string("recipient") {
            guard isSafeName(recipient) else {
                throw SillageError.configuration("a recipient name uses letters, digits, - and _", at: r.location("recipient"))
            }
            e.recipient = recipient
        }
        if let period = try r.string("period") {
            guard let p = ExportPeriod.parse(period) else {
                throw SillageError.configuration(
                    "a period is all, YYYY, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD, not \"\(period)\"",
                    at: r.location("period"))
            }
            e.period = p
        }
        if let minCount = try r.int("minCount", in: 1...1_000_000) { e.minCount = Int(minCount) }
        if let dominance = try r.double("dominance", in: 0.5...1) { e.dominance = dominance }
        if let base = try r.int("roundTo", in: 1...1000) { e.roundTo = Int(base) }
        if let tables = try r.strings("tables") {
            for (i, t) in tables.enumerated() where TableRegistry.tables[t] == nil {
                throw SillageError.configuration(
                    "unknown table \"\(t)\"", at: "\(r.location("tables"))[\(i)]",
                    hint: "known tables: \(TableRegistry.tableNames.joined(separator: ", "))")
            }
            e.tables = tables
        }
        if let method = try r.string("perturbation") {
            switch method {
            case "none": e.perturbation = nil
            case "cell-key": e.perturbation = .standard
            default:
                throw SillageError.configuration(
                    "perturbation is \"cell-key\" or \"none\", not \"\(method)\"", at: r.location("perturbation"))
            }
        }
        if let settings = try r.object("perturbationTable") {
            let d = try settings.int("maxDeviation", in: 1...10) ?? 2
            // Below 0.5 most counts would not move at all: the protection in name only.
            let v = try settings.double("variance", in: 0.5...10) ?? 1
            try settings.finish()
            do throws(SillageError) { e.perturbation = try PerturbationTable(maxDeviation: Int(d), variance: v) } catch {
                throw SillageError.configuration(error.message, at: r.location("perturbationTable"), hint: error.hint)
            }
        }
        if let microdata = try r.object("microdata") { e.microdata = try MicrodataDefinition.parse(microdata) }
        guard !e.tables.isEmpty || e.microdata != nil else {
            throw SillageError.configuration(
                "an export needs at least one table", at: r.location("tables"), hint: "or session microdata (\"microdata\": {})")
        }
        if let noisy = try r.objects("differentialPrivacy") {
            for (i, n) in noisy.enumerated() {
                let d = try NoisyTableDefinition.parse(n, tables: e.tables)
                guard e.noise(for: d.table) == nil else {
                    throw SillageError.configuration("\(d.table) has two noise settings", at: "\(r.location("differentialPrivacy"))[\(i)].table")
                }
                e.noisyTables.append(d)
            }
        }
        try r.finish()
        return e
    }
}

package func isSafeName(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.count <= 64
        && s.utf8.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95
        } && s.first != "-"
}

/// A declared recipient of exports: who receives data, and how much privacy budget they may use.
///
/// Exports name a recipient; its name is the export's directory and, with the period, keys
/// the pseudonyms that recipient sees (`RecipientPseudonyms`).
public struct RecipientDefinition: Sendable, Equatable {
    public var name: String
    /// What keys the recipient's pseudonyms, noise and ε ledger: declared once and kept when
    /// the recipient is renamed, so a new name is not a new budget; the name by default.
    public var id: String
    public var description = ""
    /// Total ε this recipient may receive across all its differentially private releases
    /// (kept in the store); nil: the recipient gets no differentially private table.
    public var epsilonBudget: Double? = nil

    public init(name: String, id: String? = nil, description: String = "", epsilonBudget: Double? = nil) {
        self.name = name
        self.id = id ?? name
        self.description = description
        self.epsilonBudget = epsilonBudget
    }

    package static func parse(_ r: JSONObjectReader) throws(SillageError) -> RecipientDefinition {
        let name = try r.requiredString("name")
        guard isSafeName(name) else {
            throw SillageError.configuration("a recipient name uses letters, digits, - and _", at: r.location("name"))
        }
        var d = RecipientDefinition(name: name)
        if let id = try r.string("id") {
            guard isSafeName(id) else {
                throw SillageError.configuration("a recipient id uses letters, digits, - and _", at: r.location("id"))
            }
            d.id = id
        }
        d.description = try r.string("description") ?? ""
        d.epsilonBudget = try r.double("epsilonBudget", in: 0...100)
        try r.finish()
        return d
    }
}
