import SillageCore

/// What retention removes from the store, table by table (see `Retention`).
extension Store {

    /// Deletes sessions and learner-day rows of local days before `day`: sessions (by their
    /// start day), learner-days, content views (by week) and searches. Returns the rows
    /// deleted per kind. Runs inside the caller's transaction.
    package func purgeActivity(before day: Int32) throws(SillageError) -> [(String, Int)] {
        // The parts of a shared session go with it, whatever day each part starts.
        let shared = try database.prepare("SELECT stream, actor, start_ms, end_ms FROM sessions WHERE day < ? AND input = ?")
        shared.bind([.integer(Int64(day)), .integer(Store.mixedInputs)])
        var ranges: [(String, ActorKey, Int64, Int64)] = []
        while try shared.step() { ranges.append((shared.text(0), shared.actor(1), shared.int(2), shared.int(3))) }
        let parts = try database.prepare("DELETE FROM session_parts WHERE stream = ? AND actor = ? AND start_ms BETWEEN ? AND ?")
        for (stream, actor, start, end) in ranges {
            try parts.bind([.text(stream), .blob(actor.bytes), .integer(start), .integer(end)]).run()
        }
        var out: [(String, Int)] = []
        for fact in StoredFact.all {
            guard let (kind, column) = fact.purge else { continue }
            try database.prepare("DELETE FROM \(fact.table) WHERE \(column) < ?").bind([.integer(Int64(day))]).run()
            out.append((kind, database.changes))
        }
        return out
    }

    /// Learners whose last trace in the store is before `millis` (UTC), not yet anonymised.
    package func inactiveLearners(lastSeenBefore millis: Int64) throws(SillageError) -> [ActorKey] {
        let traces = StoredFact.all.compactMap { fact in
            fact.lastSeen.map { "SELECT actor, \($0) AS t FROM \(fact.table) GROUP BY actor" }
        }
        let q = try database.prepare(
            """
            SELECT actor FROM (\(traces.joined(separator: " UNION ALL ")))
            WHERE actor NOT IN (SELECT actor FROM anonymised)
            GROUP BY actor HAVING max(t) < ? ORDER BY actor
            """)
        q.bind([.integer(millis)])
        var out: [ActorKey] = []
        while try q.step() { out.append(q.actor(0)) }
        return out
    }

    /// Replaces `actor` everywhere by `replacement`, a random key no identifier leads to, and
    /// remembers it so that it is not anonymised again. Inside the caller's transaction.
    package func replaceActor(_ actor: ActorKey, with replacement: ActorKey) throws(SillageError) {
        for table in StoredFact.actorTables {
            let q = try database.prepare("UPDATE \(table) SET actor = ? WHERE actor = ?")
            q.bindActor(1, replacement); q.bindActor(2, actor)
            try q.run()
        }
        let mark = try database.prepare("INSERT OR IGNORE INTO anonymised(actor) VALUES (?)")
        mark.bindActor(1, replacement)
        try mark.run()
    }

    /// Ids and start instants of the runs journalled so far.
    package func runStarts() throws(SillageError) -> [(id: Int64, started: String)] {
        let q = try database.prepare("SELECT id, started_at FROM runs ORDER BY id")
        var out: [(id: Int64, started: String)] = []
        while try q.step() { out.append((q.int(0), q.text(1))) }
        return out
    }
}
