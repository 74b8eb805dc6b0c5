import Foundation
import SillageCore
import SillagePrivacy
import SillageIngest
import SillageMetrics
import SillageExport
import SillageStore

/// Options of `sillage run` that override or complete the pipeline.
public struct RunOptions: Sendable {
    public var threads: Int
    public var chunkSize = 4 << 20
    /// Skip writing exports (still reads and commits).
    public var skipExports = false
    /// Local days to read (`--since`/`--until`, inclusive); records outside are skipped.
    public var window: ClosedRange<Int32>? = nil
    /// Decompressed bytes of input per committed batch: what bounds a run's memory, and
    /// how much a killed run reads again.
    public var batchBytes: Int64 = 256 << 20
    /// Read and count everything, commit and publish nothing (`--dry-run`).
    public var dryRun = false
    /// Files whose earlier contribution is removed before they are read again (`--reprocess`).
    public var reprocess: [String] = []
    /// The instant retention is judged at (UTC seconds); nil: `Clock.nowSeconds()`.
    public var now: Int64? = nil

    public init(threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), chunkSize: Int = 4 << 20) {
        self.threads = threads
        self.chunkSize = chunkSize
    }
}

/// A file on disk, as `stat` names it.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64
}

/// What the batches of one file added up to so far.
struct FileTally {
    var lines = 0
    var events = 0
    var references = 0
    var counts = OutcomeCounts()
    var rejectSamples: [RejectSample] = []
    var rejectedBytes: [[UInt8]] = []
    var heldBackBytes = 0
    var endOffset: Int64 = 0

    var records: Int { events + references + counts.totalSkips + counts.totalRejects }
}

/// What happened to one input file.
public struct FileReport: Sendable {
    public enum Status: String, Sendable {
        case read, resumed
        case alreadyRead = "already-read"
        case shrunk
    }
    public var input: Int
    public var path: String
    public var status: Status
    public var lines = 0
    public var events = 0
    public var counts = OutcomeCounts()
    public var rejectSamples: [RejectSample] = []
    public var bytes: Int64 = 0
    public var heldBackBytes = 0
    public var note: String? = nil
}

/// The outcome of a run: the basis of the closing summary and of `--json`.
public struct RunReport: Sendable {
    public var runID: Int64 = 0
    public var files: [FileReport] = []
    public var events = 0
    /// Catalogue entries and memberships read from reference tables.
    public var references = 0
    public var counts = OutcomeCounts()
    /// Sessions added to the store (a dry run: sessions formed); a late file that joins two
    /// stored sessions can make it negative.
    public var sessions = 0
    public var actorDays = 0
    /// Transactions committed (one per batch of input).
    public var batches = 0
    /// What the retention policy removed on this run (nil on a dry run).
    public var retention: RetentionOutcome? = nil
    public var exports: [ExportOutcome] = []
    public var notices: [String] = []
    public var seconds = 0.0
    public var bytesRead: Int64 = 0
    public var storePath = ""
    /// Nothing was committed or published (`--dry-run`).
    public var dryRun = false
    /// The private file holding this run's reject samples, when there were rejects.
    public var rejectFile: String? = nil
    /// Seconds spent in each phase, in order: ingest, sessionise, commit, export.
    public var phases: [(name: String, seconds: Double)] = []

    public var records: Int { events + references + counts.totalSkips + counts.totalRejects }
}

/// Runs a pipeline: ingest every input, sessionise, commit to the store, publish exports.
///
/// Inputs are read in batches (a file, or `batchBytes` of a large one). Each batch is
/// checked against `maxRejectRate`, sessionised, and committed with its ledger offset in
/// one transaction, so a run killed at any point leaves the store as after its last
/// committed batch and the next run carries on from there. Exports are published
/// atomically after the last batch.
public final class Runner {
    public let pipeline: PipelineDefinition
    public let options: RunOptions
    public weak var progress: ProgressSink?
    /// Called with one-line notices (key created, file already read) as they happen.
    public var onNotice: ((String) -> Void)?
    /// Raw identifiers met by the parsers in this run, for the PII guard; never written anywhere.
    private var seenIdentifiers = Set<[UInt8]>()

    /// Bytes of a file's decompressed head that identify it across renames and compression.
    public static let fingerprintBytes = LineChunkerDefaults.fingerprintBytes

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
        var notices: [String] = []
        let key = try Runner.loadKey(pipeline) { notices.append($0) }
        for n in notices { notice(n, &report) }
        // Resolve every input before opening the store, so a typo fails fast.
        var expanded: [[String]] = []
        for input in pipeline.inputs {
            var files: [String] = []
            for pattern in input.paths {
                do throws(SillageError) {
                    files += try InputFiles.expand(pattern)
                } catch {
                    throw SillageError(error.kind, error.message, at: "\(input.location).paths: \(pattern)", hint: error.hint)
                }
            }
            expanded.append(files)
        }
        let store = try Store(path: pipeline.store)
        let runID = try store.beginRun(pipelineDigest: hexString(SHA256.hash(Array(pipeline.canonicalDescription.utf8))))
        report.runID = runID
        do throws(SillageError) {
            try await ingestAndCommit(store: store, key: key, zone: zone, files: expanded, report: &report)
            if !options.dryRun {
                progress?.phase("enforcing retention")
                report.retention = try Retention.enforce(
                    pipeline.retention, store: store, zone: zone, now: options.now ?? Clock.nowSeconds(),
                    run: runID)
            }
            if !options.skipExports && !options.dryRun {
                let exportStart = Date()
                defer { report.phases.append(("export", Date().timeIntervalSince(exportStart))) }
                let scanner = PIIScanner(identifiers: Set(seenIdentifiers.map { String(decoding: $0, as: UTF8.self) }))
                for export in pipeline.exports {
                    progress?.phase("publishing \(export.name)/\(export.recipient)/\(export.period.directoryName)")
                    let outcome = try Exporter.run(
                        export, store: store, outputRoot: pipeline.output, pipeline: pipeline, key: key,
                        scanner: scanner, run: runID)
                    report.exports.append(outcome)
                    try store.journal(
                        "export", subject: outcome.directory, count: Int64(outcome.files.count),
                        details: .object([
                            ("recipient", .string(export.recipient)), ("period", .string(export.period.directoryName)),
                            ("tables", .array(export.tables.map { .string($0) })),
                            ("cellsSuppressed", .int(Int64(outcome.suppression.reduce(0) { $0 + $1.cellsSuppressed }))),
                            ("epsilonCharged", outcome.budget.map { .double($0.charged) } ?? .null),
                            ("epsilonSpent", outcome.budget.map { .double($0.spentThrough) } ?? .null),
                            ("microdataSessions", outcome.microdata.map { .int(Int64($0.records - $0.recordsSuppressed)) } ?? .null),
                        ]), run: runID)
                }
            }
            report.seconds = Date().timeIntervalSince(started)
            try store.finishRun(runID, status: options.dryRun ? "dry-run" : "succeeded", summary: RunSummary.json(report).serialized(pretty: false))
        } catch {
            report.seconds = Date().timeIntervalSince(started)
            try? store.finishRun(
                runID, status: "failed", summary: JSONValue.object([("error", .string(error.description))]).serialized(pretty: false))
            throw error
        }
        return report
    }

    /// Checks `--reprocess` paths against the inputs and takes their earlier contribution out.
    private func removeReprocessed(store: Store, files: [[String]], gap: Int64, report: inout RunReport) throws(SillageError) {
        func identity(_ path: String) -> (UInt64, UInt64)? {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return (UInt64(info.st_dev), UInt64(info.st_ino))
        }
        let inputs = files.joined().filter { $0 != "-" }
        let identities = options.reprocess.isEmpty ? [] : inputs.map(identity)
        for path in options.reprocess {
            guard let id = identity(path), let k = identities.firstIndex(where: { $0.map { $0 == id } ?? false }) else {
                throw SillageError.usage(
                    "--reprocess \(path): not one of the pipeline's input files",
                    hint:
                        "give a file that an input's paths match; the pipeline reads \(inputs.prefix(5).joined(separator: ", "))\(inputs.count > 5 ? ", …" : "")"
                )
            }
            var opened = try InputFiles.open(inputs[k])
            let peeker = PeekingReader(opened.reader)
            let head = try peeker.peek(Runner.fingerprintBytes)
            opened.reader = peeker
            let fingerprint = Store.fingerprint(head)
            var entry = try store.ledgerEntry(fingerprint: fingerprint)
            if entry == nil { entry = try store.ledgerEntry(path: opened.displayName, head: head) }
            if entry == nil { entry = try store.ledgerEntries(path: opened.displayName).last }
            guard let entry else {
                notice("\(opened.displayName): never read into this store; read now as a new file", &report)
                continue
            }
            let removal = try store.removeContribution(of: entry, gap: gap)
            try store.journal(
                "reprocess", subject: "contribution of \(opened.displayName) removed to read it again",
                count: Int64(removal.sessions + removal.rows),
                details: .object([("sessions", .int(Int64(removal.sessions))), ("rows", .int(Int64(removal.rows)))]),
                run: report.runID)
            notice(
                "\(opened.displayName): removed what it contributed before (\(removal.sessions) sessions removed or rebuilt, \(removal.rows) summary rows); reading it again",
                &report)
        }
    }

    private func ingestAndCommit(
        store: Store, key: MasterKey, zone: ZoneRules, files: [[String]],
        report: inout RunReport
    ) async throws(SillageError) {
        let commits = CommitQueue(store: store, run: report.runID)
        do throws(SillageError) {
            try await ingestInputs(store: store, commits: commits, key: key, zone: zone, files: files, report: &report)
        } catch {
            // The store must be idle before the failure is journalled.
            try? await commits.wait()
            throw error
        }
    }

    private func ingestInputs(
        store: Store, commits: CommitQueue, key: MasterKey, zone: ZoneRules, files: [[String]],
        report: inout RunReport
    ) async throws(SillageError) {
        var streams: [String] = []
        for input in pipeline.inputs where !streams.contains(input.stream) { streams.append(input.stream) }
        guard streams.count <= Int(UInt8.max) else {
            throw SillageError.configuration("a pipeline names at most \(UInt8.max) streams, this one \(streams.count)")
        }
        let pseudonymiser = Pseudonymiser(key: key.bytes)
        let classifier = UserAgentClassifier(extraCrawlerTokens: pipeline.extraCrawlerTokens)
        let driver = IngestDriver(threads: options.threads, chunkSize: options.chunkSize)
        let sessioniser = Sessioniser(inactivityMinutes: pipeline.inactivityMinutes)
        if !options.dryRun {
            try removeReprocessed(store: store, files: files, gap: sessioniser.inactivityMillis, report: &report)
        }
        let sessionsBefore = try store.count("sessions")
        let optOuts = OptOutFilter(actors: try store.optOuts())
        var objects = Interner()
        var seenThisRun: [String: String] = [:]
        var rejectSamples: [RejectFile.Sample] = []
        var recentViews = try store.recentViews()
        var latest = try store.latestSessionEnd() ?? Int64.min
        // Files as the ledger knew them before this run moved any entry to a rotated name.
        var ledgerAtStart: [FileIdentity: [LedgerEntry]] = [:]
        for entry in try store.ledgerEntries() where entry.device != 0 || entry.inode != 0 {
            ledgerAtStart[FileIdentity(device: entry.device, inode: entry.inode), default: []].append(entry)
        }
        var truncatedInPlace: [(path: String, notice: String, earlier: [String])] = []
        var sessioniseSeconds = 0.0, commitSeconds = 0.0
        /// Time spent waiting for commits is the commit time that did not overlap parsing.
        func waitForCommits() async throws(SillageError) {
            let start = Date()
            try await commits.wait()
            commitSeconds += Date().timeIntervalSince(start)
        }
        let ingestStart = Date()
        for (i, input) in pipeline.inputs.enumerated() {
            guard let stage = StageRegistry.ingest[input.type] else {
                throw SillageError.configuration("unknown input type \"\(input.type)\"", at: "\(input.location).type")
            }
            var context = IngestContext(
                zone: zone, pseudonymiser: pseudonymiser, classifier: classifier,
                streamIndex: UInt8(streams.firstIndex(of: input.stream) ?? 0))
            context.window = options.window
            for path in files[i] {
                var opened = try InputFiles.open(path)
                let peeker = PeekingReader(opened.reader)
                let head = try peeker.peek(Runner.fingerprintBytes)
                opened.reader = peeker
                var file = FileReport(input: i, path: opened.displayName, status: .read)
                if head.isEmpty {
                    file.note = "empty file"
                    report.files.append(file)
                    continue
                }
                let fingerprint = Store.fingerprint(head)
                if let earlier = seenThisRun[fingerprint] {
                    file.status = .alreadyRead
                    file.note = "same content as \(earlier), read earlier in this run"
                    notice("\(opened.displayName): same content as \(earlier); not read twice", &report)
                    report.files.append(file)
                    continue
                }
                seenThisRun[fingerprint] = opened.displayName
                let isStream = path == "-"
                let (device, inode) = opened.file.identity
                try await waitForCommits()
                let plan = try ResumePlan.decide(
                    store: store, fingerprint: fingerprint, head: head, path: opened.displayName,
                    isGzip: opened.isGzip, isStream: isStream, size: opened.file.size ?? 0,
                    device: device, inode: inode,
                    sameFileAtStart: ledgerAtStart[FileIdentity(device: device, inode: inode)] ?? [])
                var entry: LedgerEntry
                var startOffset: Int64 = 0, startLine = 0
                switch plan {
                case .skip(let status, let note, let text):
                    file.status = status
                    file.note = note
                    if let text { notice(text, &report) }
                    report.files.append(file)
                    continue
                case .read(let planned, let offset, let line, let status, let note, let text):
                    (entry, startOffset, startLine) = (planned, offset, line)
                    file.status = status
                    file.note = note
                    if let text {
                        // Said at the end, once it is known whether the rotated copy was read too.
                        let earlier = (ledgerAtStart[FileIdentity(device: device, inode: inode)] ?? []).map(\.fingerprint)
                        truncatedInPlace.append((opened.displayName, text, earlier))
                    }
                }
                if startOffset > 0 {
                    if opened.isGzip {
                        opened.reader = SkippingReader(opened.reader, skipping: startOffset, displayName: opened.displayName)
                    } else {
                        try opened.file.seek(to: startOffset)
                        opened.reader = opened.file
                    }
                }
                let parsing = try stage.prepareFile(input, context, head, opened.displayName)
                var fileIngest = FileTally()
                var committedSlices = 0
                try await driver.ingest(
                    reader: opened.reader, displayName: opened.displayName, parsing: parsing,
                    startOffset: startOffset, startLine: startLine,
                    holdBackUnterminatedLine: !opened.isGzip && !isStream, sliceBytes: options.batchBytes,
                    objects: &objects, progress: progress, rawBytesRead: { opened.file.bytesRead },
                    rawSize: opened.file.size,
                    onSlice: { (parsed, objects) throws(SillageError) in
                        var slice = parsed
                        optOuts.apply(to: &slice)
                        seenIdentifiers.formUnion(slice.identifiers)
                        fileIngest.lines += slice.lines
                        fileIngest.counts.add(slice.counts)
                        for (k, sample) in slice.rejectSamples.enumerated() where fileIngest.rejectSamples.count < ChunkResult.maxSamples {
                            fileIngest.rejectSamples.append(sample)
                            let bytes = k < slice.rejectedBytes.count ? slice.rejectedBytes[k] : []
                            fileIngest.rejectedBytes.append(bytes)
                            rejectSamples.append(RejectFile.Sample(file: opened.displayName, line: sample.line, reason: sample.reason, bytes: bytes))
                        }
                        fileIngest.heldBackBytes = slice.heldBackBytes
                        fileIngest.endOffset = slice.endOffset
                        fileIngest.events += slice.events.count
                        fileIngest.references += slice.references.count
                        do throws(SillageError) {
                            try checkRejectRate(fileIngest, input: input, file: opened.displayName, committedSlices: committedSlices)
                        } catch {
                            let path = try? RejectFile.write(rejectSamples, store: pipeline.store, run: report.runID)
                            throw SillageError(
                                error.kind, error.message, at: error.location,
                                hint: (error.hint ?? "") + (path.map { "\n  the first rejected records are in \($0) (private, mode 0600)" } ?? ""))
                        }
                        var sessioniseStart = Date()
                        progress?.phase("sessionising \(slice.events.count) events")
                        let output = await sessioniser.run(
                            slice.events, streams: streams, strings: objects.strings,
                            partitions: options.threads, recentViews: recentViews)
                        var batch = Store.Batch()
                        batch.gap = sessioniser.inactivityMillis
                        batch.sessions = output.sessions
                        batch.actorDays = output.days
                        batch.facts = output.facts
                        batch.references = slice.references
                        for (day, counts) in slice.daily {
                            batch.daily[Store.DailyKey(day: day, stream: input.stream), default: DailyCounts()].add(counts)
                        }
                        for s in output.sessions where s.end > latest { latest = s.end }
                        for (k, t) in output.facts.lastViews { recentViews[k] = max(recentViews[k] ?? t, t) }
                        recentViews = recentViews.filter { $0.value >= latest - ActivityFacts.doubleClickMillis - SessionCoalescing.latenessMillis }
                        batch.recentViews = recentViews
                        if !isStream {
                            entry.offset = slice.endOffset
                            entry.lines = Int64(startLine + fileIngest.lines)
                            entry.size = opened.file.size ?? 0
                            entry.complete = slice.isLast && opened.isGzip
                            entry.isGzip = opened.isGzip
                            batch.ledger = entry
                        }
                        if options.dryRun { report.sessions += output.sessions.count }
                        report.actorDays += output.days.count
                        sessioniseSeconds += Date().timeIntervalSince(sessioniseStart)
                        sessioniseStart = Date()
                        if !options.dryRun {
                            // Waits only for the previous batch's commit; this one overlaps the next parse.
                            try await commits.submit(batch)
                        }
                        report.batches += 1
                        committedSlices += 1
                        commitSeconds += Date().timeIntervalSince(sessioniseStart)
                    })
                file.lines = fileIngest.lines
                file.events = fileIngest.events
                file.counts = fileIngest.counts
                file.rejectSamples = fileIngest.rejectSamples
                file.bytes = opened.file.bytesRead
                file.heldBackBytes = fileIngest.heldBackBytes
                report.events += fileIngest.events
                report.references += fileIngest.references
                report.counts.add(fileIngest.counts)
                report.bytesRead += opened.file.bytesRead
                report.files.append(file)
            }
        }
        try await waitForCommits()
        for (path, text, earlier) in truncatedInPlace {
            let rotatedCopy = earlier.compactMap { seenThisRun[$0] }.first { $0 != path }
            notice(
                rotatedCopy.map {
                    "\(path): truncated and rewritten in place since the last run (copytruncate); read from the start, and its earlier content was found in \($0)"
                } ?? text, &report)
        }
        report.rejectFile = try RejectFile.write(rejectSamples, store: pipeline.store, run: report.runID)
        if !options.dryRun { report.sessions = try store.count("sessions") - sessionsBefore }
        let total = Date().timeIntervalSince(ingestStart)
        report.phases.append(("ingest", max(0, total - sessioniseSeconds - commitSeconds)))
        report.phases.append(("sessionise", sessioniseSeconds))
        report.phases.append(("commit", commitSeconds))
    }

    /// Fails the run (exit code 3) when a file's rejects so far exceed `maxRejectRate`.
    ///
    /// Checked before each batch of a file is committed. Files of fewer than 20 records fail
    /// only when every record is rejected, so that a single bad line in a tiny file does not
    /// stop a nightly run.
    func checkRejectRate(_ ingest: FileTally, input: InputDefinition, file: String, committedSlices: Int) throws(SillageError) {
        let records = ingest.records
        let rejects = ingest.counts.totalRejects
        guard records > 0, rejects > 0 else { return }
        let rate = Double(rejects) / Double(records)
        let fails = records >= 20 ? rate > pipeline.maxRejectRate : rejects == records
        guard fails else { return }
        let reasons = RejectReason.allCases.filter { ingest.counts[reject: $0] > 0 }
            .map { "\($0.name): \(ingest.counts[reject: $0])" }.joined(separator: ", ")
        let firstLines = ingest.rejectSamples.prefix(3).map { "line \($0.line)" }.joined(separator: ", ")
        let committed =
            committedSlices == 0
            ? "nothing of this file was committed"
            : "the first \(committedSlices) batch(es) of this file, under the limit when checked, were committed; run with --reprocess \(file) once the cause is fixed"
        throw SillageError.data(
            "\(Cell.formatDecimal(rate * 100, digits: 1))% of \(records) records rejected (\(reasons); first at \(firstLines)), over the limit of \(Cell.formatDecimal(pipeline.maxRejectRate * 100, digits: 1))%; \(committed)",
            at: file,
            hint: "likely cause: " + FormatDiagnosis.likelyCause(declared: input.type, sample: ingest.rejectedBytes.first))
    }
}
