import SillageCore
import SillageStore

/// How a run treats one input file, decided from the ledger before reading it.
enum ResumePlan {
    /// Not read: already read whole, no new bytes, or shorter than what was read.
    case skip(FileReport.Status, note: String, notice: String?)
    /// Read from `offset` (decompressed bytes), continuing `entry` (new when its id is nil).
    case read(entry: LedgerEntry, offset: Int64, line: Int, status: FileReport.Status, note: String?, notice: String?)

    /// Decides from what the store knows of this content and of this file.
    ///
    /// - A fingerprint read before is the same content, whatever its name now: gzip files
    ///   and finished inputs are not read again; a plain file resumes at the committed offset
    ///   (a rotated `access.log.1` picks up the lines written after the last run); a gzip
    ///   file that was plain when last read resumes at the same decompressed offset.
    /// - Standard input is known by its content like a file: the same stream piped again
    ///   reads past what was committed and counts nothing twice; a longer one (a log that
    ///   grew) reads its new lines.
    /// - A file shorter than the 4 KiB fingerprint window when last read is recognised by
    ///   its path and the prefix of its head.
    /// - New content in a file (device and inode, as the ledger knew them when the run began)
    ///   under another fingerprint means the file was truncated and rewritten in place (`copytruncate`): it is read
    ///   from the start, and the operator is told where the earlier content's tail went.
    static func decide(
        store: Store, fingerprint: String, head: [UInt8], path: String, isGzip: Bool, isStream: Bool,
        size: Int64, device: UInt64, inode: UInt64,
        sameFileAtStart: [LedgerEntry]
    ) throws(SillageError) -> ResumePlan {
        var fresh = LedgerEntry(
            fingerprint: fingerprint, path: path, device: device, inode: inode, size: size,
            offset: 0, lines: 0, isGzip: isGzip)
        var known = try store.ledgerEntry(fingerprint: fingerprint)
        if known == nil, !isGzip, let shorter = try store.ledgerEntry(path: path, head: head) {
            // Read while shorter than the fingerprint window: same file, grown. It keeps its
            // ledger row (and so its contribution) under the longer fingerprint.
            known = shorter
            known!.fingerprint = fingerprint
        }
        guard let entry = known else {
            var note: String? = nil, notice: String? = nil
            if !isStream, let earlier = sameFileAtStart.last(where: { $0.path == path && !$0.isGzip }) {
                note = "new content since the last run (truncated in place, e.g. by copytruncate); read from the start"
                notice =
                    "\(path): truncated and rewritten in place since the last run; read from the start. Lines added to its earlier content after byte \(earlier.offset) are read only if the rotated copy (e.g. \(path).1) is among the inputs"
            }
            return .read(entry: fresh, offset: 0, line: 0, status: .read, note: note, notice: notice)
        }
        let renamed = entry.path != path
        if entry.complete {
            let note = renamed ? "same content as \(entry.path), already read" : "already read"
            return .skip(.alreadyRead, note: note, notice: renamed ? "\(path): same content as \(entry.path), already read; skipped" : nil)
        }
        // A stream's size is unknown: it is read past what was read, like a gzip file.
        if !isGzip && !isStream {
            if size == entry.offset { return .skip(.alreadyRead, note: "no new lines since the last run", notice: nil) }
            if size < entry.offset {
                return .skip(
                    .shrunk, note: "shorter (\(size) bytes) than the \(entry.offset) bytes already read; left unread",
                    notice: "\(path): shorter than when last read (truncated?); left unread — use --reprocess \(path) to read it again from the start"
                )
            }
        }
        let (offset, line, previousPath) = (entry.offset, Int(entry.lines), entry.path)
        fresh.id = entry.id
        if offset == 0 { return .read(entry: fresh, offset: 0, line: 0, status: .read, note: nil, notice: nil) }
        let note = renamed ? "was \(previousPath) when last read; resumed at byte \(offset)" : "resumed at byte \(offset)"
        return .read(entry: fresh, offset: offset, line: line, status: .resumed, note: note, notice: nil)
    }
}
