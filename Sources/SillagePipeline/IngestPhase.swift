import Foundation
import SillageCore
import SillagePrivacy
import SillageIngest
import SillageMetrics
import SillageStore

/// Reads every input file in batches: each batch is checked against the reject limit,
/// sessionised and handed to the commit queue while the next one is parsed.
///
/// Made after `--reprocess` has taken earlier contributions out, because it starts from
/// what the store holds then (opt-outs, the ledger, the latest views and sessions).
final class IngestPhase {
    private let pipeline: PipelineDefinition
    private let options: RunOptions
    private let plan: InputPlan
    private let zone: ZoneRules
    private let store: Store
    private let commits: CommitQueue
    private let pseudonymiser: Pseudonymiser
    private let classifier: UserAgentClassifier
    private let sessioniser: Sessioniser
    private let optOuts: OptOutFilter
    private let rejectLimit: RejectRateLimit
    private let sessionsBefore: Int
    private weak var progress: ProgressSink?
    private let onNotice: ((String) -> Void)?
    private var opener: FileOpener
    private var assembler: BatchAssembler
    private var objects = Interner(none: Publishable.none)
    private var rejectSamples: [RejectFile.Sample] = []
    /// Decompressed bytes read and to read in this run, for progress across its files.
    private var runBytes = RunBytes()
    private var expectedSizes: [String: Int64] = [:]
    /// The names met in this run and earlier ones, as keyed hashes (`KnownNames`).
    private(set) var names: KnownNames
    private var sessioniseSeconds = 0.0
    private var commitSeconds = 0.0

    init(
        pipeline: PipelineDefinition, options: RunOptions, plan: InputPlan, zone: ZoneRules, store: Store, commits: CommitQueue,
        key: MasterKey, progress: ProgressSink?, onNotice: ((String) -> Void)?
    ) throws(SillageError) {
        self.pipeline = pipeline
        self.options = options
        self.plan = plan
        self.zone = zone
        self.store = store
        self.commits = commits
        self.progress = progress
        self.onNotice = onNotice
        pseudonymiser = Pseudonymiser(key: key.bytes)
        classifier = UserAgentClassifier(
            extraCrawlerTokens: pipeline.extraCrawlerTokens, crawlerPatterns: try pipeline.crawlerList.map(CrawlerList.load) ?? [])
        sessioniser = Sessioniser(inactivityMinutes: pipeline.inactivityMinutes)
        rejectLimit = RejectRateLimit(maxRate: pipeline.maxRejectRate)
        sessionsBefore = try store.count("sessions")
        optOuts = OptOutFilter(actors: try store.optOuts())
        assembler = BatchAssembler(
            gap: sessioniser.inactivityMillis, recentViews: try store.recentViews(), latestSessionEnd: try store.latestSessionEnd())
        assembler.serverPathFloor = pipeline.serverPathFloor
        opener = FileOpener(ledger: try store.ledgerEntries())
        names = KnownNames(key: key, stored: try store.knownNames())
    }

    func run(report: inout RunReport) async throws(SillageError) {
        let start = Date()
        if progress != nil {
            let sizes = plan.allFiles.map { ($0, RunBytes.expectedSize($0)) }
            for case (let path, let size?) in sizes { expectedSizes[path] = size }
            runBytes.total = sizes.contains { $0.1 == nil } ? nil : sizes.reduce(0) { $0 + ($1.1 ?? 0) }
        }
        for (i, input) in pipeline.inputs.enumerated() {
            guard let stage = StageRegistry.ingest[input.type] else {
                throw SillageError.configuration("unknown input type \"\(input.type)\"", at: "\(input.location).type")
            }
            var context = IngestContext(
                zone: zone, pseudonymiser: pseudonymiser, classifier: classifier,
                streamIndex: plan.streamIndex(input.stream))
            context.optOuts = optOuts.actors
            for path in plan.files[i] {
                try await ingest(path, input: i, stage: stage, context: context, report: &report)
            }
        }
        try await waitForCommits()
        // A value stored before a name this run learnt was met (an earlier file or run) is
        // checked again now that the name is known.
        if !options.dryRun && !names.added.isEmpty {
            let start = Date()
            var known = names
            report.valuesRewritten = try store.rewriteValues { known.check($0) }
            commitSeconds += Date().timeIntervalSince(start)
        }
        for text in opener.truncationNotices() { notice(text, &report) }
        // A dry run leaves nothing behind, raw lines least of all.
        if !options.dryRun { report.rejectFile = try RejectFile.write(rejectSamples, store: pipeline.store, run: report.runID) }
        if !options.dryRun { report.sessions = try store.count("sessions") - sessionsBefore }
        let total = Date().timeIntervalSince(start)
        report.phases.append(("ingest", max(0, total - sessioniseSeconds - commitSeconds)))
        report.phases.append(("sessionise", sessioniseSeconds))
        report.phases.append(("commit", commitSeconds))
    }

    /// Time spent waiting for commits is the commit time that did not overlap parsing.
    private func waitForCommits() async throws(SillageError) {
        let start = Date()
        try await commits.wait()
        commitSeconds += Date().timeIntervalSince(start)
    }

    private func notice(_ text: String, _ report: inout RunReport) {
        report.notices.append(text)
        onNotice?(text)
    }

    private func ingest(
        _ path: String, input index: Int, stage: IngestStage, context: IngestContext, report: inout RunReport
    ) async throws(SillageError) {
        let input = pipeline.inputs[index]
        var file = FileReport(input: index, path: path, status: .read)
        var notices: [String] = []
        let identified = try opener.identify(path, report: &file, notices: &notices)
        for n in notices { notice(n, &report) }
        // What is not read this run is not to read.
        let expected = expectedSizes[path] ?? 0
        guard let identified else {
            runBytes.total = runBytes.total.map { $0 - expected }
            return report.files.append(file)
        }
        // The ledger is read only once the previous file's commits are in.
        try await waitForCommits()
        notices = []
        let window = try windowedReading(identified, report: &report)
        let positioned = try opener.position(identified, store: store, window: window, report: &file, notices: &notices)
        for n in notices { notice(n, &report) }
        guard var positioned else {
            runBytes.total = runBytes.total.map { $0 - expected }
            return report.files.append(file)
        }
        runBytes.total = runBytes.total.map { $0 - positioned.startOffset }
        let parsing = try prepare(positioned, path: path, input: input, stage: stage, context: context, report: &report)
        var tally = FileTally()
        var interner = objects
        var knownNames = names
        let opened = positioned.opened
        try await IngestDriver(threads: options.threads, chunkSize: options.chunkSize).ingest(
            reader: opened.reader, displayName: opened.displayName, parsing: parsing,
            startOffset: positioned.startOffset, startLine: positioned.startLine,
            holdBackUnterminatedLine: !opened.isGzip, sliceBytes: options.batchBytes,
            objects: &interner, names: &knownNames, progress: progress, runBytes: runBytes,
            onSlice: { (slice, objects) throws(SillageError) in
                try await self.absorb(slice, strings: objects.strings, file: &positioned, tally: &tally, input: input, report: &report)
            })
        objects = interner
        names = knownNames
        // The file's true size replaces its estimate (a multi-member gzip file's trailer
        // records its last member only).
        let read = max(0, positioned.entry.offset - positioned.startOffset)
        runBytes.done += read
        runBytes.total = runBytes.total.map { $0 - (expected - positioned.startOffset) + read }
        file.lines = tally.lines
        file.events = tally.events
        file.counts = tally.counts
        file.rejectSamples = tally.rejectSamples
        file.bytes = opened.file.bytesRead
        file.heldBackBytes = tally.heldBackBytes
        report.events += tally.events
        report.references += tally.references
        report.counts.add(tally.counts)
        report.bytesRead += opened.file.bytesRead
        report.files.append(file)
    }

    /// How the positioned file is read: its stage's parser under the file's window, a W3C
    /// file resumed past its head with the directive in force where it resumes.
    private func prepare(
        _ positioned: PositionedFile, path: String, input: InputDefinition, stage: IngestStage, context: IngestContext,
        report: inout RunReport
    ) throws(SillageError) -> FileParsing {
        var context = context
        context.window = positioned.window
        var parsing = try stage.prepareFile(input, context, positioned.head, positioned.displayName)
        if case .newlineWithDirectives(let prefix, _) = parsing.boundary, positioned.startOffset > 0, !positioned.isStream {
            let initial = try IngestPhase.directive(prefix, in: path, before: positioned.startOffset)
            parsing.boundary = .newlineWithDirectives(prefix: prefix, initial: initial)
        }
        if let text = parsing.notice { notice("\(positioned.displayName): \(text)", &report) }
        return parsing
    }

    /// The last line starting with `prefix` in the first `offset` (decompressed) bytes of
    /// `path`, which is read again from its start for it (a line boundary: committed offsets are).
    static func directive(_ prefix: [UInt8], in path: String, before offset: Int64) throws(SillageError) -> [UInt8] {
        var chunker = LineChunker(
            reader: try InputFiles.open(path).reader, boundary: .newlineWithDirectives(prefix: prefix, initial: []))
        var last: [UInt8] = []
        while let chunk = try chunker.next() {
            if chunk.offset >= offset { return chunk.context }
            let inside = Int(min(offset - chunk.offset, Int64(chunk.bytes.count)))
            last = LineChunker.lastLine(startingWith: prefix, in: Array(chunk.bytes[..<inside])) ?? chunk.context
            if chunk.offset + Int64(chunk.bytes.count) >= offset { return last }
        }
        return last
    }

    /// The days to read of a file: the run's window joined to the days an earlier windowed
    /// reading of the same content covered, whose contribution is taken out first (nil: all
    /// days). So a window then a full run, or two windows, count every record once.
    private func windowedReading(_ f: IdentifiedFile, report: inout RunReport) throws(SillageError) -> DayWindow? {
        let runWindow = options.window.map { DayWindow($0) }
        // A file shorter than the fingerprint window then has grown: found by path and head.
        var found = try store.windowedEntry(fingerprint: f.fingerprint)
        if found == nil && !f.isStream && !f.opened.isGzip {
            found = try store.windowedEntry(path: f.opened.displayName, head: f.head)
        }
        guard let (earlier, days) = found else { return runWindow }
        let name = f.opened.displayName
        guard !options.dryRun else { return runWindow.map { $0.union(days) } }
        let removal = try store.removeContribution(of: earlier, gap: Sessioniser(inactivityMinutes: pipeline.inactivityMinutes).inactivityMillis)
        try store.journal(
            "reprocess", subject: "contribution of \(name), read within --since/--until, removed to read it again",
            count: Int64(removal.sessions + removal.rows),
            details: .object([("sessions", .int(Int64(removal.sessions))), ("rows", .int(Int64(removal.rows)))]), run: report.runID)
        notice(
            runWindow == nil
                ? "\(name): read within --since/--until before; read again whole (\(removal.sessions) sessions and \(removal.rows) rows of that reading replaced)"
                : "\(name): read within --since/--until before; read again for those days and this run's", &report)
        return runWindow.map { $0.union(days) }
    }

    /// One slice of a file: opt-outs dropped, tallied, checked, sessionised, committed.
    private func absorb(
        _ parsed: FileIngest, strings: [Publishable], file: inout PositionedFile, tally: inout FileTally, input: InputDefinition,
        report: inout RunReport
    ) async throws(SillageError) {
        var slice = parsed
        optOuts.apply(to: &slice)
        for kept in tally.add(slice) {
            rejectSamples.append(
                RejectFile.Sample(
                    file: file.displayName, line: kept.sample.line, reason: kept.sample.reason, bytes: kept.bytes,
                    isStatement: kept.sample.isStatement))
        }
        do throws(SillageError) {
            try rejectLimit.check(tally, declaredType: input.type, file: file.displayName)
        } catch {
            let path = options.dryRun ? nil : try? RejectFile.write(rejectSamples, store: pipeline.store, run: report.runID)
            throw SillageError(
                error.kind, error.message, at: error.location,
                hint: (error.hint ?? "") + (path.map { "\n  the first rejected records are in \($0) (private, mode 0600)" } ?? ""))
        }
        var start = Date()
        progress?.phase("sessionising \(slice.events.count) events")
        let output = await sessioniser.run(
            slice.events, streams: plan.streams, strings: strings, partitions: options.threads, recentViews: assembler.recentViews)
        let batch = assembler.batch(
            output, slice: slice, stream: input.stream, strings: strings, ledger: file.ledger(after: slice, linesRead: tally.lines))
        if options.dryRun { report.sessions += output.sessions.count }
        report.actorDays += output.days.count
        sessioniseSeconds += Date().timeIntervalSince(start)
        start = Date()
        // Waits only for the previous batch's commit; this one overlaps the next parse.
        if !options.dryRun { try await commits.submit(batch) }
        report.batches += 1
        tally.committedSlices += 1
        commitSeconds += Date().timeIntervalSince(start)
    }
}
