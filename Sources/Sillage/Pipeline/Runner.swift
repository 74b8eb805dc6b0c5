import Foundation

/// Options of `sillage run` that override or complete the pipeline.
public struct RunOptions: Sendable {
    public var threads: Int
    public var chunkSize = 4 << 20
    /// Skip writing exports (still reads and commits).
    public var skipExports = false
    /// Local days to read (`--since`/`--until`, inclusive); records outside are skipped.
    public var window: ClosedRange<Int32>? = nil

    public init(threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), chunkSize: Int = 4 << 20) {
        self.threads = threads
        self.chunkSize = chunkSize
    }
}

/// What happened to one input file.
public struct FileReport: Sendable {
    public enum Status: String, Sendable {
        case read, resumed, alreadyRead = "already-read", shrunk
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
    public var sessions = 0
    public var actorDays = 0
    public var exports: [ExportOutcome] = []
    public var notices: [String] = []
    public var seconds = 0.0
    public var bytesRead: Int64 = 0
    public var storePath = ""
    /// The private file holding this run's reject samples, when there were rejects.
    public var rejectFile: String? = nil
    /// Seconds spent in each phase, in order: ingest, sessionise, commit, export.
    public var phases: [(name: String, seconds: Double)] = []

    public var records: Int { events + references + counts.totalSkips + counts.totalRejects }
}

/// Runs a pipeline: ingest every input, sessionise, commit to the store, publish exports.
///
/// Nothing reaches the store until every input has been read and passed its reject-rate
/// check; the ledger, sessions and summaries are then committed in one transaction, and
/// exports are published atomically afterwards.
public final class Runner {
    public let pipeline: PipelineDefinition
    public let options: RunOptions
    public weak var progress: ProgressSink?
    /// Called with one-line notices (key created, file already read) as they happen.
    public var onNotice: ((String) -> Void)?

    /// Bytes of a file's decompressed head that identify it across renames and compression.
    public static let fingerprintBytes = 4096

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
            notice("created a new master key in \(pipeline.keyFile) (mode 0600); keep it private and back it up: without it, pseudonyms cannot be recomputed")
            return key
        }
        return try MasterKey.load(path: pipeline.keyFile)
    }

    public func run() async throws(SillageError) -> RunReport {
        let started = Date()
        var report = RunReport()
        report.storePath = pipeline.store
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
            if !options.skipExports {
                let exportStart = Date()
                defer { report.phases.append(("export", Date().timeIntervalSince(exportStart))) }
                let scanner = PIIScanner()
                for export in pipeline.exports {
                    progress?.phase("publishing \(export.name)/\(export.recipient)/\(export.period.directoryName)")
                    report.exports.append(try Exporter.run(export, store: store, outputRoot: pipeline.output,
                                                           pipeline: pipeline, scanner: scanner))
                }
            }
            report.seconds = Date().timeIntervalSince(started)
            try store.finishRun(runID, status: "succeeded", summary: RunSummary.json(report).serialized(pretty: false))
        } catch {
            report.seconds = Date().timeIntervalSince(started)
            try? store.finishRun(runID, status: "failed", summary: JSONValue.object([("error", .string(error.description))]).serialized(pretty: false))
            throw error
        }
        return report
    }

    private func ingestAndCommit(store: Store, key: MasterKey, zone: ZoneRules, files: [[String]],
                                 report: inout RunReport) async throws(SillageError) {
        var streams: [String] = []
        for input in pipeline.inputs where !streams.contains(input.stream) { streams.append(input.stream) }
        guard streams.count <= Int(UInt8.max) else {
            throw SillageError.configuration("a pipeline names at most \(UInt8.max) streams, this one \(streams.count)")
        }
        let pseudonymiser = Pseudonymiser(key: key.bytes)
        let classifier = UserAgentClassifier(extraCrawlerTokens: pipeline.extraCrawlerTokens)
        let driver = IngestDriver(threads: options.threads, chunkSize: options.chunkSize)
        var objects = Interner()
        var events: [Event] = []
        var batch = Store.Batch()
        var seenThisRun: [String: String] = [:]
        var rejectSamples: [RejectFile.Sample] = []
        let ingestStart = Date()
        for (i, input) in pipeline.inputs.enumerated() {
            guard let stage = StageRegistry.ingest[input.type] else {
                throw SillageError.configuration("unknown input type \"\(input.type)\"", at: "\(input.location).type")
            }
            var context = IngestContext(zone: zone, pseudonymiser: pseudonymiser, classifier: classifier,
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
                let fingerprint = hexString(SHA256.hash(head)) + "-\(head.count)"
                if let earlier = seenThisRun[fingerprint] {
                    file.status = .alreadyRead
                    file.note = "same content as \(earlier), read earlier in this run"
                    notice("\(opened.displayName): same content as \(earlier); not read twice", &report)
                    report.files.append(file)
                    continue
                }
                seenThisRun[fingerprint] = opened.displayName
                let isStream = path == "-"
                var startOffset: Int64 = 0
                var startLine = 0
                var known = try store.ledgerEntry(fingerprint: fingerprint)
                if known == nil, !isStream, !opened.isGzip, let shorter = try store.ledgerEntry(path: opened.displayName, head: head) {
                    // The file was shorter than the fingerprint window when last read: same file, grown.
                    known = shorter
                    batch.retiredFingerprints.append(shorter.fingerprint)
                }
                if let entry = known {
                    let size = opened.file.size ?? 0
                    if opened.isGzip || entry.isGzip || isStream {
                        file.status = .alreadyRead
                        if entry.path == opened.displayName {
                            file.note = "already read"
                        } else {
                            // Rotated or compressed since: worth telling the operator.
                            file.note = "same content as \(entry.path), already read"
                            notice("\(opened.displayName): same content as \(entry.path), already read; skipped", &report)
                        }
                        report.files.append(file)
                        continue
                    }
                    if size == entry.offset {
                        file.status = .alreadyRead
                        file.note = "no new lines since the last run"
                        report.files.append(file)
                        continue
                    }
                    if size < entry.offset {
                        file.status = .shrunk
                        file.note = "shorter (\(size) bytes) than the \(entry.offset) bytes already read; left unread"
                        notice("\(opened.displayName): shorter than when last read (truncated?); left unread", &report)
                        report.files.append(file)
                        continue
                    }
                    try opened.file.seek(to: entry.offset)
                    opened.reader = opened.file
                    startOffset = entry.offset
                    startLine = Int(entry.lines)
                    file.status = .resumed
                    file.note = "resumed at byte \(entry.offset)"
                }
                let parsing = try stage.prepareFile(input, context, head, opened.displayName)
                let ingest = try await driver.ingest(
                    reader: opened.reader, displayName: opened.displayName, parsing: parsing,
                    startOffset: startOffset, startLine: startLine,
                    holdBackUnterminatedLine: !opened.isGzip && !isStream,
                    objects: &objects, progress: progress, rawBytesRead: { opened.file.bytesRead },
                    rawSize: opened.file.size)
                file.lines = ingest.lines
                file.events = ingest.events.count
                file.counts = ingest.counts
                file.rejectSamples = ingest.rejectSamples
                file.bytes = opened.file.bytesRead
                file.heldBackBytes = ingest.heldBackBytes
                for (i, sample) in ingest.rejectSamples.enumerated() {
                    rejectSamples.append(RejectFile.Sample(file: opened.displayName, line: sample.line, reason: sample.reason,
                                                           bytes: i < ingest.rejectedBytes.count ? ingest.rejectedBytes[i] : []))
                }
                do throws(SillageError) {
                    try checkRejectRate(ingest, input: input, file: opened.displayName)
                } catch {
                    let path = try? RejectFile.write(rejectSamples, store: pipeline.store, run: report.runID)
                    throw SillageError(error.kind, error.message, at: error.location,
                                       hint: (error.hint ?? "") + (path.map { "\n  the first rejected records are in \($0) (private, mode 0600)" } ?? ""))
                }
                events.append(contentsOf: ingest.events)
                batch.references += ingest.references
                report.references += ingest.references.count
                for (day, counts) in ingest.daily {
                    batch.daily[Store.DailyKey(day: day, stream: input.stream), default: DailyCounts()].add(counts)
                }
                report.counts.add(ingest.counts)
                report.bytesRead += opened.file.bytesRead
                report.files.append(file)
                if !isStream {
                    batch.ledger.append(LedgerEntry(fingerprint: fingerprint, path: opened.displayName, offset: ingest.endOffset,
                                                    lines: Int64(startLine + ingest.lines), isGzip: opened.isGzip))
                }
            }
        }
        report.rejectFile = try RejectFile.write(rejectSamples, store: pipeline.store, run: report.runID)
        report.events = events.count
        var phaseStart = Date()
        report.phases.append(("ingest", phaseStart.timeIntervalSince(ingestStart)))
        progress?.phase("sessionising \(events.count) events")
        let sessioniser = Sessioniser(inactivityMinutes: pipeline.inactivityMinutes)
        var carried = try store.carriedState()
        var latestByStream = [Int64](repeating: Int64.min, count: streams.count)
        for e in events where !e.isFact && e.time > latestByStream[Int(e.stream)] { latestByStream[Int(e.stream)] = e.time }
        for (i, latest) in latestByStream.enumerated() where latest != Int64.min {
            carried.clocks[streams[i]] = max(carried.clocks[streams[i]] ?? latest, latest)
        }
        let output = await sessioniser.run(events, streams: streams, strings: objects.strings, partitions: options.threads,
                                           recentViews: carried.recentViews)
        // Sessions that may still grow stay open; the others are final.
        let merged = CarriedState.merge(carried: carried.openSessions, new: output.sessions, gap: sessioniser.inactivityMillis,
                                        clocks: carried.clocks)
        batch.sessions = merged.closed
        batch.carried.openSessions = merged.open
        batch.carried.clocks = carried.clocks
        var views = carried.recentViews
        for (k, t) in output.facts.lastViews { views[k] = max(views[k] ?? t, t) }
        let latest = carried.clocks.values.max() ?? Int64.min
        batch.carried.recentViews = views.filter { $0.value >= latest - ActivityFacts.doubleClickMillis - CarriedState.latenessMillis }
        (batch.actorDays, batch.facts) = (output.days, output.facts)
        events = []
        report.sessions = output.sessions.count
        report.actorDays = batch.actorDays.count
        report.phases.append(("sessionise", Date().timeIntervalSince(phaseStart)))
        phaseStart = Date()
        progress?.phase("committing \(batch.sessions.count) sessions to \(pipeline.store)")
        try store.commit(batch, run: report.runID)
        report.phases.append(("commit", Date().timeIntervalSince(phaseStart)))
    }

    /// Fails the run (exit code 3) when a file's rejects exceed `maxRejectRate`.
    ///
    /// Files of fewer than 20 records fail only when every record is rejected, so that a
    /// single bad line in a tiny file does not stop a nightly run.
    func checkRejectRate(_ ingest: FileIngest, input: InputDefinition, file: String) throws(SillageError) {
        let records = ingest.records
        let rejects = ingest.counts.totalRejects
        guard records > 0, rejects > 0 else { return }
        let rate = Double(rejects) / Double(records)
        let fails = records >= 20 ? rate > pipeline.maxRejectRate : rejects == records
        guard fails else { return }
        let reasons = RejectReason.allCases.filter { ingest.counts[reject: $0] > 0 }
            .map { "\($0.name): \(ingest.counts[reject: $0])" }.joined(separator: ", ")
        let firstLines = ingest.rejectSamples.prefix(3).map { "line \($0.line)" }.joined(separator: ", ")
        throw SillageError.data(
            "\(Cell.formatDecimal(rate * 100, digits: 1))% of \(records) records rejected (\(reasons); first at \(firstLines)), over the limit of \(Cell.formatDecimal(pipeline.maxRejectRate * 100, digits: 1))%; nothing was committed",
            at: file,
            hint: "likely cause: " + FormatDiagnosis.likelyCause(declared: input.type, sample: ingest.rejectedBytes.first))
    }
}
