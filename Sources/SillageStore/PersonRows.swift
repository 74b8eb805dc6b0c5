import SillageCore
import SillageMetrics

/// Everything the store holds about one person, and its erasure.
extension Store {
    /// Deletes every row keyed by `actor` and puts it on the opt-out list, in the caller's
    /// transaction; returns the rows deleted.
    package func erase(_ actor: ActorKey) throws(SillageError) -> Int {
        var rows = 0
        for table in StoredFact.actorTables {
            let q = try database.prepare("DELETE FROM \(table) WHERE actor = ?")
            q.bindActor(1, actor)
            try q.run()
            rows += database.changes
        }
        let optOut = try database.prepare("INSERT OR IGNORE INTO opt_outs(actor, added_at) VALUES (?, ?)")
        optOut.bindActor(1, actor); optOut.bindText(2, Store.now())
        try optOut.run()
        return rows
    }

    /// The pseudonyms of people who objected or asked for erasure: later ingests drop them.
    public func optOuts() throws(SillageError) -> Set<ActorKey> {
        let q = try database.prepare("SELECT actor FROM opt_outs")
        var out = Set<ActorKey>()
        while try q.step() { out.insert(q.actor(0)) }
        return out
    }

    /// One person's sessions, in start order.
    public func sessions(of actor: ActorKey) throws(SillageError) -> [Session] {
        let q = try database.prepare(
            """
            SELECT stream, start_ms, end_ms, day, events, pages, agent FROM sessions WHERE actor = ? ORDER BY stream, start_ms
            """)
        q.bindActor(1, actor)
        var out: [Session] = []
        while try q.step() {
            out.append(
                Session(
                    stream: q.text(0), actor: actor, start: q.int(1), end: q.int(2), day: Int32(q.int(3)),
                    events: Int32(q.int(4)), pages: Int32(q.int(5)), agentClass: AgentClass(name: q.text(6)) ?? .unknown))
        }
        return out
    }

    /// One person's learner-day summaries, all inputs combined.
    public func actorDays(of actor: ActorKey) throws(SillageError) -> [ActorDay] {
        let q = try database.prepare(
            """
            SELECT stream, day, sum(events), sum(pages) FROM actor_days WHERE actor = ? GROUP BY stream, day ORDER BY stream, day
            """)
        q.bindActor(1, actor)
        var out: [ActorDay] = []
        while try q.step() {
            out.append(ActorDay(stream: q.text(0), actor: actor, day: Int32(q.int(1)), events: Int32(q.int(2)), pages: Int32(q.int(3))))
        }
        return out
    }

    /// The last view of each object the store keeps for one person (the 30-second rule's
    /// memory), by object.
    public func recentViews(of actor: ActorKey) throws(SillageError) -> [(object: String, lastMillis: Int64)] {
        let q = try database.prepare("SELECT object, last_ms FROM recent_views WHERE actor = ? ORDER BY object")
        q.bindActor(1, actor)
        var out: [(object: String, lastMillis: Int64)] = []
        while try q.step() { out.append((q.text(0), q.int(1))) }
        return out
    }

    /// The organisation a person belongs to, if a membership table said so.
    public func organisation(of actor: ActorKey) throws(SillageError) -> String? {
        let q = try database.prepare("SELECT organisation FROM memberships WHERE actor = ?")
        q.bindActor(1, actor)
        guard try q.step() else { return nil }
        let organisation = q.text(0)
        q.reset()
        return organisation
    }
}
