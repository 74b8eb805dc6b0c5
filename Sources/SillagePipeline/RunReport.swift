import Foundation
import SillageCore
import SillageExport

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
    /// Stored values rewritten because they held a name this run learnt (`Store.rewriteValues`).
    public var valuesRewritten = 0
    /// What the retention policy removed on this run (nil on a dry run).
    public var retention: RetentionOutcome? = nil
    public var exports: [ExportOutcome] = []
    public var reports: [ReportOutcome] = []
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
