#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What the ledger knows of an input already read.
public struct LedgerEntry: Sendable, Equatable {
    /// SHA-256 of the first `headBytes` decompressed bytes: the file's identity across renames.
    public var fingerprint: String
    public var path: String
    /// Decompressed bytes committed so far (the resume point of a growing plain file).
    public var offset: Int64
    /// Lines committed so far, so line numbers stay right when a file is resumed.
    public var lines: Int64
    public var isGzip: Bool
}

/// A course's or activity's name and place, from a catalogue table.
public struct CatalogueEntry: Sendable, Equatable {
    public var course: String
    public var name: String
    public var position: Int?
}

/// The Sillage store: one SQLite file (WAL) holding the run journal, the input ledger,
/// pseudonymous sessions and learner-day summaries (SPEC §2). It never holds a raw identifier.
///
/// One process at a time: opening takes an exclusive lock on `<store>.lock`, and a second
/// run on the same store fails at once with a message naming the holder.
public final class Store {
    public static let schemaVersion = 1
    public let path: String
    public let database: SQLiteDatabase
    private let lockDescriptor: Int32

    /// Opens or creates the store at `path`, creating its directory (mode 0700).
    public init(path: String) throws(SillageError) {
        self.path = path
        try makeDirectories(parentOf: path, mode: 0o700)
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            throw SillageError.runtime("cannot create the store lock: \(systemErrorText(code))", at: lockPath,
                                       hint: "the store's directory must be writable")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var holder = ""
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 32, 0)
            if n > 0 { holder = " (pid \(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))" }
            close(fd)
            throw SillageError.runtime("another sillage process is using this store\(holder)", at: path,
                                       hint: "wait for it to finish; runs on one store never overlap")
        }
        let pid = "\(getpid())\n"
        ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        lockDescriptor = fd
        do {
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
        try database.execute("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS runs (
                id INTEGER PRIMARY KEY,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                status TEXT NOT NULL,
                pipeline_sha256 TEXT NOT NULL,
                summary TEXT
            );
            CREATE TABLE IF NOT EXISTS inputs (
                fingerprint TEXT PRIMARY KEY,
                path TEXT NOT NULL,
                offset INTEGER NOT NULL,
                lines INTEGER NOT NULL,
                is_gzip INTEGER NOT NULL,
                run_id INTEGER NOT NULL REFERENCES runs(id)
            );
            CREATE TABLE IF NOT EXISTS sessions (
                stream TEXT NOT NULL,
                actor BLOB NOT NULL,
                start_ms INTEGER NOT NULL,
                end_ms INTEGER NOT NULL,
                day INTEGER NOT NULL,
                events INTEGER NOT NULL,
                pages INTEGER NOT NULL,
                agent TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                PRIMARY KEY (stream, actor, start_ms)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS daily_counts (
                day INTEGER NOT NULL,
                stream TEXT NOT NULL,
                measure TEXT NOT NULL,
                count INTEGER NOT NULL,
                PRIMARY KEY (day, stream, measure)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS enrolments (
                course TEXT NOT NULL, actor BLOB NOT NULL, first_ms INTEGER NOT NULL,
                PRIMARY KEY (course, actor)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS completions (
                course TEXT NOT NULL, actor BLOB NOT NULL, completed_ms INTEGER NOT NULL,
                PRIMARY KEY (course, actor)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS course_activity (
                course TEXT NOT NULL, actor BLOB NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
                events INTEGER NOT NULL,
                PRIMARY KEY (course, actor)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS activity_completions (
                object TEXT NOT NULL, actor BLOB NOT NULL, course TEXT NOT NULL, completed_ms INTEGER NOT NULL,
                PRIMARY KEY (object, actor)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS content_views (
                object TEXT NOT NULL, week INTEGER NOT NULL, actor BLOB NOT NULL, course TEXT NOT NULL,
                views INTEGER NOT NULL,
                PRIMARY KEY (object, week, actor)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS searches (
                term TEXT NOT NULL, day INTEGER NOT NULL, actor BLOB NOT NULL, searches INTEGER NOT NULL,
                failed INTEGER NOT NULL,
                PRIMARY KEY (term, day, actor)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS open_sessions (
                stream TEXT NOT NULL, actor BLOB NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
                day INTEGER NOT NULL, events INTEGER NOT NULL, pages INTEGER NOT NULL, agent TEXT NOT NULL,
                PRIMARY KEY (stream, actor, start_ms)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS stream_clocks (stream TEXT PRIMARY KEY, latest_ms INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS recent_views (
                actor BLOB NOT NULL, object TEXT NOT NULL, last_ms INTEGER NOT NULL, PRIMARY KEY (actor, object)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS catalogue (
                key TEXT PRIMARY KEY, course TEXT NOT NULL, name TEXT NOT NULL, position INTEGER
            );
            CREATE TABLE IF NOT EXISTS memberships (
                actor BLOB PRIMARY KEY, organisation TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS actor_days (
                stream TEXT NOT NULL,
                actor BLOB NOT NULL,
                day INTEGER NOT NULL,
                events INTEGER NOT NULL,
                pages INTEGER NOT NULL,
                PRIMARY KEY (stream, actor, day)
            ) WITHOUT ROWID;
            """)
        let version = try database.prepare("SELECT value FROM meta WHERE key = 'schema'")
        if try version.step() {
            let found = Int(version.text(0)) ?? 0
            guard found == Store.schemaVersion else {
                throw SillageError.runtime("the store has schema version \(found), this sillage expects \(Store.schemaVersion)",
                                           at: path, hint: "use the sillage version that created it, or start a new store")
            }
        } else {
            try database.execute("INSERT INTO meta(key, value) VALUES ('schema', '\(Store.schemaVersion)')")
        }
    }

    /// The current instant as `2026-03-29T10:15:00Z`, for the journal.
    static func now() -> String {
        let seconds = Int(Date().timeIntervalSince1970)
        let day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - day * 86400
        return "\(CivilTime.isoDate(days: day))T\(CivilTime.pad(rest / 3600, 2)):\(CivilTime.pad(rest / 60 % 60, 2)):\(CivilTime.pad(rest % 60, 2))Z"
    }

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

    /// The ledger entry for a fingerprint, if that content was read before.
    public func ledgerEntry(fingerprint: String) throws(SillageError) -> LedgerEntry? {
        let q = try database.prepare("SELECT path, offset, lines, is_gzip FROM inputs WHERE fingerprint = ?")
        q.bind([.text(fingerprint)])
        guard try q.step() else { return nil }
        let entry = LedgerEntry(fingerprint: fingerprint, path: q.text(0), offset: q.int(1), lines: q.int(2), isGzip: q.int(3) != 0)
        q.reset()
        return entry
    }

    /// The entry of a file read at `path` while it was shorter than the fingerprint window,
    /// if `head` (the file's first bytes now) still starts with what was fingerprinted then.
    public func ledgerEntry(path: String, head: [UInt8]) throws(SillageError) -> LedgerEntry? {
        let q = try database.prepare("SELECT fingerprint FROM inputs WHERE path = ?")
        q.bind([.text(path)])
        var candidates: [String] = []
        while try q.step() { candidates.append(q.text(0)) }
        for fingerprint in candidates {
            guard let dash = fingerprint.lastIndex(of: "-"), let length = Int(fingerprint[fingerprint.index(after: dash)...]),
                  length < head.count else { continue }
            if hexString(SHA256.hash(head.prefix(length))) + "-\(length)" == fingerprint {
                return try ledgerEntry(fingerprint: fingerprint)
            }
        }
        return nil
    }

    /// Everything one run commits, written in one transaction.
    public struct Batch {
        /// Ledger rows superseded by a longer fingerprint of the same file.
        public var retiredFingerprints: [String] = []
        public var ledger: [LedgerEntry] = []
        public var sessions: [Session] = []
        public var actorDays: [ActorDay] = []
        /// Events and skips per (local day, stream), added to what the store holds.
        public var daily: [DailyKey: DailyCounts] = [:]
        /// Learning facts, merged into what the store holds.
        public var facts = ActivityFacts()
        /// Catalogue entries and memberships; a later row replaces an earlier one.
        public var references: [ReferenceRow] = []
        /// The state handed to the next run; replaces the stored one.
        public var carried = CarriedState()
        public init() {}
    }

    /// A (local day, stream) pair.
    public struct DailyKey: Hashable, Sendable {
        public var day: Int32
        public var stream: String
        public init(day: Int32, stream: String) {
            self.day = day
            self.stream = stream
        }
    }

    /// Commits a run's ledger entries, sessions and learner-days atomically.
    ///
    /// Sessions are keyed by (stream, actor, start), so committing the same session twice
    /// keeps one; learner-day counts add up, since the ledger guarantees each input byte is
    /// read once.
    public func commit(_ batch: Batch, run: Int64) throws(SillageError) {
        try database.transaction { () throws(SillageError) in
            let ledger = try database.prepare("""
                INSERT INTO inputs(fingerprint, path, offset, lines, is_gzip, run_id) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(fingerprint) DO UPDATE SET path = excluded.path, offset = excluded.offset,
                    lines = excluded.lines, run_id = excluded.run_id
                """)
            let retire = try database.prepare("DELETE FROM inputs WHERE fingerprint = ?")
            for fingerprint in batch.retiredFingerprints {
                try retire.bind([.text(fingerprint)]).run()
            }
            for entry in batch.ledger {
                try ledger.bind([.text(entry.fingerprint), .text(entry.path), .integer(entry.offset),
                                 .integer(entry.lines), .integer(entry.isGzip ? 1 : 0), .integer(run)]).run()
            }
            try database.execute("DELETE FROM open_sessions; DELETE FROM recent_views;")
            let open = try database.prepare("""
                INSERT INTO open_sessions(stream, actor, start_ms, end_ms, day, events, pages, agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for s in batch.carried.openSessions {
                open.reset()
                open.bindText(1, s.stream); open.bindActor(2, s.actor); open.bindInt(3, s.start); open.bindInt(4, s.end)
                open.bindInt(5, Int64(s.day)); open.bindInt(6, Int64(s.events)); open.bindInt(7, Int64(s.pages))
                open.bindText(8, s.agentClass.name)
                try open.run()
            }
            let clock = try database.prepare("INSERT OR REPLACE INTO stream_clocks(stream, latest_ms) VALUES (?, ?)")
            for (stream, t) in batch.carried.clocks.sorted(by: { $0.key < $1.key }) {
                try clock.bind([.text(stream), .integer(t)]).run()
            }
            let recent = try database.prepare("INSERT INTO recent_views(actor, object, last_ms) VALUES (?, ?, ?)")
            for (k, t) in batch.carried.recentViews.sorted(by: { $0.key < $1.key }) {
                recent.reset(); recent.bindActor(1, k.actor); recent.bindText(2, k.object); recent.bindInt(3, t)
                try recent.run()
            }
            let session = try database.prepare("""
                INSERT OR REPLACE INTO sessions(stream, actor, start_ms, end_ms, day, events, pages, agent, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for s in batch.sessions {
                session.reset()
                session.bindText(1, s.stream)
                session.bindActor(2, s.actor)
                session.bindInt(3, s.start)
                session.bindInt(4, s.end)
                session.bindInt(5, Int64(s.day))
                session.bindInt(6, Int64(s.events))
                session.bindInt(7, Int64(s.pages))
                session.bindText(8, s.agentClass.name)
                session.bindInt(9, run)
                try session.run()
            }
            let counts = try database.prepare("""
                INSERT INTO daily_counts(day, stream, measure, count) VALUES (?, ?, ?, ?)
                ON CONFLICT(day, stream, measure) DO UPDATE SET count = count + excluded.count
                """)
            for key in batch.daily.keys.sorted(by: { ($0.day, $0.stream) < ($1.day, $1.stream) }) {
                for (measure, n) in batch.daily[key]!.named {
                    try counts.bind([.integer(Int64(key.day)), .text(key.stream), .text(measure), .integer(Int64(n))]).run()
                }
            }
            try commitFacts(batch.facts)
            let catalogue = try database.prepare("INSERT OR REPLACE INTO catalogue(key, course, name, position) VALUES (?, ?, ?, ?)")
            let membership = try database.prepare("INSERT OR REPLACE INTO memberships(actor, organisation) VALUES (?, ?)")
            for row in batch.references {
                switch row {
                case .catalogue(let key, let course, let name, let position):
                    try catalogue.bind([.text(key), .text(course), .text(name), position.map { .integer(Int64($0)) } ?? .null]).run()
                case .membership(let actor, let organisation):
                    membership.reset(); membership.bindActor(1, actor); membership.bindText(2, organisation)
                    try membership.run()
                }
            }
            let day = try database.prepare("""
                INSERT INTO actor_days(stream, actor, day, events, pages) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(stream, actor, day) DO UPDATE SET events = events + excluded.events,
                    pages = pages + excluded.pages
                """)
            for d in batch.actorDays {
                day.reset()
                day.bindText(1, d.stream)
                day.bindActor(2, d.actor)
                day.bindInt(3, Int64(d.day))
                day.bindInt(4, Int64(d.events))
                day.bindInt(5, Int64(d.pages))
                try day.run()
            }
        }
    }

    /// The state the previous run handed over.
    public func carriedState() throws(SillageError) -> CarriedState {
        var state = CarriedState()
        state.openSessions = try sessions(from: "open_sessions", days: nil)
        var q = try database.prepare("SELECT stream, latest_ms FROM stream_clocks")
        while try q.step() { state.clocks[q.text(0)] = q.int(1) }
        q = try database.prepare("SELECT actor, object, last_ms FROM recent_views")
        while try q.step() { state.recentViews[.init(actor: q.actor(0), object: q.text(1))] = q.int(2) }
        return state
    }

    /// Sessions starting on local days in `days` (all when nil), closed and still open, in key order.
    public func sessions(days: ClosedRange<Int>? = nil) throws(SillageError) -> [Session] {
        var all = try sessions(from: "sessions", days: days) + sessions(from: "open_sessions", days: days)
        all.sort { ($0.stream, $0.actor, $0.start) < ($1.stream, $1.actor, $1.start) }
        return all
    }

    private func sessions(from table: String, days: ClosedRange<Int>?) throws(SillageError) -> [Session] {
        let q = try database.prepare("""
            SELECT stream, actor, start_ms, end_ms, day, events, pages, agent FROM \(table)
            WHERE day BETWEEN ? AND ? ORDER BY stream, actor, start_ms
            """)
        q.bind([.integer(Int64(days?.lowerBound ?? Int(Int32.min))), .integer(Int64(days?.upperBound ?? Int(Int32.max)))])
        var out: [Session] = []
        while try q.step() {
            out.append(Session(stream: q.text(0), actor: q.actor(1), start: q.int(2), end: q.int(3),
                               day: Int32(q.int(4)), events: Int32(q.int(5)), pages: Int32(q.int(6)),
                               agentClass: AgentClass(name: q.text(7)) ?? .unknown))
        }
        return out
    }

    /// Learner-day summaries on local days in `days` (all when nil), in key order.
    public func actorDays(days: ClosedRange<Int>? = nil) throws(SillageError) -> [ActorDay] {
        let q = try database.prepare("""
            SELECT stream, actor, day, events, pages FROM actor_days
            WHERE day BETWEEN ? AND ? ORDER BY stream, actor, day
            """)
        q.bind([.integer(Int64(days?.lowerBound ?? Int(Int32.min))), .integer(Int64(days?.upperBound ?? Int(Int32.max)))])
        var out: [ActorDay] = []
        while try q.step() {
            out.append(ActorDay(stream: q.text(0), actor: q.actor(1), day: Int32(q.int(2)),
                                events: Int32(q.int(3)), pages: Int32(q.int(4))))
        }
        return out
    }

    /// Events and skips per (local day, stream) on days in `days` (all when nil).
    public func dailyCounts(days: ClosedRange<Int>? = nil) throws(SillageError) -> [DailyKey: [String: Int]] {
        let q = try database.prepare("SELECT day, stream, measure, count FROM daily_counts WHERE day BETWEEN ? AND ?")
        q.bind([.integer(Int64(days?.lowerBound ?? Int(Int32.min))), .integer(Int64(days?.upperBound ?? Int(Int32.max)))])
        var out: [DailyKey: [String: Int]] = [:]
        while try q.step() {
            out[DailyKey(day: Int32(q.int(0)), stream: q.text(1)), default: [:]][q.text(2)] = Int(q.int(3))
        }
        return out
    }

    /// Writes learning facts: first times keep their minimum, counts add up.
    private func commitFacts(_ f: ActivityFacts) throws(SillageError) {
        let enrol = try database.prepare("""
            INSERT INTO enrolments(course, actor, first_ms) VALUES (?, ?, ?)
            ON CONFLICT(course, actor) DO UPDATE SET first_ms = min(first_ms, excluded.first_ms)
            """)
        for (k, t) in f.enrolments.sorted(by: { $0.key < $1.key }) {
            enrol.reset(); enrol.bindText(1, k.course); enrol.bindActor(2, k.actor); enrol.bindInt(3, t)
            try enrol.run()
        }
        let complete = try database.prepare("""
            INSERT INTO completions(course, actor, completed_ms) VALUES (?, ?, ?)
            ON CONFLICT(course, actor) DO UPDATE SET completed_ms = min(completed_ms, excluded.completed_ms)
            """)
        for (k, t) in f.completions.sorted(by: { $0.key < $1.key }) {
            complete.reset(); complete.bindText(1, k.course); complete.bindActor(2, k.actor); complete.bindInt(3, t)
            try complete.run()
        }
        let activity = try database.prepare("""
            INSERT INTO course_activity(course, actor, first_ms, last_ms, events) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(course, actor) DO UPDATE SET first_ms = min(first_ms, excluded.first_ms),
                last_ms = max(last_ms, excluded.last_ms), events = events + excluded.events
            """)
        for (k, a) in f.courseActivity.sorted(by: { $0.key < $1.key }) {
            activity.reset(); activity.bindText(1, k.course); activity.bindActor(2, k.actor)
            activity.bindInt(3, a.first); activity.bindInt(4, a.last); activity.bindInt(5, Int64(a.events))
            try activity.run()
        }
        let activityCompletion = try database.prepare("""
            INSERT INTO activity_completions(object, actor, course, completed_ms) VALUES (?, ?, ?, ?)
            ON CONFLICT(object, actor) DO UPDATE SET completed_ms = min(completed_ms, excluded.completed_ms),
                course = CASE WHEN excluded.completed_ms < completed_ms THEN excluded.course ELSE course END
            """)
        for (k, c) in f.activityCompletions.sorted(by: { $0.key < $1.key }) {
            activityCompletion.reset(); activityCompletion.bindText(1, k.object); activityCompletion.bindActor(2, k.actor)
            activityCompletion.bindText(3, c.course); activityCompletion.bindInt(4, c.time)
            try activityCompletion.run()
        }
        let view = try database.prepare("""
            INSERT INTO content_views(object, week, actor, course, views) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(object, week, actor) DO UPDATE SET views = views + excluded.views
            """)
        for (k, n) in f.contentViews.sorted(by: { $0.key < $1.key }) {
            view.reset(); view.bindText(1, k.object); view.bindInt(2, Int64(k.week)); view.bindActor(3, k.actor)
            view.bindText(4, k.course); view.bindInt(5, Int64(n))
            try view.run()
        }
        let search = try database.prepare("""
            INSERT INTO searches(term, day, actor, searches, failed) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(term, day, actor) DO UPDATE SET searches = searches + excluded.searches, failed = failed + excluded.failed
            """)
        for (k, c) in f.searches.sorted(by: { $0.key < $1.key }) {
            search.reset(); search.bindText(1, k.term); search.bindInt(2, Int64(k.day)); search.bindActor(3, k.actor)
            search.bindInt(4, Int64(c.searches)); search.bindInt(5, Int64(c.failed))
            try search.run()
        }
    }

    /// The learning facts the store holds. Times are not filtered here: the table builders
    /// decide what a period covers.
    public func facts() throws(SillageError) -> ActivityFacts {
        var f = ActivityFacts()
        var q = try database.prepare("SELECT course, actor, first_ms FROM enrolments")
        while try q.step() { f.enrolments[.init(actor: q.actor(1), course: q.text(0))] = q.int(2) }
        q = try database.prepare("SELECT course, actor, completed_ms FROM completions")
        while try q.step() { f.completions[.init(actor: q.actor(1), course: q.text(0))] = q.int(2) }
        q = try database.prepare("SELECT course, actor, first_ms, last_ms, events FROM course_activity")
        while try q.step() {
            f.courseActivity[.init(actor: q.actor(1), course: q.text(0))] = .init(first: q.int(2), last: q.int(3), events: Int(q.int(4)))
        }
        q = try database.prepare("SELECT object, actor, course, completed_ms FROM activity_completions")
        while try q.step() { f.activityCompletions[.init(actor: q.actor(1), object: q.text(0))] = .init(course: q.text(2), time: q.int(3)) }
        q = try database.prepare("SELECT object, week, actor, course, views FROM content_views")
        while try q.step() {
            f.contentViews[.init(object: q.text(0), course: q.text(3), week: Int32(q.int(1)), actor: q.actor(2))] = Int(q.int(4))
        }
        q = try database.prepare("SELECT term, day, actor, searches, failed FROM searches")
        while try q.step() {
            f.searches[.init(term: q.text(0), actor: q.actor(2), day: Int32(q.int(1)))] = .init(searches: Int(q.int(3)), failed: Int(q.int(4)))
        }
        return f
    }

    /// Catalogue entries by key: display name, course, and position in the course.
    public func catalogue() throws(SillageError) -> [String: CatalogueEntry] {
        let q = try database.prepare("SELECT key, course, name, position FROM catalogue")
        var out: [String: CatalogueEntry] = [:]
        while try q.step() {
            out[q.text(0)] = CatalogueEntry(course: q.text(1), name: q.text(2), position: q.isNull(3) ? nil : Int(q.int(3)))
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
