#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import SillageCore
import SillagePrivacy
import SillageMetrics
import SillageExport
import SillageReports
import SillageStore

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

    /// Makes every report the pipeline declares.
    func run(store: Store, run: Int64, progress: ProgressSink?) throws(SillageError) -> [ReportOutcome] {
        var out: [ReportOutcome] = []
        for (i, d) in pipeline.reports.enumerated() {
            progress?.phase("writing the \(d.kind.rawValue) report")
            out.append(try make(d, store: store, run: run, location: "$.reports[\(i)]"))
        }
        return out
    }

    /// Makes one report and journals it.
    public func make(_ d: ReportDefinition, store: Store, run: Int64?, location: String = "the report") throws(SillageError) -> ReportOutcome {
        let directory = d.directory ?? pipeline.output + "/reports"
        let scanner = PIIScanner(names: KnownNames(key: key, stored: try store.knownNames()))
        let zone = try ZoneRules(identifier: pipeline.timezone)
        var documents: [ReportDocument]
        switch d.kind {
        case .completion:
            documents = try completion(d, store: store, zone: zone, scanner: scanner, directory: directory)
        case .organisation, .server:
            throw SillageError.usage("the \(d.kind.rawValue) report is not available yet", hint: "sillage report completion")
        }
        let files = documents.flatMap(\.files)
        try Publisher.publishFiles(files, into: directory)
        let index = ReportIndex.document(listing: try listing(directory), settings: d.writing)
        try Publisher.publishFiles(index.files, into: directory)
        let outcome = ReportOutcome(kind: d.kind, directory: directory, files: files.map(\.name) + index.files.map(\.name))
        try store.journal(
            "report", subject: directory + "/" + (documents.first.map { $0.name + ".html" } ?? ""), count: Int64(files.count),
            details: .object([
                ("kind", .string(d.kind.rawValue)), ("audience", .string(d.audience.rawValue)),
                ("language", .string(d.settings.language.rawValue)),
            ]), run: run)
        return outcome
    }

    /// The completion report's pages, from tables built exactly or protected as an export's.
    func completion(
        _ d: ReportDefinition, store: Store, zone: ZoneRules, scanner: PIIScanner, directory: String
    ) throws(SillageError) -> [ReportDocument] {
        var input = MetricInput(sessions: [], actorDays: [], facts: try store.facts(), zone: zone)
        input.catalogue = try store.catalogue()
        input.atRiskDays = d.settings.atRiskDays
        let tables = try completionTables(d, input: input, scanner: scanner, directory: directory)
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

    /// The file names in the report directory.
    func listing(_ directory: String) throws(SillageError) -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw SillageError.runtime("cannot list the report directory", at: directory)
        }
    }
}
