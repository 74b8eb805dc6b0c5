import Foundation
import SillageCore
import SillageIngest
import SillageExport
import SillageReports
import SillageMetrics

/// A pipeline file: what to read, how to sessionise, what to export (README "Pipeline reference").
public struct PipelineDefinition: Sendable {
    public static let currentVersion: Int64 = 1

    public var version: Int64 = PipelineDefinition.currentVersion
    public var name = "default"
    /// IANA zone for days, weeks and months (SPEC §4).
    public var timezone = "Europe/Paris"
    public var keyFile = "var/sillage.key"
    /// Create the key on first run (with a notice) instead of failing.
    public var createKey = true
    public var store = "var/sillage.sqlite"
    public var output = "out"
    public var inputs: [InputDefinition] = []
    public var inactivityMinutes = 30
    /// Share of a file's records that may be rejected before the run fails with exit code 3.
    public var maxRejectRate = 0.05
    public var extraCrawlerTokens: [String] = []
    /// A crawler list file (`crawler-user-agents` JSON or Matomo `bots.yml`).
    public var crawlerList: String? = nil
    public var exports: [ExportDefinition] = [ExportDefinition()]
    /// Reports every run refreshes (`reports`); none by default.
    public var reports: [ReportDefinition] = []
    /// The fewest distinct people a path needs (in a batch) to be kept for the server
    /// report: the smallest `minCount` of its server reports, 11 without one.
    public var serverPathFloor: Int { reports.filter { $0.kind == .server }.map(\.minCount).min() ?? 11 }
    /// Who receives exports; without a `recipients` key, one recipient named `default`.
    public var recipients: [RecipientDefinition] = [RecipientDefinition(name: "default")]
    /// Total ε all recipients together may receive from this store (colluding recipients add
    /// up); nil: the largest recipient budget.
    public var storeEpsilonBudget: Double? = nil
    /// The store-wide ε cap in force.
    public var storeBudget: Double { storeEpsilonBudget ?? recipients.compactMap(\.epsilonBudget).max() ?? 0 }
    public var retention = RetentionPolicy()

    public init() {}

    /// Reads a pipeline file; every error names the file and the JSON path.
    ///
    /// Relative paths in the file (key, store, output, inputs) are resolved against the file's
    /// directory, so a run started from any working directory (cron, a service) reads and
    /// writes the same files (SPEC §5). Paths given on the command line stay relative to the
    /// working directory.
    public static func load(path: String) throws(SillageError) -> PipelineDefinition {
        let bytes = try readWholeFile(path, limit: 4 << 20)
        var pipeline = try parse(bytes, source: path)
        pipeline.resolvePaths(against: directoryName(of: path))
        return pipeline
    }

    /// Makes every relative path of the definition relative to `directory` instead.
    mutating func resolvePaths(against directory: String) {
        keyFile = PipelineDefinition.resolve(keyFile, against: directory)
        store = PipelineDefinition.resolve(store, against: directory)
        output = PipelineDefinition.resolve(output, against: directory)
        crawlerList = crawlerList.map { PipelineDefinition.resolve($0, against: directory) }
        for i in inputs.indices {
            inputs[i].paths = inputs[i].paths.map { PipelineDefinition.resolve($0, against: directory) }
        }
        for i in reports.indices {
            reports[i].directory = reports[i].directory.map { PipelineDefinition.resolve($0, against: directory) }
            reports[i].learners = reports[i].learners.map { PipelineDefinition.resolve($0, against: directory) }
        }
    }

    /// The directory part of `path` (`.` for a bare file name).
    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `path` joined to `directory` and made lexically simple (`Pipelines/../var` is `var`);
    /// absolute paths and `-` (standard input) are kept.
    static func resolve(_ path: String, against directory: String) -> String {
        guard !path.hasPrefix("/"), path != "-", directory != "." else { return path }
        var parts: [Substring] = []
        let absolute = directory.hasPrefix("/")
        for part in (directory + "/" + path).split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// Reads pipeline JSON text.
    public static func parse(_ bytes: [UInt8], source: String) throws(SillageError) -> PipelineDefinition {
        let root = try JSONObjectReader(try JSONParser.parse(bytes, source: source), path: "$", source: source)
        var p = PipelineDefinition()
        guard let version = try root.int("version") else {
            throw SillageError.configuration(
                "missing required key", at: root.location("version"),
                hint: "start the file with \"version\": \(currentVersion)")
        }
        guard version == currentVersion else {
            throw SillageError.configuration(
                "unsupported pipeline version \(version); this sillage reads version \(currentVersion)",
                at: root.location("version"))
        }
        p.version = version
        if let name = try root.string("name") { p.name = name }
        if let tz = try root.string("timezone") {
            do throws(SillageError) { _ = try ZoneRules(identifier: tz) } catch {
                throw SillageError.configuration(error.message, at: root.location("timezone"), hint: error.hint)
            }
            p.timezone = tz
        }
        if let key = try root.object("key") {
            if let file = try key.string("file") { p.keyFile = file }
            if let create = try key.bool("createIfMissing") { p.createKey = create }
            try key.finish()
        }
        if let store = try root.string("store") { p.store = store }
        if let output = try root.string("output") { p.output = output }
        if let sessions = try root.object("sessions") {
            if let minutes = try sessions.int("inactivityMinutes", in: 1...1440) { p.inactivityMinutes = Int(minutes) }
            try sessions.finish()
        }
        if let rate = try root.double("maxRejectRate", in: 0...1) { p.maxRejectRate = rate }
        p.storeEpsilonBudget = try root.double("storeEpsilonBudget", in: 0...100)
        if let retention = try root.object("retention") { p.retention = try RetentionPolicy.parse(retention) }
        if let tokens = try root.strings("crawlerTokens") { p.extraCrawlerTokens = tokens }
        p.crawlerList = try root.string("crawlerList")
        guard let inputs = try root.objects("inputs"), !inputs.isEmpty else {
            throw SillageError.configuration("a pipeline needs at least one input", at: root.location("inputs"))
        }
        p.inputs = []
        for input in inputs { p.inputs.append(try InputDefinition.parse(input)) }
        if let recipients = try root.objects("recipients") { p.recipients = try parseRecipients(recipients, source: source) }
        if let exports = try root.objects("exports") { p.exports = try parseExports(exports, source: source) }
        if let reports = try root.objects("reports") { p.reports = try reports.map { r throws(SillageError) in try ReportDefinition.parse(r) } }
        try p.checkReports(source: source)
        try p.checkRecipients(source: source)
        try p.checkMicrodata(source: source)
        try root.finish()
        return p
    }

    /// Public reports and private ones (exact figures, learners' names) never share a
    /// directory: a public page's index would link the private pages.
    func checkReports(source: String) throws(SillageError) {
        func place(_ r: ReportDefinition) -> String { ((r.directory ?? output + "/reports") as NSString).standardizingPath }
        for (i, r) in reports.enumerated() where r.audience == .public {
            if let j = reports.firstIndex(where: { $0.audience != .public && place($0) == place(r) }) {
                throw SillageError.configuration(
                    "a public report shares its directory with the private report $.reports[\(j)]", at: "\(source) at $.reports[\(i)].out",
                    hint: "give the public report an \"out\" of its own")
            }
        }
    }

    static func parseRecipients(_ objects: [JSONObjectReader], source: String) throws(SillageError) -> [RecipientDefinition] {
        var recipients: [RecipientDefinition] = []
        for (i, r) in objects.enumerated() {
            let d = try RecipientDefinition.parse(r)
            guard !recipients.contains(where: { $0.name == d.name }) else {
                throw SillageError.configuration("recipient \"\(d.name)\" is declared twice", at: "\(source) at $.recipients[\(i)].name")
            }
            guard !recipients.contains(where: { $0.id == d.id }) else {
                throw SillageError.configuration(
                    "two recipients have the id \"\(d.id)\"", at: "\(source) at $.recipients[\(i)]",
                    hint: "an id names one recipient for good (its pseudonyms, noise and ε ledger); give each its own")
            }
            recipients.append(d)
        }
        return recipients
    }

    static func parseExports(_ objects: [JSONObjectReader], source: String) throws(SillageError) -> [ExportDefinition] {
        var exports: [ExportDefinition] = []
        for export in objects { exports.append(try ExportDefinition.parse(export)) }
        var seen = Set<String>()
        for (i, e) in exports.enumerated() {
            let id = "\(e.name)/\(e.recipient)/\(e.period.directoryName)"
            guard seen.insert(id).inserted else {
                throw SillageError.configuration("two exports write to \(id)", at: "\(source) at $.exports[\(i)]")
            }
        }
        return exports
    }

    /// Every export names a declared recipient, with a budget when it adds noise.
    func checkRecipients(source: String) throws(SillageError) {
        for (i, e) in exports.enumerated() {
            guard let recipient = recipient(named: e.recipient) else {
                throw SillageError.configuration(
                    "recipient \"\(e.recipient)\" is not declared", at: "\(source) at $.exports[\(i)].recipient",
                    hint: "declare it in $.recipients: [{\"name\": \"\(e.recipient)\"}]")
            }
            if !e.noisyTables.isEmpty && recipient.epsilonBudget == nil {
                throw SillageError.configuration(
                    "the export adds differential-privacy noise but recipient \"\(e.recipient)\" has no epsilonBudget",
                    at: "\(source) at $.exports[\(i)].differentialPrivacy",
                    hint: "give the recipient a total ε in $.recipients, e.g. \"epsilonBudget\": 2")
            }
        }
    }

    /// No store publishes session microdata together with tables of the same sessions, to
    /// the same recipient or to another: the microdata's exact rows would give back what the
    /// perturbation or the noise hides (and waste the ε charged), or the sessions that
    /// suppression withheld from the microdata, and recipients may compare their files (the
    /// ε cap assumes so too). The store checks it across pipelines (`recordSessionTables`).
    func checkMicrodata(source: String) throws(SillageError) {
        for (i, e) in exports.enumerated() where e.microdata != nil {
            for other in exports {
                let sessionTables = other.tables.filter { TableRegistry.readsSessions($0) }
                guard !sessionTables.isEmpty else { continue }
                throw SillageError.configuration(
                    "session microdata and tables of the same sessions (\(sessionTables.joined(separator: ", ")) in export \"\(other.name)\" for \"\(other.recipient)\") would leave this store: the microdata's exact rows would undo the tables' protection, whoever receives them",
                    at: "\(source) at $.exports[\(i)].microdata",
                    hint: "publish the microdata from a pipeline and store of its own, or leave those tables out of this pipeline's exports"
                )
            }
        }
    }

    /// The declared recipient of that name.
    public func recipient(named name: String) -> RecipientDefinition? {
        recipients.first { $0.name == name }
    }

    /// A canonical text of the definition, hashed into the run journal.
    public var canonicalDescription: String {
        var parts = [
            "v\(version)", name, timezone, "gap=\(inactivityMinutes)", "reject=\(maxRejectRate)",
            "crawlers=\(extraCrawlerTokens.joined(separator: ","))\(crawlerList.map { ";list=\($0)" } ?? "")",
            "retention=\(retention.sessionDays),\(retention.inactiveLearnerDays),\(retention.rawLogDays)",
        ]
        for i in inputs {
            parts.append(
                "input:\(i.type):\(i.paths.joined(separator: ",")):\(i.stream):\(i.profile.name):\(i.visitorScope.rawValue):\(i.logFormat ?? ""):\(i.identity ?? ""):\(i.identityHomePage ?? ""):\(i.clientAddress):\(i.fields.map { "\($0.field.rawValue)=\($0.path)" }.joined(separator: ","))"
            )
        }
        for e in exports {
            parts.append(
                "export:\(e.name):\(e.recipient):\(e.period.directoryName):\(e.minCount):\(e.dominance):\(e.roundTo):\(e.tables.joined(separator: ","))"
            )
            if let m = e.microdata {
                parts.append(
                    "microdata:\(m.quasiIdentifiers.map(\.rawValue).joined(separator: ",")):\(m.sensitive?.rawValue ?? ""):\(m.maxSuppression)")
            }
            for n in e.noisyTables { parts.append("dp:\(n.table):\(n.epsilon):\(n.maxRowsPerActor):\(n.maxPerCell)") }
        }
        for r in recipients { parts.append("recipient:\(r.name):\(r.id):\(r.epsilonBudget.map { "\($0)" } ?? "")") }
        parts.append("storeEpsilonBudget:\(storeEpsilonBudget.map { "\($0)" } ?? "")")
        return parts.joined(separator: "\n")
    }
}

/// One input of a pipeline.
public struct InputDefinition: Sendable {
    /// A registered ingest type (`combined`, `apache`, ...), see `StageRegistry`.
    public var type: String
    public var paths: [String]
    public var stream: String = "web"
    public var profile: AssetProfile = .moodle
    public var visitorScope: VisitorScope = .day
    /// Where access-log inputs read the client address: `remote` (the address the server
    /// saw, `%h` / `$remote_addr`: the default) or `x-forwarded-for` (the first address of
    /// that header, for a server behind a proxy the operator trusts to set it).
    public var clientAddress = "remote"
    /// The format string for `apache` and `nginx` inputs.
    public var logFormat: String? = nil
    /// For JSON access logs: member paths in place of the preset's (`"time": "ts"`).
    public var fields: [(field: JSONAccessLayout.Field, path: String)] = []
    /// The namespace of the input's learner identifiers, when the pipeline declares that they
    /// name the same people as another input's (e.g. xAPI `account.name` = Moodle `userid`).
    public var identity: String? = nil
    /// For xAPI accounts: the platform (`account.homePage`) whose account names are the
    /// declared `identity`; other platforms' accounts stay in `xapi-account`.
    public var identityHomePage: String? = nil
    /// The JSON path of this input, for messages.
    public var location: String = "--input"

    /// An input of `type` reading `paths`, in the stage's default stream.
    public init(type: String, paths: [String]) {
        self.type = type
        self.paths = paths
        stream = StageRegistry.ingest[type]?.defaultStream ?? "web"
    }

    /// The input `--input FORMAT:GLOB` names; `logFormat` is `--log-format`, for the types
    /// that need one.
    public static func commandLine(_ spec: String, logFormat: String?) throws(SillageError) -> InputDefinition {
        guard let colon = spec.firstIndex(of: ":") else {
            throw SillageError.usage("--input takes FORMAT:GLOB, not \"\(spec)\"", hint: "for example --input combined:'logs/access.log*'")
        }
        let type = String(spec[..<colon])
        guard let stage = StageRegistry.ingest[type] else {
            throw SillageError.usage(
                "unknown input format \"\(type)\"", hint: StageRegistry.typeHint(type, "formats"))
        }
        var input = InputDefinition(type: type, paths: [String(spec[spec.index(after: colon)...])])
        input.stream = stage.defaultStream
        input.location = "--input \(spec)"
        if stage.needsLogFormat {
            guard let logFormat else { throw SillageError.usage("--input \(type):… needs --log-format") }
            input.logFormat = logFormat
        }
        try stage.validate(input, "--log-format")
        return input
    }

    /// `fields`: JSON access-log field names and the member paths that hold them.
    static func fields(_ r: JSONObjectReader, type: String) throws(SillageError) -> [(field: JSONAccessLayout.Field, path: String)] {
        guard let value = r.raw("fields"), value != .null else { return [] }
        guard JSONAccessLayout.presets[type] != nil || type == "auto" else {
            throw SillageError.configuration(
                "fields applies to JSON access logs only (\(JSONAccessLayout.presets.keys.sorted().joined(separator: ", ")), auto)",
                at: r.location("fields"))
        }
        guard case .object(let members) = value else {
            throw SillageError.configuration("expected an object of field names and member paths", at: r.location("fields"))
        }
        let names = JSONAccessLayout.Field.allCases.map(\.rawValue)
        return try members.map { (name, path) throws(SillageError) in
            guard let field = JSONAccessLayout.Field(rawValue: name) else {
                let closest = names.min { editDistance($0, name) < editDistance($1, name) } ?? ""
                throw SillageError.configuration(
                    "unknown field \"\(name)\"", at: "\(r.location("fields")).\(name)",
                    hint: "did you mean \"\(closest)\"? fields: \(names.joined(separator: ", "))")
            }
            guard case .string(let text) = path, !text.isEmpty, !text.split(separator: ".", omittingEmptySubsequences: false).contains("") else {
                throw SillageError.configuration(
                    "a field's path is member names joined by dots (request.headers.User-Agent)", at: "\(r.location("fields")).\(name)")
            }
            return (field, text)
        }
    }

    static func parse(_ r: JSONObjectReader) throws(SillageError) -> InputDefinition {
        let type = try r.requiredString("type")
        guard let stage = StageRegistry.ingest[type] else {
            throw SillageError.configuration(
                "unknown input type \"\(type)\"", at: r.location("type"),
                hint: StageRegistry.typeHint(type, "types"))
        }
        guard let paths = try r.strings("paths"), !paths.isEmpty else {
            throw SillageError.configuration(
                "missing required key (a path, a glob, or \"-\" for standard input)",
                at: r.location("paths"))
        }
        var d = InputDefinition(type: type, paths: paths)
        d.location = r.path
        d.stream = try r.string("stream") ?? stage.defaultStream
        guard !d.stream.isEmpty, d.stream.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else {
            throw SillageError.configuration("a stream name uses lower-case letters, digits, - and _", at: r.location("stream"))
        }
        if let profileName = try r.string("profile") {
            guard let profile = AssetProfile.named(profileName) else {
                throw SillageError.configuration(
                    "unknown profile \"\(profileName)\"", at: r.location("profile"),
                    hint: "built-in profiles: moodle, generic")
            }
            d.profile = profile
        }
        let extensions = try r.strings("staticExtensions") ?? []
        let prefixes = try r.strings("staticPrefixes") ?? []
        let parameters = try r.strings("keepParameters") ?? []
        for (i, p) in prefixes.enumerated() where !p.hasPrefix("/") {
            throw SillageError.configuration("a static prefix starts with /", at: "\(r.location("staticPrefixes"))[\(i)]")
        }
        d.profile = d.profile.adding(
            extensions: extensions.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 },
            prefixes: prefixes, parameters: parameters)
        if let scope = try r.string("visitorScope") {
            guard let s = VisitorScope(rawValue: scope) else {
                throw SillageError.configuration("visitorScope is \"day\" or \"persistent\", not \"\(scope)\"", at: r.location("visitorScope"))
            }
            d.visitorScope = s
        }
        d.logFormat = try r.string("logFormat")
        if let address = try r.string("clientAddress") {
            guard ["remote", "x-forwarded-for"].contains(address) else {
                throw SillageError.configuration(
                    "clientAddress is \"remote\" or \"x-forwarded-for\", not \"\(address)\"", at: r.location("clientAddress"))
            }
            d.clientAddress = address
        }
        d.fields = try fields(r, type: type)
        if let identity = try r.string("identity") {
            guard isSafeName(identity) else {
                throw SillageError.configuration("an identity namespace uses letters, digits, - and _", at: r.location("identity"))
            }
            d.identity = identity
        }
        if let home = try r.string("identityHomePage") {
            guard d.identity != nil else {
                throw SillageError.configuration("identityHomePage needs an identity", at: r.location("identityHomePage"))
            }
            d.identityHomePage = home
        }
        if stage.needsLogFormat && d.logFormat == nil {
            throw SillageError.configuration("a \(type) input needs a logFormat", at: r.location("logFormat"))
        }
        if !stage.needsLogFormat && d.logFormat != nil {
            throw SillageError.configuration("logFormat applies to apache and nginx inputs only", at: r.location("logFormat"))
        }
        try r.finish()
        // Check now so that a bad format is reported with its JSON path.
        try stage.validate(d, r.location("logFormat"))
        return d
    }
}
