import SillageCore
import SillageStore

/// A file on disk, as `stat` names it.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64
}

/// An input file opened and recognised by its first bytes, before the ledger is consulted.
struct IdentifiedFile {
    var opened: OpenedInput
    var head: [UInt8]
    var fingerprint: String
    var isStream: Bool
    var identity: FileIdentity
}

/// A file positioned where this run starts reading it, with the ledger row it advances.
struct PositionedFile {
    var opened: OpenedInput
    var head: [UInt8]
    var isStream: Bool
    var entry: LedgerEntry
    var startOffset: Int64
    var startLine: Int
    /// The days read of this file (`--since`/`--until`, with the days an earlier windowed
    /// reading covered); nil for all.
    var window: DayWindow? = nil

    var displayName: String { opened.displayName }

    /// The ledger row once `slice` is committed. Standard input has one too, under its
    /// content's fingerprint, so the same stream piped again is not counted twice.
    mutating func ledger(after slice: FileIngest, linesRead: Int) -> LedgerEntry? {
        entry.offset = slice.endOffset
        entry.lines = Int64(startLine + linesRead)
        entry.size = opened.file.size ?? 0
        // A gzip file read whole cannot grow; a stream of one can come again longer.
        entry.complete = slice.isLast && opened.isGzip && !isStream
        entry.isGzip = opened.isGzip
        return entry
    }
}

/// Plans where each input file is read from: content seen earlier in this run is not read
/// twice, and the ledger (`ResumePlan`) decides between skipping, resuming and reading anew.
struct FileOpener {
    /// Fingerprint → name of the file read with that content in this run.
    private var seenThisRun: [String: String] = [:]
    /// Files as the ledger knew them before this run moved any entry to a rotated name.
    private let ledgerAtStart: [FileIdentity: [LedgerEntry]]
    private var truncatedInPlace: [(path: String, notice: String, earlier: [String])] = []

    init(ledger: [LedgerEntry]) {
        var byFile: [FileIdentity: [LedgerEntry]] = [:]
        for entry in ledger where entry.device != 0 || entry.inode != 0 {
            byFile[FileIdentity(device: entry.device, inode: entry.inode), default: []].append(entry)
        }
        ledgerAtStart = byFile
    }

    /// Opens `path` and reads its head; nil when it is empty or holds content already read
    /// in this run (`report` then says so).
    mutating func identify(_ path: String, report: inout FileReport, notices: inout [String]) throws(SillageError) -> IdentifiedFile? {
        var opened = try InputFiles.open(path)
        let peeker = PeekingReader(opened.reader)
        let head = try peeker.peek(LineChunkerDefaults.fingerprintBytes)
        opened.reader = peeker
        report.path = opened.displayName
        if head.isEmpty {
            report.note = "empty file"
            return nil
        }
        let fingerprint = Store.fingerprint(head)
        if let earlier = seenThisRun[fingerprint] {
            report.status = .alreadyRead
            report.note = "same content as \(earlier), read earlier in this run"
            notices.append("\(opened.displayName): same content as \(earlier); not read twice")
            return nil
        }
        seenThisRun[fingerprint] = opened.displayName
        // A pipe's inode is reused by the next pipe: standard input is known by content only.
        let (device, inode) = path == "-" ? (UInt64(0), UInt64(0)) : opened.file.identity
        return IdentifiedFile(
            opened: opened, head: head, fingerprint: fingerprint, isStream: path == "-",
            identity: FileIdentity(device: device, inode: inode))
    }

    /// Decides from the store's ledger where reading starts and positions the reader there;
    /// nil when the file is not read this time.
    mutating func position(
        _ f: IdentifiedFile, store: Store, window: DayWindow?, report: inout FileReport, notices: inout [String]
    ) throws(SillageError) -> PositionedFile? {
        var opened = f.opened
        let earlierEntries = ledgerAtStart[f.identity] ?? []
        let plan = try ResumePlan.decide(
            store: store, fingerprint: f.fingerprint, head: f.head, path: opened.displayName,
            isGzip: opened.isGzip, isStream: f.isStream, size: opened.file.size ?? 0,
            device: f.identity.device, inode: f.identity.inode, sameFileAtStart: earlierEntries)
        switch plan {
        case .skip(let status, let note, let text):
            report.status = status
            report.note = note
            if let text { notices.append(text) }
            return nil
        case .read(let entry, let offset, let line, let status, let note, let text):
            report.status = status
            report.note = note
            if let text { truncatedInPlace.append((opened.displayName, text, earlierEntries.map(\.fingerprint))) }
            if offset > 0 {
                // Neither a gzip file nor a stream can seek: what was read is read past.
                if opened.isGzip || f.isStream {
                    opened.reader = SkippingReader(opened.reader, skipping: offset, displayName: opened.displayName)
                } else {
                    try opened.file.seek(to: offset)
                    opened.reader = opened.file
                }
            }
            // A windowed reading advances an entry of its own: the file's entry stays where
            // full reads left it, so the days outside the window are read by a later run.
            var advanced = entry
            if let window {
                advanced = LedgerEntry(
                    fingerprint: Store.windowedFingerprint(f.fingerprint, window), path: entry.path, size: entry.size, offset: offset,
                    lines: Int64(line), isGzip: entry.isGzip)
            }
            return PositionedFile(
                opened: opened, head: f.head, isStream: f.isStream, entry: advanced, startOffset: offset, startLine: line, window: window)
        }
    }

    /// What to say of files truncated in place, once it is known whether their rotated copy
    /// was read in this run too.
    func truncationNotices() -> [String] {
        truncatedInPlace.map { (path, text, earlier) in
            let rotatedCopy = earlier.compactMap { seenThisRun[$0] }.first { $0 != path }
            return rotatedCopy.map {
                "\(path): truncated and rewritten in place since the last run (copytruncate); read from the start, and its earlier content was found in \($0)"
            } ?? text
        }
    }
}
