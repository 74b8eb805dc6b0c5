/// A declared recipient of exports: who receives data, and how much privacy budget they may use.
///
/// Exports name a recipient; its name is the export's directory and, with the period, keys
/// the pseudonyms that recipient sees (`RecipientPseudonyms`).
public struct RecipientDefinition: Sendable, Equatable {
    public var name: String
    public var description = ""
    /// Total ε this recipient may receive across all its differentially private releases
    /// (kept in the store); nil: the recipient gets no differentially private table.
    public var epsilonBudget: Double? = nil

    public init(name: String, description: String = "", epsilonBudget: Double? = nil) {
        self.name = name
        self.description = description
        self.epsilonBudget = epsilonBudget
    }

    static func parse(_ r: JSONObjectReader) throws(SillageError) -> RecipientDefinition {
        let name = try r.requiredString("name")
        guard isSafeName(name) else {
            throw SillageError.configuration("a recipient name uses letters, digits, - and _", at: r.location("name"))
        }
        var d = RecipientDefinition(name: name)
        d.description = try r.string("description") ?? ""
        d.epsilonBudget = try r.double("epsilonBudget", in: 0...100)
        try r.finish()
        return d
    }
}

/// A column of the opt-in `sessions` microdata that can be generalised.
public enum MicrodataAttribute: String, Sendable, CaseIterable, Comparable {
    case start, duration, pages, device, stream

    public static func < (a: MicrodataAttribute, b: MicrodataAttribute) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The opt-in k-anonymous session microdata of an export (`sessions.csv.gz`).
public struct MicrodataDefinition: Sendable, Equatable {
    /// Columns an attacker may know from elsewhere: generalised together until every
    /// combination is shared by at least the export's `minCount` sessions.
    public var quasiIdentifiers: [MicrodataAttribute] = [.start, .pages, .device, .stream]
    /// The column whose diversity within each group is reported (l-diversity); never generalised.
    public var sensitive: MicrodataAttribute? = .duration
    /// Largest share of sessions that may be left out to reach k (the rest is generalised).
    public var maxSuppression = 0.05

    public init() {}

    static func parse(_ r: JSONObjectReader) throws(SillageError) -> MicrodataDefinition {
        var d = MicrodataDefinition()
        func attribute(_ text: String, at location: String) throws(SillageError) -> MicrodataAttribute {
            guard let a = MicrodataAttribute(rawValue: text) else {
                throw SillageError.configuration("unknown microdata column \"\(text)\"", at: location,
                                                 hint: "columns: \(MicrodataAttribute.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return a
        }
        if let names = try r.strings("quasiIdentifiers") {
            var list: [MicrodataAttribute] = []
            for (i, n) in names.enumerated() {
                let a = try attribute(n, at: "\(r.location("quasiIdentifiers"))[\(i)]")
                guard !list.contains(a) else {
                    throw SillageError.configuration("\"\(n)\" is listed twice", at: "\(r.location("quasiIdentifiers"))[\(i)]")
                }
                list.append(a)
            }
            d.quasiIdentifiers = list.sorted()
        }
        if r.has("sensitive") {
            if let s = try r.string("sensitive") {
                d.sensitive = try attribute(s, at: r.location("sensitive"))
            } else {
                d.sensitive = nil
            }
        }
        if let s = d.sensitive, d.quasiIdentifiers.contains(s) {
            throw SillageError.configuration("the sensitive column \"\(s.rawValue)\" cannot also be a quasi-identifier",
                                             at: r.location("sensitive"))
        }
        if let share = try r.double("maxSuppression", in: 0...0.5) { d.maxSuppression = share }
        try r.finish()
        return d
    }
}

/// Differential privacy for one table of an export: its ε and the bounds on what one person
/// may contribute (which set the noise scale).
public struct NoisyTableDefinition: Sendable, Equatable {
    public var table: String
    public var epsilon: Double
    /// Rows one person may count in; beyond, their contribution to further rows is dropped.
    public var maxRowsPerActor = 10
    /// What one person may add to one count cell (sessions, views); distinct-person counts add 1.
    public var maxPerCell = 5

    public init(table: String, epsilon: Double, maxRowsPerActor: Int = 10, maxPerCell: Int = 5) {
        self.table = table
        self.epsilon = epsilon
        self.maxRowsPerActor = maxRowsPerActor
        self.maxPerCell = maxPerCell
    }

    static func parse(_ r: JSONObjectReader, tables: [String]) throws(SillageError) -> NoisyTableDefinition {
        let table = try r.requiredString("table")
        guard tables.contains(table) else {
            throw SillageError.configuration("\"\(table)\" is not one of this export's tables", at: r.location("table"),
                                             hint: "the export publishes \(tables.joined(separator: ", "))")
        }
        guard let epsilon = try r.double("epsilon", in: 0.001...10) else {
            throw SillageError.configuration("missing required key (the ε spent on this table, e.g. 0.5)", at: r.location("epsilon"))
        }
        var d = NoisyTableDefinition(table: table, epsilon: epsilon)
        if let m = try r.int("maxRowsPerActor", in: 1...10_000) { d.maxRowsPerActor = Int(m) }
        if let c = try r.int("maxPerCell", in: 1...10_000) { d.maxPerCell = Int(c) }
        try r.finish()
        return d
    }
}
