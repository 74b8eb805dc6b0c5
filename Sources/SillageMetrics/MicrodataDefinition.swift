import SillageCore

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
    /// Adds the recipient's pseudonym, so a person's sessions link (`"linkable": true`); the
    /// file then protects people, not rows: any `m` of a person's sessions are shared by at
    /// least k people. Off by default: rows do not link.
    public var linkable = false
    /// The number of a person's sessions a reader is assumed to know (1 to 3).
    public var m = 3
    /// The k^m protection of a linkable file; off only in attack tests, to show what it stops.
    package var protectsLinks = true

    public init() {}

    package static func parse(_ r: JSONObjectReader) throws(SillageError) -> MicrodataDefinition {
        var d = MicrodataDefinition()
        func attribute(_ text: String, at location: String) throws(SillageError) -> MicrodataAttribute {
            guard let a = MicrodataAttribute(rawValue: text) else {
                throw SillageError.configuration(
                    "unknown microdata column \"\(text)\"", at: location,
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
            throw SillageError.configuration(
                "the sensitive column \"\(s.rawValue)\" cannot also be a quasi-identifier",
                at: r.location("sensitive"))
        }
        if let share = try r.double("maxSuppression", in: 0...0.5) { d.maxSuppression = share }
        if let linkable = try r.bool("linkable") { d.linkable = linkable }
        if let m = try r.int("m", in: 1...3) {
            guard d.linkable else {
                throw SillageError.configuration(
                    "m (the sessions of a person a reader knows) applies to linkable microdata only", at: r.location("m"),
                    hint: "add \"linkable\": true, or leave m out: rows of the default file do not link")
            }
            d.m = Int(m)
        }
        try r.finish()
        return d
    }
}
