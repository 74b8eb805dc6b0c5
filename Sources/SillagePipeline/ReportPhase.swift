#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import SillageCore
import SillagePrivacy
import SillageMetrics
import SillageExport
import SillageIngest
import SillageReports
import SillageStore

/// What the reports of one run read from the store, read once: several reports (a completion
/// report in two languages, an organisation report) read the same facts and catalogue.
final class StoreReading {
    let store: Store
    let key: MasterKey
    private var cachedFacts: ActivityFacts?
    private var cachedCatalogue: [Publishable: CatalogueEntry]?
    private var cachedScanner: PIIScanner?

    init(_ store: Store, key: MasterKey) {
        self.store = store
        self.key = key
    }

    func facts() throws(SillageError) -> ActivityFacts {
        if let cachedFacts { return cachedFacts }
        let f = try store.facts()
        cachedFacts = f
        return f
    }

    func catalogue() throws(SillageError) -> [Publishable: CatalogueEntry] {
        if let cachedCatalogue { return cachedCatalogue }
        let c = try store.catalogue()
        cachedCatalogue = c
        return c
    }

    /// The PII guard, checking against the names met in every run the store recorded.
    func scanner() throws(SillageError) -> PIIScanner {
        if let cachedScanner { return cachedScanner }
        let s = PIIScanner(names: KnownNames(key: key, stored: try store.knownNames()))
        cachedScanner = s
        return s
    }
}

/// What making one report wrote.
public struct ReportOutcome: Sendable, Equatable {
    public var kind: ReportDefinition.Kind
    public var directory: String
    /// The files written, the index page last.
    public var files: [String]
    /// The learners the report is about (an organisation report).
    public var learners: Int? = nil
}

/// Makes reports from the store: the pipeline's declared ones after every run, or the one
/// `sillage report` asks for. Each report's files are published together next to the
/// directory's other reports, then the directory's `index.html` is rewritten, and the
/// journal records the report.
public struct ReportPhase {
    public var pipeline: PipelineDefinition
    public var key: MasterKey

    public init(pipeline: PipelineDefinition, key: MasterKey) {
        self.pipeline = pipeline
        self.key = key
    }

    /// Makes every report the pipeline declares: all are made before any is published, so
    /// a report that fails leaves the others as they were.
    func run(store: Store, run: Int64, progress: ProgressSink?) throws(SillageError) -> [ReportOutcome] {
        var prepared: [Prepared] = []
        var audiences: [String: (String, Int)] = [:]
        let reading = StoreReading(store, key: key)
        for (i, d) in pipeline.reports.enumerated() {
            progress?.phase("writing the \(d.kind.rawValue) report")
            let p = try prepare(d, reading: reading, location: "$.reports[\(i)]")
            // However the directory is spelt (./, a trailing /, a symbolic link): one audience.
            let place = Self.canonical(p.directory), audience = d.audience == .public ? "public" : "private"
            if let (other, j) = audiences[place], other != audience {
                throw SillageError.configuration(
                    "the \(audience) report and the \(other) report $.reports[\(j)] write to the same directory", at: "$.reports[\(i)].out",
                    hint: "give the public report an \"out\" of its own")
            }
            audiences[place] = (audience, i)
            prepared.append(p)
        }
        var out: [ReportOutcome] = []
        for p in prepared { out.append(try publish(p, store: store, run: run)) }
        return out
    }

    /// Makes one report and journals it.
    public func make(_ d: ReportDefinition, store: Store, run: Int64?, location: String = "the report") throws(SillageError) -> ReportOutcome {
        try publish(try prepare(d, reading: StoreReading(store, key: key), location: location), store: store, run: run)
    }

    /// A report made, not yet published.
    struct Prepared {
        var definition: ReportDefinition
        var directory: String
        var documents: [ReportDocument]
        var details: [(String, JSONValue)] = []
        /// Files of the same report left from an earlier one (course pages of courses gone).
        var stale: [String] = []
    }

    /// The directory as the file system knows it: symbolic links of its existing part
    /// resolved, `.`, `..` and trailing slashes taken out.
    static func canonical(_ directory: String) -> String {
        var path = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        path = (path as NSString).standardizingPath
        var existing = path, rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing), existing != "/" {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        let resolved = (existing as NSString).resolvingSymlinksInPath
        return ([resolved] + rest).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
    }

    /// The name of the file that says who a report directory is for.
    static let audienceMarker = ".sillage-audience"

    func prepare(_ d: ReportDefinition, reading: StoreReading, location: String) throws(SillageError) -> Prepared {
        let directory = d.directory ?? pipeline.output + "/reports"
        try checkAudience(d, directory: directory, location: location)
        let zone = try ZoneRules(identifier: pipeline.timezone)
        var p = Prepared(definition: d, directory: directory, documents: [])
        switch d.kind {
        case .completion:
            p.documents = try completion(d, reading: reading, zone: zone, directory: directory)
            let current = Set(p.documents.flatMap { $0.files.map(\.name) })
            p.stale = ((try? listing(directory)) ?? []).filter {
                $0.hasPrefix("completion-") && ($0.hasSuffix(".html") || $0.hasSuffix(".csv")) && !current.contains($0)
            }
        case .server:
            p.documents = try server(d, reading: reading, directory: directory)
        case .organisation:
            let (document, learners, named) = try organisation(d, reading: reading, zone: zone, directory: directory)
            p.documents = [document]
            p.details = [("organisation", .string(d.organisation ?? "")), ("learners", .int(Int64(learners))), ("named", .int(Int64(named)))]
        }
        return p
    }

    /// A directory holds public reports or private ones, never both: a public page must not
    /// sit beside (nor its index link to) pages with exact figures or learners' names.
    func checkAudience(_ d: ReportDefinition, directory: String, location: String) throws(SillageError) {
        let wanted = d.audience == .public ? "public" : "private"
        let marker = directory + "/" + Self.audienceMarker
        if let found = try? String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), found != wanted {
            throw SillageError.configuration(
                "\(directory) holds \(found) reports; a \(wanted) report needs a directory of its own", at: location,
                hint: d.audience == .public ? "give the public report an \"out\" of its own" : "write it to another directory")
        }
        let others = ((try? listing(directory)) ?? []).filter { $0.hasSuffix(".html") && $0 != "index.html" }
        if !FileManager.default.fileExists(atPath: marker), d.audience == .public, !others.isEmpty {
            throw SillageError.configuration(
                "\(directory) already holds reports made before their audience was recorded; a public report needs a directory of its own",
                at: location)
        }
    }

    /// Publishes a made report next to the directory's others, rewrites the index, and journals it.
    func publish(_ p: Prepared, store: Store, run: Int64?) throws(SillageError) -> ReportOutcome {
        let d = p.definition
        let marker = (Self.audienceMarker, Array((d.audience == .public ? "public\n" : "private\n").utf8))
        let files = p.documents.flatMap(\.files)
        try Publisher.publishFiles(files + [marker], into: p.directory)
        for name in p.stale { unlink(p.directory + "/" + name) }
        let index = ReportIndex.document(listing: try listing(p.directory), settings: d.writing)
        try Publisher.publishFiles(index.files, into: p.directory)
        try store.journal(
            "report", subject: p.directory + "/" + (p.documents.first.map { $0.name + ".html" } ?? ""), count: Int64(files.count),
            details: .object(
                [
                    ("kind", .string(d.kind.rawValue)), ("audience", .string(d.audience.rawValue)),
                    ("language", .string(d.settings.language.rawValue)), ("by", .string(Self.operatorName)),
                ] + p.details), run: run)
        var outcome = ReportOutcome(kind: d.kind, directory: p.directory, files: files.map(\.name) + index.files.map(\.name))
        if let learners = p.details.first(where: { $0.0 == "learners" }), case .int(let n) = learners.1 { outcome.learners = Int(n) }
        return outcome
    }

    /// The completion report's pages, from tables built exactly or protected as an export's.
    func completion(
        _ d: ReportDefinition, reading: StoreReading, zone: ZoneRules, directory: String
    ) throws(SillageError) -> [ReportDocument] {
        var input = MetricInput(sessions: [], actorDays: [], facts: try reading.facts(), zone: zone)
        input.catalogue = try reading.catalogue()
        input.atRiskDays = d.settings.atRiskDays
        let tables = try completionTables(d, input: input, scanner: try reading.scanner(), directory: directory)
        let documents = CompletionReport.documents(tables, asOf: input.asOfDay, settings: d.writing, course: d.course)
        if let course = d.course, documents.count < 2 {
            throw SillageError.usage("no course \"\(course)\" in the store", hint: "the course keys are those of course_completion")
        }
        return documents
    }

    func completionTables(
        _ d: ReportDefinition, input: MetricInput, scanner: PIIScanner, directory: String
    ) throws(SillageError) -> [String: Table] {
        var tables: [Table]
        if d.audience == .public {
            var export = ExportDefinition()
            export.name = "report-completion"
            export.recipient = "public"
            export.tables = CompletionReport.tables
            export.minCount = d.minCount
            tables = try Release.prepare(export, input: input, key: key, scanner: scanner, outputRoot: directory).tables
        } else {
            tables = CompletionReport.tables.compactMap { TableRegistry.tables[$0]?.build(input) }
            _ = try Release.guardTables(&tables, catalogue: input.catalogue, scanner: scanner, location: directory)
        }
        return Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
    }

    /// Who made the report, for the journal: the login the process runs under.
    static var operatorName: String {
        let env = ProcessInfo.processInfo.environment
        if let name = env["SUDO_USER"] ?? env["USER"] ?? env["LOGNAME"] { return name }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }

    /// The organisation report: its learners' facts only, labelled by the operator's list or
    /// by pseudonyms made for this organisation's reports. Returns the page, the number of
    /// learners and how many of them the list named.
    func organisation(
        _ d: ReportDefinition, reading: StoreReading, zone: ZoneRules, directory: String
    ) throws(SillageError) -> (ReportDocument, Int, Int) {
        let memberships = try reading.store.memberships()
        let wanted = d.organisation ?? ""
        let organisations = Set(memberships.values).sorted()
        // The exact name, or else the one name whose file name it is; two names that share
        // a file name must be told apart by their exact spelling.
        let loose = organisations.filter { ReportFileName.slug($0.text) == ReportFileName.slug(wanted) }
        guard let organisation = organisations.first(where: { $0.text == wanted }) ?? (loose.count == 1 ? loose.first : nil) else {
            if loose.count > 1 {
                throw SillageError.usage(
                    "several organisations match \"\(wanted)\": \(loose.map(\.text).joined(separator: ", "))",
                    hint: "name one exactly as the organisations file spells it")
            }
            let known = organisations.map(\.text)
            throw SillageError.usage(
                "no organisation \"\(wanted)\" in the store's memberships",
                hint: known.isEmpty ? "read an organisations file first" : "organisations: \(known.joined(separator: ", "))")
        }
        let members = Set(memberships.filter { $0.value == organisation }.map(\.key))
        var labels = pseudonymLabels(members, organisation: organisation, language: d.settings.language)
        var named = Set<ActorKey>()
        if let list = d.learners {
            for (actor, label) in try listedLabels(list, pipeline: pipeline) where members.contains(actor) {
                labels[actor] = label
                named.insert(actor)
            }
        }
        let facts = try reading.facts()
        var input = MetricInput(sessions: [], actorDays: [], facts: facts.restricted(to: members), zone: zone)
        // As of the platform's last day, not the organisation's: quiet learners are at risk.
        input.reportDay = MetricInput(sessions: [], actorDays: [], facts: facts, zone: zone).asOfDay
        input.catalogue = try reading.catalogue()
        input.atRiskDays = d.settings.atRiskDays
        // Never public (`ReportDefinition.check`): the exact tables, through the PII guard.
        let tables = try completionTables(d, input: input, scanner: try reading.scanner(), directory: directory)
        let names = ReportFileName.names(stem: "organisation", keys: organisations.map(\.text))
        let document = OrganisationReport.document(
            organisation: organisation, input: input, tables: tables, labels: labels, settings: d.writing,
            fileName: names[organisation.text] ?? "organisation")
        return (document, members.count, named.count)
    }

    /// A label per learner made for this organisation's reports: a keyed hash of the
    /// organisation and the pseudonym, so it is stable from one report to the next and
    /// means nothing in any other output.
    func pseudonymLabels(_ members: Set<ActorKey>, organisation: Publishable, language: ReportLanguage) -> [ActorKey: String] {
        let subkey = HMACSHA256(key: key.bytes).authenticate(Array("sillage report-organisation|\(organisation.text)".utf8))
        let hmac = HMACSHA256(key: subkey)
        let word = language == .fr ? "apprenant" : "learner"
        return Dictionary(uniqueKeysWithValues: members.map { ($0, "\(word)\u{00A0}" + hexString(hmac.authenticate($0.bytes).prefix(5))) })
    }

    /// The operator's list: `NS:ID[;label]` per line (blank and `#` lines skipped), each keyed
    /// now with the pipeline's key; the list itself is never stored.
    func listedLabels(_ path: String, pipeline: PipelineDefinition) throws(SillageError) -> [(ActorKey, String)] {
        let pseudonymiser = Pseudonymiser(key: key.bytes)
        let declared = pipeline.inputs.compactMap(\.identity)
        var out: [(ActorKey, String)] = []
        for (n, line) in try PersonIdentifier.lines(ofFile: path).enumerated() {
            let parts = line.split(separator: ";", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let person: PersonIdentifier
            do throws(SillageError) { person = try PersonIdentifier(qualified: parts[0], declared: declared) } catch {
                throw SillageError.configuration(error.message, at: "\(path): entry \(n + 1)", hint: error.hint)
            }
            out.append((person.pseudonym(pseudonymiser), parts.count > 1 && !parts[1].isEmpty ? parts[1] : parts[0]))
        }
        return out
    }

    /// The server report of `d.day`, or of every completed day not reported yet and of the
    /// last 8 completed days (late log lines may still change them).
    func server(_ d: ReportDefinition, reading: StoreReading, directory: String) throws(SillageError) -> [ReportDocument] {
        let store = reading.store
        var log = try serverLog(store)
        let days: [Int32]
        if let day = d.day {
            guard log.days[day] != nil else {
                throw SillageError.usage(
                    "the store holds no access-log requests on \(CivilTime.isoDate(days: Int(day)))",
                    hint: log.days.isEmpty ? "read an access log first" : "days held: \(Self.span(log.days.keys))")
            }
            if let last = log.days.keys.max(), day == last {
                throw SillageError.usage(
                    "\(CivilTime.isoDate(days: Int(day))) is the last day the store holds and may not be complete",
                    hint: "it is reported once a later day has requests")
            }
            days = [day]
        } else {
            let completed = log.completedDays
            let existing = Set((try? listing(directory)) ?? [])
            days = completed.filter { !existing.contains("server-\(CivilTime.isoDate(days: Int($0))).html") || completed.suffix(8).contains($0) }
        }
        guard let first = days.first, let last = days.last else { return [] }
        // Only paths enough people requested are named: a path one learner alone met (their
        // profile, their file) says something about them, and a learner cannot fill the list.
        for c in try store.serverObjects(days: Int(first)...Int(last)) where days.contains(c.day) && c.people >= d.minCount {
            log.objects[c.day, default: []].append(
                ServerLog.ObjectCount(object: c.object, statusClass: c.statusClass, requests: c.requests, people: c.people))
        }
        log.minPeople = d.minCount
        try guardObjects(&log, scanner: try reading.scanner(), location: directory)
        return days.map { ServerReport.document(log, day: $0, settings: d.writing) }
    }

    /// Every day's counts of the access-log streams (those with server measures), streams added up.
    func serverLog(_ store: Store) throws(SillageError) -> ServerLog {
        var log = ServerLog()
        let visitors = try store.distinctActors()
        for (key, measures) in try store.dailyCounts() where measures["server:requests"] != nil {
            var day = log.days[key.day] ?? ServerLog.Day()
            day.tally.add(ServerDay(measures: measures))
            day.pageViews += measures["events"] ?? 0
            day.botRequests += measures["skip:bot"] ?? 0
            day.visitors += visitors[key] ?? 0
            log.days[key.day] = day
        }
        return log
    }

    /// The PII guard over the objects the report shows, as over an export's cells.
    func guardObjects(_ log: inout ServerLog, scanner: PIIScanner, location: String) throws(SillageError) {
        let objects = Array(Set(log.objects.values.flatMap { $0.map(\.object) })).sorted()
        var table = Table(
            name: "server_objects", title: "", description: "", columns: [Column("object", .string, "")], primaryKey: ["object"])
        for o in objects { table.append([.value(o)], actors: 0) }
        var tables = [table]
        _ = try Release.guardTables(&tables, catalogue: nil, scanner: scanner, location: location)
        var checked: [Publishable: Publishable] = [:]
        for (o, row) in zip(objects, tables[0].rows) { if case .value(let p) = row[0] { checked[o] = p } }
        for (day, list) in log.objects {
            log.objects[day] = list.map {
                var c = $0; c.object = checked[c.object] ?? c.object; return c
            }
        }
    }

    static func span(_ days: some Collection<Int32>) -> String {
        guard let a = days.min(), let b = days.max() else { return "none" }
        return "\(CivilTime.isoDate(days: Int(a)))..\(CivilTime.isoDate(days: Int(b)))"
    }

    /// The file names in the report directory.
    func listing(_ directory: String) throws(SillageError) -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw SillageError.runtime("cannot list the report directory", at: directory)
        }
    }
}
