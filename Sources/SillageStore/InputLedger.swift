import SillageCore
import SillagePrivacy

/// What the ledger knows of an input already read.
public struct LedgerEntry: Sendable, Equatable {
    /// The ledger row's id, which every derived row names; nil until first committed.
    public var id: Int64?
    /// SHA-256 of the first decompressed bytes (up to 4 KiB) and their count: the content's
    /// identity across renames and compression.
    public var fingerprint: String
    /// Where it was last read.
    public var path: String
    /// Device and inode it was last read from: a file rewritten in place (copytruncate)
    /// keeps them while its fingerprint changes.
    public var device: UInt64
    public var inode: UInt64
    /// The file's size on disk when last read.
    public var size: Int64
    /// Decompressed bytes committed so far (the resume point).
    public var offset: Int64
    /// Lines committed so far, so line numbers stay right when a file is resumed.
    public var lines: Int64
    public var isGzip: Bool
    /// Read to its end and unable to grow (a gzip file read whole): never read again.
    public var complete: Bool

    public init(
        id: Int64? = nil, fingerprint: String, path: String, device: UInt64 = 0, inode: UInt64 = 0,
        size: Int64 = 0, offset: Int64, lines: Int64, isGzip: Bool, complete: Bool = false
    ) {
        self.id = id
        self.fingerprint = fingerprint
        self.path = path
        self.device = device
        self.inode = inode
        self.size = size
        self.offset = offset
        self.lines = lines
        self.isGzip = isGzip
        self.complete = complete
    }
}

extension Store {
    private static let ledgerColumns = "id, fingerprint, path, device, inode, size, offset, lines, is_gzip, complete"

    private func ledgerRows(where condition: String, _ values: [SQLiteStatement.Value]) throws(SillageError) -> [LedgerEntry] {
        let q = try database.prepare("SELECT \(Store.ledgerColumns) FROM inputs WHERE \(condition) ORDER BY id")
        q.bind(values)
        var out: [LedgerEntry] = []
        while try q.step() {
            out.append(
                LedgerEntry(
                    id: q.int(0), fingerprint: q.text(1), path: q.text(2),
                    device: UInt64(bitPattern: q.int(3)), inode: UInt64(bitPattern: q.int(4)),
                    size: q.int(5), offset: q.int(6), lines: q.int(7), isGzip: q.int(8) != 0,
                    complete: q.int(9) != 0))
        }
        return out
    }

    /// The entry of the content with this fingerprint, if it was read before.
    public func ledgerEntry(fingerprint: String) throws(SillageError) -> LedgerEntry? {
        try ledgerRows(where: "fingerprint = ?", [.text(fingerprint)]).first
    }

    /// What a run under `--since`/`--until` read of this content: an entry of its own
    /// (`<fingerprint>#w:<window>`), so that the file's own entry stays where full reads
    /// left it and a later run can take the windowed reading back out and read again.
    public func windowedEntry(fingerprint: String) throws(SillageError) -> (entry: LedgerEntry, window: DayWindow)? {
        let prefix = fingerprint + Store.windowMark
        for entry in try ledgerRows(where: "substr(fingerprint, 1, ?) = ?", [.integer(Int64(prefix.utf8.count)), .text(prefix)]) {
            if let window = DayWindow(parsing: entry.fingerprint.dropFirst(prefix.count)) { return (entry, window) }
        }
        return nil
    }

    /// The windowed reading of a file read at `path` while it was shorter than the
    /// fingerprint window, if `head` still starts with what was fingerprinted then (as
    /// `ledgerEntry(path:head:)` finds the file's own entry).
    public func windowedEntry(path: String, head: [UInt8]) throws(SillageError) -> (entry: LedgerEntry, window: DayWindow)? {
        for entry in try ledgerRows(where: "path = ? AND instr(fingerprint, ?) > 0", [.text(path), .text(Store.windowMark)]) {
            let parts = entry.fingerprint.split(separator: "#", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("w:"), Store.isShorterPrefix(of: head, fingerprint: parts[0]),
                let window = DayWindow(parsing: parts[1].dropFirst(2))
            else { continue }
            return (entry, window)
        }
        return nil
    }

    /// The fingerprint under which a windowed reading of `fingerprint` is kept.
    public static func windowedFingerprint(_ fingerprint: String, _ window: DayWindow) -> String {
        fingerprint + windowMark + window.description
    }

    static let windowMark = "#w:"

    /// The entry of a file read at `path` while it was shorter than the fingerprint window,
    /// if `head` (the file's first bytes now) still starts with what was fingerprinted then.
    public func ledgerEntry(path: String, head: [UInt8]) throws(SillageError) -> LedgerEntry? {
        try ledgerRows(where: "path = ? AND instr(fingerprint, '#') = 0", [.text(path)]).first {
            Store.isShorterPrefix(of: head, fingerprint: $0.fingerprint[...])
        }
    }

    /// True when `fingerprint` is that of fewer bytes than `head` holds, and of its first ones:
    /// the same file, read while shorter, since grown.
    static func isShorterPrefix(of head: [UInt8], fingerprint: Substring) -> Bool {
        guard let dash = fingerprint.lastIndex(of: "-"), let length = Int(fingerprint[fingerprint.index(after: dash)...]),
            length < head.count
        else { return false }
        return Store.fingerprint(head.prefix(length)) == fingerprint
    }

    /// Every entry, oldest first.
    public func ledgerEntries() throws(SillageError) -> [LedgerEntry] {
        try ledgerRows(where: "1", [])
    }

    /// Entries last read at `path`, oldest first.
    public func ledgerEntries(path: String) throws(SillageError) -> [LedgerEntry] {
        try ledgerRows(where: "path = ? AND instr(fingerprint, '#') = 0", [.text(path)])
    }

    /// The fingerprint of a file whose first bytes are `head`.
    public static func fingerprint<C: Collection>(_ head: C) -> String where C.Element == UInt8 {
        hexString(SHA256.hash(Array(head))) + "-\(head.count)"
    }

    /// Writes `entry` (inside the caller's transaction) and returns its id.
    func writeLedger(_ entry: LedgerEntry, run: Int64) throws(SillageError) -> Int64 {
        let values: [SQLiteStatement.Value] = [
            .text(entry.fingerprint), .text(entry.path), .integer(Int64(bitPattern: entry.device)),
            .integer(Int64(bitPattern: entry.inode)), .integer(entry.size), .integer(entry.offset), .integer(entry.lines),
            .integer(entry.isGzip ? 1 : 0), .integer(entry.complete ? 1 : 0), .integer(run),
        ]
        if let id = entry.id {
            try database.prepare(
                """
                UPDATE inputs SET fingerprint = ?, path = ?, device = ?, inode = ?, size = ?, offset = ?, lines = ?,
                    is_gzip = ?, complete = ?, run_id = ? WHERE id = ?
                """
            ).bind(values + [.integer(id)]).run()
            return id
        }
        // A later batch of a new input may be prepared before the first one committed: it
        // finds the row by fingerprint.
        try database.prepare(
            """
            INSERT INTO inputs(fingerprint, path, device, inode, size, offset, lines, is_gzip, complete, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(fingerprint) DO UPDATE SET path = excluded.path, device = excluded.device, inode = excluded.inode,
                size = excluded.size, offset = excluded.offset, lines = excluded.lines, is_gzip = excluded.is_gzip,
                complete = excluded.complete, run_id = excluded.run_id
            """
        ).bind(values).run()
        let id = try database.prepare("SELECT id FROM inputs WHERE fingerprint = ?")
        id.bind([.text(entry.fingerprint)])
        _ = try id.step()
        let found = id.int(0)
        id.reset()
        return found
    }
}
