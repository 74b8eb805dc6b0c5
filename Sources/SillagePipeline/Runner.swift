import Foundation
import SillageCore
import SillagePrivacy
import SillageMetrics
import SillageStore

/// Runs a pipeline: plan the inputs, ingest and commit them in batches, enforce retention,
/// publish the exports.
///
/// Inputs are read in batches (a file, or `batchBytes` of a large one). Each batch is
/// checked against `maxRejectRate`, sessionised, and committed with its ledger offset in
/// one transaction, so a run killed at any point leaves the store as after its last
/// committed batch and the next run carries on from there. Exports are published
/// atomically after the last batch. Each phase is a type of its own: `InputPlan`,
/// `Reprocessing`, `IngestPhase` (with `FileOpener`, `BatchAssembler`, `CommitQueue`),
/// `Retention`, `ExportPhase`.
public final class Runner {
    public let pipeline: PipelineDefinition
    public let options: RunOptions
    public weak var progress: ProgressSink?
    /// Called with one-line notices (key created, file already read) as they happen.
    public var onNotice: ((String) -> Void)?

    public init(pipeline: PipelineDefinition, options: RunOptions = RunOptions()) {
        self.pipeline = pipeline
        self.options = options
    }

    private func notice(_ text: String, _ report: inout RunReport) {
        report.notices.append(text)
        onNotice?(text)
    }

    /// Loads the master key, creating it on first use when the pipeline allows.
    public static func loadKey(_ pipeline: PipelineDefinition, notice: (String) -> Void) throws(SillageError) -> MasterKey {
        if access(pipeline.keyFile, F_OK) != 0 && pipeline.createKey {
            let key = try MasterKey.create(path: pipeline.keyFile)
            notice(
                "created a new master key in \(pipeline.keyFile) (mode 0600); keep it private and back it up: without it, pseudonyms cannot be recomputed"
            )
            return key
        }
        return try MasterKey.load(path: pipeline.keyFile)
    }

    public func run() async throws(SillageError) -> RunReport {
        let started = Date()
        var report = RunReport()
        report.storePath = pipeline.store
        report.dryRun = options.dryRun
        let zone = try ZoneRules(identifier: pipeline.timezone)
        try pipeline.checkMicrodata(source: "the pipeline")
        // Every input is resolved before a key or a store is made, so a typo leaves nothing.
        let plan = try InputPlan.make(pipeline)
        let (key, store, scratch) = try openKeyAndStore(&report)
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        // A dry run writes nothing to the store, not even its run.
        if !options.dryRun {
            report.runID = try store.beginRun(pipelineDigest: hexString(SHA256.hash(Array(pipeline.canonicalDescription.utf8))))
        }
        do throws(SillageError) {
            try await phases(plan: plan, store: store, key: key, zone: zone, report: &report)
            report.seconds = Date().timeIntervalSince(started)
            let summary = RunSummary.json(report).serialized(pretty: false)
            if !options.dryRun { try store.finishRun(report.runID, status: "succeeded", summary: summary) }
        } catch {
            report.seconds = Date().timeIntervalSince(started)
            let summary = JSONValue.object([("error", .string(error.description))]).serialized(pretty: false)
            if !options.dryRun { try? store.finishRun(report.runID, status: "failed", summary: summary) }
            throw error
        }
        return report
    }

    /// The key and the store. A dry run creates neither: without a key it pseudonymises
    /// under a temporary one, without a store it reads into a temporary one (removed after
    /// the run, `scratch`), so that it leaves the directory as it was.
    private func openKeyAndStore(_ report: inout RunReport) throws(SillageError) -> (MasterKey, Store, scratch: String?) {
        guard options.dryRun else {
            var notices: [String] = []
            let key = try Runner.loadKey(pipeline) { notices.append($0) }
            for n in notices { notice(n, &report) }
            let store = try Store(path: pipeline.store)
            try store.checkKey(key, keyFile: pipeline.keyFile)
            return (key, store, nil)
        }
        let hasKey = access(pipeline.keyFile, F_OK) == 0
        let key = hasKey || !pipeline.createKey ? try MasterKey.load(path: pipeline.keyFile) : try MasterKey.random()
        if !hasKey && pipeline.createKey {
            notice("dry run: \(pipeline.keyFile) does not exist yet; a temporary key was used and forgotten (a real run creates it)", &report)
        }
        guard access(pipeline.store, F_OK) != 0 else {
            // A store without its key fails here as the real run would.
            let store = try Store(path: pipeline.store)
            try store.checkKey(key, keyFile: pipeline.keyFile)
            return (key, store, nil)
        }
        let scratch = try makeTemporaryDirectory(prefix: "sillage-dry-run")
        return (key, try Store(path: scratch + "/store.sqlite"), scratch)
    }

    private func phases(plan: InputPlan, store: Store, key: MasterKey, zone: ZoneRules, report: inout RunReport) async throws(SillageError) {
        let commits = CommitQueue(store: store, run: report.runID)
        do throws(SillageError) {
            if !options.dryRun {
                let gap = Sessioniser(inactivityMinutes: pipeline.inactivityMinutes).inactivityMillis
                for n in try Reprocessing(paths: options.reprocess).removeContributions(
                    files: plan.allFiles, store: store, gap: gap, run: report.runID)
                {
                    notice(n, &report)
                }
            }
            let ingest = try IngestPhase(
                pipeline: pipeline, options: options, plan: plan, zone: zone, store: store, commits: commits, key: key,
                progress: progress, onNotice: onNotice)
            try await ingest.run(report: &report)
            if !options.dryRun {
                progress?.phase("enforcing retention")
                report.retention = try Retention.enforce(
                    pipeline.retention, store: store, zone: zone, now: options.now ?? Clock.nowSeconds(), run: report.runID)
            }
            if !options.skipExports && !options.dryRun {
                let exportStart = Date()
                defer { report.phases.append(("export", Date().timeIntervalSince(exportStart))) }
                report.exports = try ExportPhase(pipeline: pipeline, key: key).run(
                    store: store, run: report.runID, progress: progress)
                if report.exports.contains(where: { $0.budget?.ledgerStartedEmpty == true }) {
                    notice(
                        "the ε ledger of \(pipeline.store) started empty with this export: releases made from another store, or before this one, are not counted against the recipients' budgets",
                        &report)
                }
                report.reports = try ReportPhase(pipeline: pipeline, key: key).run(store: store, run: report.runID, progress: progress)
            }
        } catch {
            // The store must be idle before the failure is journalled.
            try? await commits.wait()
            throw error
        }
    }
}
