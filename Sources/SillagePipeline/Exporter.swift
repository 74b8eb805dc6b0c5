import SillageCore
import SillagePrivacy
import SillageMetrics
import SillageDisclosure
import SillageExport
import SillageStore

/// Builds one export from the store: reads the period's rows, lets the export layer build and
/// check the release, charges the recipient's ε budget, then publishes.
public enum Exporter {
    public static func run(
        _ export: ExportDefinition, store: Store, outputRoot: String, pipeline: PipelineDefinition,
        key: MasterKey, scanner: PIIScanner, run: Int64? = nil
    ) throws(SillageError) -> ExportOutcome {
        var export = export
        export.recipientId = pipeline.recipient(named: export.recipient)?.id
        let input = try self.input(for: export, store: store, zone: try ZoneRules(identifier: pipeline.timezone))
        let prepared = try Release.prepare(export, input: input, key: key, scanner: scanner, outputRoot: outputRoot)
        // Recorded before anything is published, like the ε charge below: a failure after
        // this leaves a record of identical rows, which a re-run publishes again.
        if export.tables.contains(where: TableRegistry.readsSessions) {
            try store.recordSessionTables(recipient: export.recipientKey, export: export.name, period: export.period.directoryName, run: run)
        }
        if let digest = prepared.microdataDigest {
            try store.recordMicrodata(
                recipient: export.recipientKey, export: export.name, period: export.period.directoryName, days: export.period.dayRange,
                digest: digest, run: run)
        }
        // Charged before anything is published: a failure after this over-counts, never under-counts.
        var budget: BudgetPosition? = nil
        if !prepared.noise.isEmpty {
            let recipientIndex = pipeline.recipients.firstIndex { $0.name == export.recipient } ?? 0
            guard let limit = pipeline.recipient(named: export.recipient)?.epsilonBudget else {
                throw SillageError.configuration("recipient \(export.recipient) has no epsilonBudget", at: "$.recipients[\(recipientIndex)]")
            }
            budget = try store.charge(
                prepared.charges, recipient: export.recipientKey, budget: limit, storeBudget: pipeline.storeBudget, run: run,
                location: "$.recipients[\(recipientIndex)].epsilonBudget")
        }
        let context = ReleaseContext(
            timezone: pipeline.timezone, inactivityMinutes: pipeline.inactivityMinutes,
            visitorScopes: Array(Set(pipeline.inputs.map(\.visitorScope.rawValue))).sorted(),
            streams: Dictionary(grouping: pipeline.inputs, by: \.stream).mapValues { inputs in
                let types = Array(Set(inputs.map(\.type))).sorted()
                // Access-log stages default to the web stream; they count page views.
                let web = types.allSatisfy { StageRegistry.ingest[$0]?.defaultStream == "web" }
                return "\(types.joined(separator: ", ")): \(web ? "page views from access logs" : "activity-log events")"
            })
        return try Release.publish(prepared, budget: budget, context: context, outputRoot: outputRoot)
    }

    /// The store's rows for the export's period, of the kinds its tables read.
    static func input(for export: ExportDefinition, store: Store, zone: ZoneRules) throws(SillageError) -> MetricInput {
        var needs = Set(export.tables.flatMap { TableRegistry.tables[$0]?.reads ?? [] })
        if export.microdata != nil { needs.insert(.sessions) }
        let days = export.period.dayRange
        var input = MetricInput(
            sessions: needs.contains(.sessions) ? try store.sessions(days: days) : [],
            actorDays: needs.contains(.actorDays) ? try store.actorDays(days: days) : [],
            facts: needs.contains(.facts) ? try store.facts() : ActivityFacts(), days: days, zone: zone)
        if needs.contains(.catalogue) { input.catalogue = try store.catalogue() }
        return input
    }
}
