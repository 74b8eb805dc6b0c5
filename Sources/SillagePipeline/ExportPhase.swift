import SillageCore
import SillagePrivacy
import SillageExport
import SillageStore

/// Publishes every export of the pipeline and journals each one (figures only, no data).
struct ExportPhase {
    var pipeline: PipelineDefinition
    var key: MasterKey

    /// The PII guard checks every cell against the names met in every run the store recorded.
    func run(store: Store, run: Int64, progress: ProgressSink?) throws(SillageError) -> [ExportOutcome] {
        let scanner = PIIScanner(names: KnownNames(key: key, stored: try store.knownNames()))
        var outcomes: [ExportOutcome] = []
        for export in pipeline.exports {
            progress?.phase("publishing \(export.name)/\(export.recipient)/\(export.period.directoryName)")
            let outcome = try Exporter.run(
                export, store: store, outputRoot: pipeline.output, pipeline: pipeline, key: key, scanner: scanner, run: run)
            try store.journal("export", subject: outcome.directory, count: Int64(outcome.files.count), details: details(export, outcome), run: run)
            outcomes.append(outcome)
        }
        return outcomes
    }

    private func details(_ export: ExportDefinition, _ outcome: ExportOutcome) -> JSONValue {
        .object([
            ("recipient", .string(export.recipient)), ("period", .string(export.period.directoryName)),
            ("tables", .array(export.tables.map { .string($0) })),
            ("cellsSuppressed", .int(Int64(outcome.suppression.reduce(0) { $0 + $1.cellsSuppressed }))),
            ("epsilonCharged", outcome.budget.map { .double($0.charged) } ?? .null),
            ("epsilonSpent", outcome.budget.map { .double($0.spentThrough) } ?? .null),
            ("microdataSessions", outcome.microdata.map { .int(Int64($0.records - $0.recordsSuppressed)) } ?? .null),
        ])
    }
}
