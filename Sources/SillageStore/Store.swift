#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import SillageCore
import SillagePrivacy
import SillageMetrics

/// The Sillage store: one SQLite file (WAL) holding the run journal, the input ledger,
/// pseudonymous sessions and learner-day summaries (SPEC §2). It never holds a raw identifier.
///
/// One process at a time: opening takes an exclusive lock on `<store>.lock`, and a second
/// run on the same store fails at once with a message naming the holder.
public final class Store {
    public static let schemaVersion = 7
    public let path: String
    /// The SQLite connection: the store's own (other layers go through the store's methods,
    /// so nothing else writes rows that the store would read back as admitted values).
    let database: SQLiteDatabase
    private let lockDescriptor: Int32
    /// Extent of the stored sessions per stream (first start, last end), loaded on first use:
    /// a new part far from it cannot join a stored session, so its lookup is skipped.
    var spans: [String: (first: Int64, last: Int64)]? = nil

    /// Opens or creates the store at `path`, creating its directory (mode 0700).
    public init(path: String) throws(SillageError) {
        self.path = path
        try makeDirectories(parentOf: path, mode: 0o700)
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            throw SillageError.runtime(
                "cannot create the store lock: \(systemErrorText(code))", at: lockPath,
                hint: "the store's directory must be writable")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var holder = ""
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 32, 0)
            if n > 0 { holder = " (pid \(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))" }
            close(fd)
            throw SillageError.runtime(
                "another sillage process is using this store\(holder)", at: path,
                hint: "wait for it to finish; runs on one store never overlap")
        }
        let pid = "\(getpid())\n"
        ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        lockDescriptor = fd
        do {
            try Store.restrictFile(path)
            database = try SQLiteDatabase(path: path)
            try migrate()
            if Failpoints.isOn("store-full") {
                // As on a full disk: the file may not grow past its current size.
                try database.execute("PRAGMA max_page_count = 1")
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        flock(lockDescriptor, LOCK_UN)
        close(lockDescriptor)
    }

    private func migrate() throws(SillageError) {
        let hasMeta = try database.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
        _ = try hasMeta.step()
        let exists = hasMeta.int(0) > 0
        hasMeta.reset()
        if exists, case let version = try database.prepare("SELECT value FROM meta WHERE key = 'schema'"), try version.step() {
            let found = Int(version.text(0)) ?? 0
            version.reset()
            if (3...6).contains(found) {
                // Schema 4 adds the privacy-budget ledger, schema 5 the known names, schema 6
                // the microdata releases, schema 7 the learners' days per course (reports).
                try database.transaction { () throws(SillageError) in
                    if found == 3 { try database.execute(Store.budgetTable) }
                    try database.execute(Store.namesTable)
                    try database.execute(Store.microdataTable)
                    try database.execute(Store.courseDaysTable)
                    try database.execute("UPDATE meta SET value = '\(Store.schemaVersion)' WHERE key = 'schema'")
                }
                return
            }
            guard found == Store.schemaVersion else {
                throw SillageError.runtime(
                    "the store has schema version \(found), this sillage expects \(Store.schemaVersion)",
                    at: path, hint: "use the sillage version that created it, or start a new store")
            }
            return
        }
        // Every derived row names the input it came from (`input`, the ledger id; 0 for
        // standard input), so that `--reprocess` can take one file's contribution back out.
        // A session made from several inputs says -1 and keeps its parts in `session_parts`.
        try database.transaction { () throws(SillageError) in
            try database.execute(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    status TEXT NOT NULL,
                    pipeline_sha256 TEXT NOT NULL,
                    summary TEXT
                );
                CREATE TABLE inputs (
                    id INTEGER PRIMARY KEY,
                    fingerprint TEXT NOT NULL UNIQUE,
                    path TEXT NOT NULL,
                    device INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    offset INTEGER NOT NULL,
                    lines INTEGER NOT NULL,
                    is_gzip INTEGER NOT NULL,
                    complete INTEGER NOT NULL,
                    run_id INTEGER NOT NULL REFERENCES runs(id)
                );
                CREATE TABLE sessions (
                    stream TEXT NOT NULL, actor BLOB NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
                    day INTEGER NOT NULL, events INTEGER NOT NULL, pages INTEGER NOT NULL, agent TEXT NOT NULL,
                    input INTEGER NOT NULL,
                    PRIMARY KEY (stream, actor, start_ms)
                ) WITHOUT ROWID;
                CREATE TABLE session_parts (
                    stream TEXT NOT NULL, actor BLOB NOT NULL, start_ms INTEGER NOT NULL, input INTEGER NOT NULL,
                    end_ms INTEGER NOT NULL, day INTEGER NOT NULL, events INTEGER NOT NULL, pages INTEGER NOT NULL,
                    agent TEXT NOT NULL,
                    PRIMARY KEY (stream, actor, start_ms, input)
                ) WITHOUT ROWID;
                CREATE TABLE stream_spans (stream TEXT PRIMARY KEY, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL);
                CREATE TABLE recent_views (
                    actor BLOB NOT NULL, object TEXT NOT NULL, last_ms INTEGER NOT NULL, PRIMARY KEY (actor, object)
                ) WITHOUT ROWID;
                CREATE TABLE daily_counts (
                    day INTEGER NOT NULL, stream TEXT NOT NULL, measure TEXT NOT NULL, input INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (day, stream, measure, input)
                ) WITHOUT ROWID;
                CREATE TABLE actor_days (
                    stream TEXT NOT NULL, actor BLOB NOT NULL, day INTEGER NOT NULL, input INTEGER NOT NULL,
                    events INTEGER NOT NULL, pages INTEGER NOT NULL,
                    PRIMARY KEY (stream, actor, day, input)
                ) WITHOUT ROWID;
                CREATE TABLE enrolments (
                    course TEXT NOT NULL, actor BLOB NOT NULL, input INTEGER NOT NULL, first_ms INTEGER NOT NULL,
                    PRIMARY KEY (course, actor, input)
                ) WITHOUT ROWID;
                CREATE TABLE completions (
                    course TEXT NOT NULL, actor BLOB NOT NULL, input INTEGER NOT NULL, completed_ms INTEGER NOT NULL,
                    PRIMARY KEY (course, actor, input)
                ) WITHOUT ROWID;
                CREATE TABLE course_activity (
                    course TEXT NOT NULL, actor BLOB NOT NULL, input INTEGER NOT NULL, first_ms INTEGER NOT NULL,
                    last_ms INTEGER NOT NULL, events INTEGER NOT NULL,
                    PRIMARY KEY (course, actor, input)
                ) WITHOUT ROWID;
                CREATE TABLE activity_completions (
                    object TEXT NOT NULL, actor BLOB NOT NULL, input INTEGER NOT NULL, course TEXT NOT NULL,
                    completed_ms INTEGER NOT NULL,
                    PRIMARY KEY (object, actor, input)
                ) WITHOUT ROWID;
                CREATE TABLE content_views (
                    object TEXT NOT NULL, week INTEGER NOT NULL, actor BLOB NOT NULL, input INTEGER NOT NULL,
                    course TEXT NOT NULL, views INTEGER NOT NULL,
                    PRIMARY KEY (object, week, actor, input)
                ) WITHOUT ROWID;
                CREATE TABLE searches (
                    term TEXT NOT NULL, day INTEGER NOT NULL, actor BLOB NOT NULL, input INTEGER NOT NULL,
                    searches INTEGER NOT NULL, failed INTEGER NOT NULL,
                    PRIMARY KEY (term, day, actor, input)
                ) WITHOUT ROWID;
                CREATE TABLE catalogue (
                    key TEXT PRIMARY KEY, course TEXT NOT NULL, name TEXT NOT NULL, position INTEGER, input INTEGER NOT NULL
                );
                CREATE TABLE memberships (
                    actor BLOB PRIMARY KEY, organisation TEXT NOT NULL, input INTEGER NOT NULL
                );
                CREATE TABLE journal (
                    id INTEGER PRIMARY KEY, at TEXT NOT NULL, run_id INTEGER, action TEXT NOT NULL,
                    subject TEXT NOT NULL, count INTEGER NOT NULL, details TEXT NOT NULL
                );
                CREATE TABLE opt_outs (actor BLOB PRIMARY KEY, added_at TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE anonymised (actor BLOB PRIMARY KEY) WITHOUT ROWID;
                """)
            try database.execute(Store.budgetTable)
            try database.execute(Store.namesTable)
            try database.execute(Store.microdataTable)
            try database.execute(Store.courseDaysTable)
            try database.execute("INSERT INTO meta(key, value) VALUES ('schema', '\(Store.schemaVersion)')")
        }
    }

    /// ε charged to recipients, one row per differentially private table release.
    static let budgetTable = """
        CREATE TABLE privacy_budget (
            id INTEGER PRIMARY KEY, recipient TEXT NOT NULL, export TEXT NOT NULL, period TEXT NOT NULL,
            table_name TEXT NOT NULL, epsilon REAL NOT NULL, release TEXT NOT NULL, at TEXT NOT NULL, run_id INTEGER
        );
        CREATE INDEX privacy_budget_recipient ON privacy_budget(recipient);
        """

    /// Session microdata published (`kind` microdata), per recipient (id), export and period:
    /// the days it covers (NULL: all) and the digest of its rows; and the exports that
    /// published tables of sessions (`kind` session-tables), which microdata may not join
    /// (`MicrodataReleases`).
    static let microdataTable = """
        CREATE TABLE IF NOT EXISTS microdata_releases (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, recipient TEXT NOT NULL, export TEXT NOT NULL, period TEXT NOT NULL,
            first_day INTEGER, last_day INTEGER, digest TEXT NOT NULL, at TEXT NOT NULL, run_id INTEGER
        );
        """

    /// Events per learner, course and local day, and those beyond the course's home page: what
    /// the completion report's weekly figures, connection days and at-risk rule read; and the
    /// requests per day, object and status class the server report reads. A store migrated
    /// from schema 6 has them from its next run on.
    static let courseDaysTable = """
        CREATE TABLE IF NOT EXISTS course_days (
            course TEXT NOT NULL, actor BLOB NOT NULL, day INTEGER NOT NULL, input INTEGER NOT NULL,
            events INTEGER NOT NULL, beyond_home INTEGER NOT NULL,
            PRIMARY KEY (course, actor, day, input)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS server_objects (
            day INTEGER NOT NULL, stream TEXT NOT NULL, object TEXT NOT NULL, status_class INTEGER NOT NULL, input INTEGER NOT NULL,
            requests INTEGER NOT NULL, people INTEGER NOT NULL,
            PRIMARY KEY (day, stream, object, status_class, input)
        ) WITHOUT ROWID;
        """

    /// The names met in the inputs, as keyed hashes only (`KnownNames`): what the gate and
    /// the PII guard check every published text against, in every later run.
    static let namesTable = "CREATE TABLE IF NOT EXISTS known_names (hash BLOB PRIMARY KEY) WITHOUT ROWID;"

    /// The keyed hashes of the names met in every run so far.
    public func knownNames() throws(SillageError) -> [ActorKey] {
        let q = try database.prepare("SELECT hash FROM known_names")
        var out: [ActorKey] = []
        while try q.step() { out.append(q.actor(0)) }
        return out
    }

    /// The current instant as `2026-03-29T10:15:00Z`, for the journal.
    package static func now() -> String { Clock.iso(Clock.nowSeconds()) }

    /// Records the start of a run and returns its id. Runs still marked running were killed:
    /// this process holds the lock, so none of them is alive.
    public func beginRun(pipelineDigest: String) throws(SillageError) -> Int64 {
        try database.prepare("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'")
            .bind([.text(Store.now())]).run()
        try database.prepare("INSERT INTO runs(started_at, status, pipeline_sha256) VALUES (?, 'running', ?)")
            .bind([.text(Store.now()), .text(pipelineDigest)]).run()
        return database.lastInsertRowID
    }

    /// Records how a run ended.
    public func finishRun(_ id: Int64, status: String, summary: String) throws(SillageError) {
        try database.prepare("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?")
            .bind([.text(Store.now()), .text(status), .text(summary), .integer(id)]).run()
    }

    /// Catalogue entries by key: display name, course, and position in the course.
    public func catalogue() throws(SillageError) -> [Publishable: CatalogueEntry] {
        let q = try database.prepare("SELECT key, course, name, position FROM catalogue")
        var out: [Publishable: CatalogueEntry] = [:]
        while try q.step() {
            out[q.value(0)] = CatalogueEntry(course: q.value(1), name: q.value(2), position: q.isNull(3) ? nil : Int(q.int(3)))
        }
        return out
    }

    /// Counts of rows per table, for summaries and tests.
    public func count(_ table: String) throws(SillageError) -> Int {
        let q = try database.prepare("SELECT count(*) FROM \(table)")
        _ = try q.step()
        let n = Int(q.int(0))
        q.reset()
        return n
    }
}

extension Store {
    /// Runs `body` in one transaction (the store's methods called inside join it).
    package func transaction<T>(_ body: () throws(SillageError) -> T) throws(SillageError) -> T {
        try database.transaction(body)
    }
}

extension Store {
    /// Creates the database file with mode 0600, or narrows an existing one to it, before
    /// SQLite opens it: SQLite gives its WAL and shared-memory files the database's mode, so
    /// none of them is readable by others whatever the umask or the directory's mode.
    static func restrictFile(_ path: String) throws(SillageError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw SillageError.runtime("cannot create the store: \(systemErrorText(code))", at: path)
        }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else {
            let code = errno
            throw SillageError.runtime("cannot make the store private (mode 0600): \(systemErrorText(code))", at: path)
        }
    }
}
