import SillageCore

/// One line of the store's journal: what was purged, erased, accessed or exported, when, by which run.
public struct JournalEntry: Sendable, Equatable {
    public var id: Int64
    /// UTC instant, `2026-11-23T20:15:00Z`.
    public var at: String
    /// The run that did it, when it was a run (not `forget`, `access` or `purge`).
    public var run: Int64?
    /// `retention`, `erasure`, `access`, `export`, `reprocess`.
    public var action: String
    /// What it concerned, in words; never an identifier.
    public var subject: String
    /// How many rows, people or files.
    public var count: Int64
    /// Figures by kind, as a JSON object.
    public var details: String
}

/// The journal a data-protection officer reads to show that every promise was kept (SPEC §1).
///
/// Entries are only ever added. They name no person: erasures and access requests give
/// counts, not identifiers or pseudonyms.
extension Store {
    /// Appends an entry (inside the caller's transaction, if any) and returns its id.
    @discardableResult
    public func journal(
        _ action: String, subject: String, count: Int64, details: JSONValue = .object([]),
        run: Int64? = nil, at: String? = nil
    ) throws(SillageError) -> Int64 {
        try database.prepare("INSERT INTO journal(at, run_id, action, subject, count, details) VALUES (?, ?, ?, ?, ?, ?)")
            .bind([
                .text(at ?? Store.now()), run.map { .integer($0) } ?? .null, .text(action), .text(subject),
                .integer(count), .text(details.serialized(pretty: false)),
            ]).run()
        return database.lastInsertRowID
    }

    /// Journal entries, oldest first, optionally only one action.
    public func journalEntries(action: String? = nil) throws(SillageError) -> [JournalEntry] {
        let q = try database.prepare(
            """
            SELECT id, at, run_id, action, subject, count, details FROM journal
            WHERE ? IS NULL OR action = ? ORDER BY id
            """)
        q.bind([action.map { .text($0) } ?? .null, action.map { .text($0) } ?? .null])
        var out: [JournalEntry] = []
        while try q.step() {
            out.append(
                JournalEntry(
                    id: q.int(0), at: q.text(1), run: q.isNull(2) ? nil : q.int(2), action: q.text(3),
                    subject: q.text(4), count: q.int(5), details: q.text(6)))
        }
        return out
    }
}
