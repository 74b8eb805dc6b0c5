import SillageCore
import SillageMetrics
import SillageExport

/// Renders a run report as the closing summary text or as the `--json` run report.
public enum RunSummary {
    static func countsJSON(_ counts: OutcomeCounts) -> (JSONValue, JSONValue) {
        let skips = JSONValue.object(SkipReason.allCases.filter { counts[skip: $0] > 0 }.map { ($0.name, .int(Int64(counts[skip: $0]))) })
        let rejects = JSONValue.object(RejectReason.allCases.filter { counts[reject: $0] > 0 }.map { ($0.name, .int(Int64(counts[reject: $0]))) })
        return (skips, rejects)
    }

    public static func json(_ r: RunReport) -> JSONValue {
        let (skips, rejects) = countsJSON(r.counts)
        return .object([
            ("run", .int(r.runID)),
            ("store", .string(r.storePath)),
            ("dryRun", .bool(r.dryRun)),
            ("seconds", .double((r.seconds * 1000).rounded() / 1000)),
            ("phases", .object(r.phases.map { ($0.name, .double(($0.seconds * 1000).rounded() / 1000)) })),
            ("bytesRead", .int(r.bytesRead)),
            ("records", .int(Int64(r.records))),
            ("events", .int(Int64(r.events))),
            ("referenceRows", .int(Int64(r.references))),
            ("skips", skips),
            ("rejects", rejects),
            ("sessions", .int(Int64(r.sessions))),
            ("learnerDays", .int(Int64(r.actorDays))),
            ("batches", .int(Int64(r.batches))),
            ("valuesRewritten", .int(Int64(r.valuesRewritten))),
            ("files", .array(r.files.map(fileJSON))),
            ("exports", .array(r.exports.map(exportJSON))),
            (
                "reports",
                .array(
                    r.reports.map {
                        .object([
                            ("kind", .string($0.kind.rawValue)), ("directory", .string($0.directory)),
                            ("files", .array($0.files.map { .string($0) })),
                        ])
                    })
            ),
            ("rejectFile", r.rejectFile.map { .string($0) } ?? .null),
            ("retention", r.retention.map(retentionJSON) ?? .null),
            ("notices", .array(r.notices.map { .string($0) })),
        ])
    }

    static func fileJSON(_ f: FileReport) -> JSONValue {
        let (s, j) = countsJSON(f.counts)
        var members: [(String, JSONValue)] = [
            ("input", .int(Int64(f.input))), ("path", .string(f.path)), ("status", .string(f.status.rawValue)),
            ("lines", .int(Int64(f.lines))), ("events", .int(Int64(f.events))), ("skips", s), ("rejects", j),
            (
                "rejectSamples",
                .array(
                    f.rejectSamples.map {
                        .object([($0.isStatement ? "statement" : "line", .int(Int64($0.line))), ("reason", .string($0.reason.name))])
                    })
            ),
        ]
        if f.heldBackBytes > 0 { members.append(("heldBackBytes", .int(Int64(f.heldBackBytes)))) }
        if let note = f.note { members.append(("note", .string(note))) }
        return .object(members)
    }

    static func exportJSON(_ e: ExportOutcome) -> JSONValue {
        .object([
            ("directory", .string(e.directory)),
            ("files", .array(e.files.map { .string($0) })),
            ("suppressedCells", .int(Int64(e.suppression.reduce(0) { $0 + $1.cellsSuppressed }))),
        ])
    }

    static func retentionJSON(_ t: RetentionOutcome) -> JSONValue {
        .object([
            ("keptFromDay", .string(t.keptFromDay)),
            ("purged", .object(t.purged.sorted(by: { $0.key < $1.key }).map { ($0.key, .int(Int64($0.value))) })),
            ("anonymisedLearners", .int(Int64(t.anonymisedLearners))),
            ("rejectFilesDeleted", .int(Int64(t.rejectFilesDeleted))),
        ])
    }

    public static func text(_ r: RunReport) -> String {
        var lines: [String] = []
        let mb = Double(r.bytesRead) / 1_000_000
        let rate = r.seconds > 0 ? mb / r.seconds : 0
        lines.append(
            "run \(r.runID): \(r.files.count) file(s), \(Cell.formatDecimal(mb, digits: 1)) MB in \(Cell.formatDecimal(r.seconds, digits: 2)) s (\(Cell.formatDecimal(rate, digits: 1)) MB/s)"
        )
        lines.append(
            "  records  \(r.records): \(r.events) events\(r.references > 0 ? ", \(r.references) reference rows" : ""), \(r.counts.totalSkips) skipped, \(r.counts.totalRejects) rejected"
        )
        let skips = SkipReason.allCases.filter { r.counts[skip: $0] > 0 }.map { "\($0.name) \(r.counts[skip: $0])" }
        if !skips.isEmpty { lines.append("  skipped  " + skips.joined(separator: ", ")) }
        let rejects = RejectReason.allCases.filter { r.counts[reject: $0] > 0 }.map { "\($0.name) \(r.counts[reject: $0])" }
        if !rejects.isEmpty { lines.append("  rejected " + rejects.joined(separator: ", ")) }
        for f in r.files where f.counts.totalRejects > 0 {
            let where_ = f.rejectSamples.prefix(5).map { "\($0.line) (\($0.reason.name))" }.joined(separator: ", ")
            let unit = f.rejectSamples.first?.isStatement == true ? "statement" : "line"
            lines.append("           \(f.path): \(unit) \(where_)\(f.counts.totalRejects > 5 ? ", …" : "")")
        }
        if let path = r.rejectFile { lines.append("           first rejected records in \(path) (private)") }
        for f in r.files where f.status != .read || f.heldBackBytes > 0 || f.note != nil {
            var note = f.note ?? f.status.rawValue
            if f.heldBackBytes > 0 {
                note += (f.note == nil ? "" : "; ") + "\(f.heldBackBytes) bytes of an unfinished last line left for the next run"
            }
            if f.status == .read && f.note == nil { note = "\(f.heldBackBytes) bytes of an unfinished last line left for the next run" }
            lines.append("  file     \(f.path): \(note)")
        }
        lines.append(
            "  sessions \(r.sessions) new, \(r.actorDays) learner-days, "
                + (r.dryRun ? "not committed (dry run)" : "committed to \(r.storePath) in \(r.batches) batch\(r.batches == 1 ? "" : "es")"))
        if let t = r.retention, t.total > 0 {
            let purged = t.purged.values.reduce(0, +)
            lines.append(
                "  retention \(purged) rows from before \(t.keptFromDay) purged, \(t.anonymisedLearners) inactive learner(s) anonymised, \(t.rejectFilesDeleted) old reject file(s) deleted"
            )
        }
        for e in r.exports {
            let suppressed = e.suppression.reduce(0) { $0 + $1.cellsSuppressed }
            lines.append(
                "  export   \(e.directory)/ (\(e.files.count) files, \(suppressed) cells suppressed\(e.replaced ? ", replacing the earlier one" : ""))"
            )
        }
        for rep in r.reports {
            lines.append("  report   \(rep.directory)/ (\(rep.kind.rawValue), \(rep.files.count) files)")
        }
        return lines.joined(separator: "\n")
    }
}
