import SillageCore
import SillageMetrics
import SillagePrivacy

extension Store {
    /// Everything one batch of one input adds to the store, committed in one transaction.
    ///
    /// A batch is a slice of an input (at most `RunOptions.batchBytes` of it): its ledger
    /// offset, session parts, summaries and facts become visible together or not at all, so
    /// a run killed at any point resumes exactly after the last committed batch.
    public struct Batch: Sendable {
        /// The input the batch was read from, with the offset reached; nil for standard input.
        public var ledger: LedgerEntry?
        /// Session parts formed from this batch, sorted by (stream, actor, start).
        public var sessions: [Session] = []
        public var actorDays: [ActorDay] = []
        /// Events and skips per (local day, stream).
        public var daily: [DailyKey: DailyCounts] = [:]
        public var facts = ActivityFacts()
        /// Catalogue entries and memberships; a later row replaces an earlier one.
        public var references: [ReferenceRow] = []
        /// Last view per learner and object near the end of what is stored (30-second rule);
        /// replaces the stored ones.
        public var recentViews: [ActivityFacts.ActorObject: Int64] = [:]
        /// The inactivity limit, for merging parts into sessions.
        public var gap: Int64 = 30 * 60_000
        /// Keyed hashes of the names first met in this batch (`KnownNames.added`).
        public var names: [ActorKey] = []
        /// Access logs: the server report's counts per (local day, stream).
        public var server: [DailyKey: ServerDay] = [:]
        /// Access logs: requests per day, stream, gated object and status class, with the
        /// distinct people behind them in the batch; only paths enough people requested.
        public var serverObjects: [ServerObjectKey: ServerPathCount] = [:]
        public init() {}
    }

    /// A day, a stream, an object and a status class (1 for a page view, 3 for 4xx, 4 for 5xx).
    public struct ServerObjectKey: Hashable, Sendable, Comparable {
        public var day: Int32
        public var stream: String
        public var object: Publishable
        public var statusClass: Int
        public init(day: Int32, stream: String, object: Publishable, statusClass: Int) {
            self.day = day
            self.stream = stream
            self.object = object
            self.statusClass = statusClass
        }
        public static func < (a: Self, b: Self) -> Bool {
            (a.day, a.stream, a.object, a.statusClass) < (b.day, b.stream, b.object, b.statusClass)
        }
    }

    /// Requests of a path, and the distinct people behind them in one batch.
    public struct ServerPathCount: Sendable, Equatable {
        public var requests: Int
        public var people: Int
        public init(requests: Int, people: Int) {
            self.requests = requests
            self.people = people
        }
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

    /// Commits a batch atomically and returns the ledger id its rows name (0 for standard input).
    ///
    /// Summaries and facts are kept per input and added up when read, so a batch counts once
    /// because the ledger offset that excludes its bytes from the next run commits with it.
    @discardableResult
    public func commit(_ batch: Batch, run: Int64) throws(SillageError) -> Int64 {
        let spansBefore = spans
        do throws(SillageError) {
            return try database.transaction { () throws(SillageError) -> Int64 in
                let input = try batch.ledger.map { entry throws(SillageError) in try writeLedger(entry, run: run) } ?? 0
                try mergeSessionParts(batch.sessions, input: input, gap: batch.gap)
                let names = try database.prepare("INSERT OR IGNORE INTO known_names(hash) VALUES (?)")
                for name in batch.names {
                    names.reset(); names.bindActor(1, name)
                    try names.run()
                }
                try database.execute("DELETE FROM recent_views")
                let recent = try database.prepare("INSERT INTO recent_views(actor, object, last_ms) VALUES (?, ?, ?)")
                for (k, t) in batch.recentViews.sorted(by: { $0.key < $1.key }) {
                    recent.reset(); recent.bindActor(1, k.actor); recent.bindText(2, k.object); recent.bindInt(3, t)
                    try recent.run()
                }
                let counts = try database.prepare(
                    """
                    INSERT INTO daily_counts(day, stream, measure, input, count) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(day, stream, measure, input) DO UPDATE SET count = count + excluded.count
                    """)
                let dayOrder = { (a: DailyKey, b: DailyKey) in (a.day, a.stream) < (b.day, b.stream) }
                let measures =
                    batch.daily.keys.sorted(by: dayOrder).map { ($0, batch.daily[$0]!.named) }
                    + batch.server.keys.sorted(by: dayOrder).map { ($0, batch.server[$0]!.named) }
                for (key, named) in measures {
                    for (measure, n) in named {
                        try counts.bind([
                            .integer(Int64(key.day)), .text(key.stream), .text(measure), .integer(input),
                            .integer(Int64(n)),
                        ]).run()
                    }
                }
                let objects = try database.prepare(
                    """
                    INSERT INTO server_objects(day, stream, object, status_class, input, requests, people) VALUES (?, ?, ?, ?, ?, ?, ?)
                    \(StoredFact.Upsert.serverObjects)
                    """)
                for (k, n) in batch.serverObjects.sorted(by: { $0.key < $1.key }) {
                    objects.reset(); objects.bindInt(1, Int64(k.day)); objects.bindText(2, k.stream); objects.bindText(3, k.object)
                    objects.bindInt(4, Int64(k.statusClass)); objects.bindInt(5, input); objects.bindInt(6, Int64(n.requests))
                    objects.bindInt(7, Int64(n.people))
                    try objects.run()
                }
                let day = try database.prepare(
                    """
                    INSERT INTO actor_days(stream, actor, day, input, events, pages) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(stream, actor, day, input) DO UPDATE SET events = events + excluded.events,
                        pages = pages + excluded.pages
                    """)
                for d in batch.actorDays {
                    day.reset()
                    day.bindText(1, d.stream); day.bindActor(2, d.actor); day.bindInt(3, Int64(d.day)); day.bindInt(4, input)
                    day.bindInt(5, Int64(d.events)); day.bindInt(6, Int64(d.pages))
                    try day.run()
                }
                try commitFacts(batch.facts, input: input)
                let catalogue = try database.prepare("INSERT OR REPLACE INTO catalogue(key, course, name, position, input) VALUES (?, ?, ?, ?, ?)")
                let membership = try database.prepare("INSERT OR REPLACE INTO memberships(actor, organisation, input) VALUES (?, ?, ?)")
                for row in batch.references {
                    switch row {
                    case .catalogue(let key, let course, let name, let position):
                        try catalogue.bind([
                            .text(key.text), .text(course.text), .text(name.text), position.map { .integer(Int64($0)) } ?? .null,
                            .integer(input),
                        ]).run()
                    case .membership(let actor, let organisation):
                        membership.reset(); membership.bindActor(1, actor); membership.bindText(2, organisation.text)
                        membership.bindInt(3, input)
                        try membership.run()
                    }
                }
                return input
            }
        } catch {
            // The spans advanced with the rolled-back parts.
            spans = spansBefore
            throw error
        }
    }

    /// Writes learning facts under `input`; reading them back combines the inputs (minimum
    /// of first times, sums of counts).
    private func commitFacts(_ f: ActivityFacts, input: Int64) throws(SillageError) {
        let enrol = try database.prepare(
            """
            INSERT INTO enrolments(course, actor, input, first_ms) VALUES (?, ?, ?, ?) \(StoredFact.Upsert.enrolments)
            """)
        for (k, t) in f.enrolments.sorted(by: { $0.key < $1.key }) {
            enrol.reset(); enrol.bindText(1, k.course); enrol.bindActor(2, k.actor); enrol.bindInt(3, input); enrol.bindInt(4, t)
            try enrol.run()
        }
        let complete = try database.prepare(
            """
            INSERT INTO completions(course, actor, input, completed_ms) VALUES (?, ?, ?, ?) \(StoredFact.Upsert.completions)
            """)
        for (k, t) in f.completions.sorted(by: { $0.key < $1.key }) {
            complete.reset(); complete.bindText(1, k.course); complete.bindActor(2, k.actor); complete.bindInt(3, input)
            complete.bindInt(4, t)
            try complete.run()
        }
        let activity = try database.prepare(
            """
            INSERT INTO course_activity(course, actor, input, first_ms, last_ms, events) VALUES (?, ?, ?, ?, ?, ?)
            \(StoredFact.Upsert.courseActivity)
            """)
        for (k, a) in f.courseActivity.sorted(by: { $0.key < $1.key }) {
            activity.reset(); activity.bindText(1, k.course); activity.bindActor(2, k.actor); activity.bindInt(3, input)
            activity.bindInt(4, a.first); activity.bindInt(5, a.last); activity.bindInt(6, Int64(a.events))
            try activity.run()
        }
        let day = try database.prepare(
            """
            INSERT INTO course_days(course, actor, day, input, events, beyond_home) VALUES (?, ?, ?, ?, ?, ?)
            \(StoredFact.Upsert.courseDays)
            """)
        for (k, d) in f.courseDays.sorted(by: { $0.key < $1.key }) {
            day.reset(); day.bindText(1, k.course); day.bindActor(2, k.actor); day.bindInt(3, Int64(k.day)); day.bindInt(4, input)
            day.bindInt(5, Int64(d.events)); day.bindInt(6, Int64(d.beyondHome))
            try day.run()
        }
        let activityCompletion = try database.prepare(
            """
            INSERT INTO activity_completions(object, actor, input, course, completed_ms) VALUES (?, ?, ?, ?, ?)
            \(StoredFact.Upsert.activityCompletions)
            """)
        for (k, c) in f.activityCompletions.sorted(by: { $0.key < $1.key }) {
            activityCompletion.reset(); activityCompletion.bindText(1, k.object); activityCompletion.bindActor(2, k.actor)
            activityCompletion.bindInt(3, input); activityCompletion.bindText(4, c.course); activityCompletion.bindInt(5, c.time)
            try activityCompletion.run()
        }
        let view = try database.prepare(
            """
            INSERT INTO content_views(object, week, actor, input, course, views) VALUES (?, ?, ?, ?, ?, ?)
            \(StoredFact.Upsert.contentViews)
            """)
        for (k, n) in f.contentViews.sorted(by: { $0.key < $1.key }) {
            view.reset(); view.bindText(1, k.object); view.bindInt(2, Int64(k.week)); view.bindActor(3, k.actor)
            view.bindInt(4, input); view.bindText(5, k.course); view.bindInt(6, Int64(n))
            try view.run()
        }
        let search = try database.prepare(
            """
            INSERT INTO searches(term, day, actor, input, searches, failed) VALUES (?, ?, ?, ?, ?, ?)
            \(StoredFact.Upsert.searches)
            """)
        for (k, c) in f.searches.sorted(by: { $0.key < $1.key }) {
            search.reset(); search.bindText(1, k.term); search.bindInt(2, Int64(k.day)); search.bindActor(3, k.actor)
            search.bindInt(4, input); search.bindInt(5, Int64(c.searches)); search.bindInt(6, Int64(c.failed))
            try search.run()
        }
    }

    /// What taking one input back out removed, for the operator's notice.
    public struct Removal: Sendable, Equatable {
        public var path: String
        public var sessions = 0
        public var rows = 0
    }

    /// Removes everything `entry`'s input contributed, and its ledger row, in one transaction:
    /// the next read of that input counts as its first (`sillage run --reprocess`).
    public func removeContribution(of entry: LedgerEntry, gap: Int64) throws(SillageError) -> Removal {
        guard let id = entry.id else { return Removal(path: entry.path) }
        return try database.transaction { () throws(SillageError) -> Removal in
            var removal = Removal(path: entry.path)
            removal.sessions = try removeSessionParts(input: id, gap: gap)
            for table in StoredFact.inputTables {
                try database.prepare("DELETE FROM \(table) WHERE input = ?").bind([.integer(id)]).run()
                removal.rows += database.changes
            }
            try database.prepare("DELETE FROM inputs WHERE id = ?").bind([.integer(id)]).run()
            // The last views are not kept per input: left in place they would make the file's
            // own views, read again, look like double clicks of themselves.
            try database.execute("DELETE FROM recent_views")
            return removal
        }
    }
}
