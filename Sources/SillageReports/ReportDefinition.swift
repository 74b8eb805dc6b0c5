import SillageCore

/// A report the pipeline declares under `reports`, which every `run` refreshes, or one that
/// `sillage report …` asks for.
public struct ReportDefinition: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case completion, organisation, server
    }

    /// Who reads the report: the platform's own teams (`team`, exact figures), an
    /// organisation about its own learners (`organisation`, exact), or anyone (`public`:
    /// the figures go through the export's disclosure control).
    public enum Audience: String, Sendable, CaseIterable {
        case team, organisation, `public`
    }

    public var kind: Kind
    public var settings = ReportSettings()
    public var audience = Audience.team
    /// The directory the files go to (nil: `<output>/reports`).
    public var directory: String? = nil
    /// One course only (completion).
    public var course: String? = nil
    /// The organisation whose learners the report is about (organisation).
    public var organisation: String? = nil
    /// The organisation's own list of learners (`NS:ID[,label]` per line), read when the
    /// report is made and never stored.
    public var learners: String? = nil
    /// The local day of a server report (nil: every completed day the store holds).
    public var day: Int32? = nil
    /// A public report's smallest published group, as an export's `minCount`.
    public var minCount = 11

    public init(kind: Kind) {
        self.kind = kind
        if kind == .organisation { audience = .organisation }
    }

    package static func parse(_ r: JSONObjectReader) throws(SillageError) -> ReportDefinition {
        let type = try r.requiredString("type")
        var d = try ReportDefinition(named: type, at: r.location("type"), usage: false)
        for key in ["lang", "csv", "audience", "out", "course", "organisation", "learners", "day"] {
            if let value = try r.string(key) { try d.set(key, value, at: r.location(key), usage: false) }
        }
        if let days = try r.int("atRiskDays", in: 1...365) { d.settings.atRiskDays = Int(days) }
        if let k = try r.int("minCount", in: 1...1_000_000) { d.minCount = Int(k) }
        try d.check(at: r.location("type"), usage: false)
        try r.finish()
        return d
    }

    /// A report asked for on the command line: `values` by option name without its dashes
    /// (`lang`, `csv`, `audience`, `out`, `course`, `organisation`, `learners`,
    /// `at-risk-days`, `min-count`); errors are usage errors naming the option.
    public static func command(_ kind: String, values: [String: String]) throws(SillageError) -> ReportDefinition {
        var d = try ReportDefinition(named: kind, at: "sillage report", usage: true)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "at-risk-days", "min-count":
                guard let n = Int(value), n >= 1, n <= (key == "at-risk-days" ? 365 : 1_000_000) else {
                    throw SillageError.usage("--\(key) is a whole number of at least 1, not \"\(value)\"")
                }
                if key == "at-risk-days" { d.settings.atRiskDays = n } else { d.minCount = n }
            default: try d.set(key, value, at: "--" + key, usage: true)
            }
        }
        try d.check(at: "sillage report \(kind)", usage: true)
        return d
    }

    init(named type: String, at location: String, usage: Bool) throws(SillageError) {
        guard let kind = Kind(rawValue: type) else {
            let message = "unknown report type \"\(type)\"", hint = "report types: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))"
            throw usage ? SillageError.usage(message, hint: hint) : SillageError.configuration(message, at: location, hint: hint)
        }
        self.init(kind: kind)
    }

    mutating func set(_ key: String, _ value: String, at location: String, usage: Bool) throws(SillageError) {
        func refuse(_ allowed: [String]) -> SillageError {
            let message = "\(usage ? "--" : "")\(key) is \(allowed.joined(separator: " or ")), not \"\(value)\""
            return usage ? SillageError.usage(message) : SillageError.configuration(message, at: location)
        }
        switch key {
        case "lang":
            guard let l = ReportLanguage(rawValue: value) else { throw refuse(ReportLanguage.allCases.map(\.rawValue)) }
            settings.language = l
        case "csv":
            guard let dialect = ReportCSV.Dialect(rawValue: value) else { throw refuse(ReportCSV.Dialect.allCases.map(\.rawValue)) }
            settings.dialect = dialect
        case "audience":
            guard let a = Audience(rawValue: value) else { throw refuse(Audience.allCases.map(\.rawValue)) }
            audience = a
        case "out": directory = value
        case "course": course = value
        case "organisation": organisation = value
        case "learners": learners = value
        case "day":
            guard let d = CivilTime.parseISODate(value) else {
                let message = "\(usage ? "--" : "")day is a date YYYY-MM-DD, not \"\(value)\""
                throw usage ? SillageError.usage(message) : SillageError.configuration(message, at: location)
            }
            day = Int32(d)
        default: throw SillageError.usage("unknown report option --\(key)")
        }
    }

    /// Refuses what the kind does not allow; `location` names the report.
    func check(at location: String, usage: Bool) throws(SillageError) {
        func refuse(_ message: String, hint: String? = nil) -> SillageError {
            usage ? SillageError.usage(message, hint: hint) : SillageError.configuration(message, at: location, hint: hint)
        }
        if kind == .organisation && organisation == nil {
            throw refuse("an organisation report names its organisation", hint: usage ? "--organisation ORG" : "add \"organisation\": \"ORG\"")
        }
        if kind != .server && day != nil { throw refuse("only a server report takes a day") }
        if kind != .organisation && (organisation != nil || learners != nil) {
            throw refuse("only an organisation report takes an organisation or a list of learners")
        }
        if kind == .organisation && audience == .public {
            throw refuse(
                "an organisation report shows learner rows and cannot be public", hint: "use a public completion report for figures anyone may read")
        }
    }

    /// The settings the report is written with: exact figures unless it is public.
    public var writing: ReportSettings {
        var s = settings
        s.exact = audience != .public
        return s
    }
}
