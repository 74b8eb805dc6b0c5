import SillageCore
import SillageIngest
import SillageMetrics

/// What the slices of one file added up to so far.
struct FileTally {
    var lines = 0
    var events = 0
    var references = 0
    var counts = OutcomeCounts()
    var rejectSamples: [RejectSample] = []
    var rejectedBytes: [[UInt8]] = []
    var heldBackBytes = 0
    var endOffset: Int64 = 0
    /// Slices of this file handed to the commit queue.
    var committedSlices = 0

    /// Records of the file: directive lines of W3C logs are not.
    var records: Int { events + references + counts.totalSkips - counts[skip: .directive] + counts.totalRejects }

    /// Adds one slice; returns the slice's reject samples not yet kept (for the reject file).
    mutating func add(_ slice: FileIngest) -> [(sample: RejectSample, bytes: [UInt8])] {
        lines += slice.lines
        counts.add(slice.counts)
        var kept: [(sample: RejectSample, bytes: [UInt8])] = []
        for (k, sample) in slice.rejectSamples.enumerated() where rejectSamples.count < ChunkResult.maxSamples {
            let bytes = k < slice.rejectedBytes.count ? slice.rejectedBytes[k] : []
            rejectSamples.append(sample)
            rejectedBytes.append(bytes)
            kept.append((sample, bytes))
        }
        heldBackBytes = slice.heldBackBytes
        endOffset = slice.endOffset
        events += slice.events.count
        references += slice.references.count
        return kept
    }
}

/// The pipeline's `maxRejectRate`, checked before each batch of a file is committed.
struct RejectRateLimit {
    var maxRate: Double

    /// Fails (exit code 3) when the file's rejects so far exceed the limit.
    ///
    /// Files of fewer than 20 records fail only when every record is rejected, so that a
    /// single bad line in a tiny file does not stop a nightly run.
    func check(_ tally: FileTally, declaredType: String, file: String) throws(SillageError) {
        let records = tally.records
        let rejects = tally.counts.totalRejects
        guard records > 0, rejects > 0 else { return }
        let rate = Double(rejects) / Double(records)
        let fails = records >= 20 ? rate > maxRate : rejects == records
        guard fails else { return }
        let reasons = RejectReason.allCases.filter { tally.counts[reject: $0] > 0 }
            .map { "\($0.name): \(tally.counts[reject: $0])" }.joined(separator: ", ")
        let firstLines = tally.rejectSamples.prefix(3).map(\.position).joined(separator: ", ")
        let committed =
            tally.committedSlices == 0
            ? "nothing of this file was committed"
            : "the first \(tally.committedSlices) batch(es) of this file, under the limit when checked, were committed; run with --reprocess \(file) once the cause is fixed"
        throw SillageError.data(
            "\(Cell.formatDecimal(rate * 100, digits: 1))% of \(records) records rejected (\(reasons); first at \(firstLines)), over the limit of \(Cell.formatDecimal(maxRate * 100, digits: 1))%; \(committed)",
            at: file,
            hint: "likely cause: " + FormatDiagnosis.likelyCause(declared: declaredType, sample: tally.rejectedBytes.first))
    }
}
