/// Sessions are stored twice: coalesced, as exports read them (`sessions`), and as the parts
/// each input contributed (`session_parts`), so that one input can be taken out again.
extension Store {
    private func spansLoaded() throws(SillageError) -> [String: (first: Int64, last: Int64)] {
        if let spans { return spans }
        var loaded: [String: (first: Int64, last: Int64)] = [:]
        let q = try database.prepare("SELECT stream, first_ms, last_ms FROM stream_spans")
        while try q.step() { loaded[q.text(0)] = (q.int(1), q.int(2)) }
        spans = loaded
        return loaded
    }

    /// The latest session end stored in any stream, or nil for an empty store.
    public func latestSessionEnd() throws(SillageError) -> Int64? {
        try spansLoaded().values.map(\.last).max()
    }

    /// Adds `parts` (sorted by stream, actor, start) read from `input`, and merges them into
    /// the stored sessions they touch. Runs inside the caller's transaction.
    func mergeSessionParts(_ parts: [Session], input: Int64, gap: Int64) throws(SillageError) {
        guard !parts.isEmpty else { return }
        var spans = try spansLoaded()
        let insertPart = try database.prepare("""
            INSERT INTO session_parts(stream, actor, start_ms, input, end_ms, day, events, pages, agent)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(stream, actor, start_ms, input) DO UPDATE SET end_ms = max(end_ms, excluded.end_ms),
                events = events + excluded.events, pages = pages + excluded.pages
            """)
        let find = try database.prepare("""
            SELECT start_ms, end_ms, day, events, pages, agent FROM sessions
            WHERE stream = ? AND actor = ? AND start_ms <= ? ORDER BY start_ms DESC
            """)
        let delete = try database.prepare("DELETE FROM sessions WHERE stream = ? AND actor = ? AND start_ms = ?")
        let insert = try database.prepare("""
            INSERT INTO sessions(stream, actor, start_ms, end_ms, day, events, pages, agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var i = 0
        while i < parts.count {
            var j = i
            var hi = Int64.min
            while j < parts.count, parts[j].stream == parts[i].stream, parts[j].actor == parts[i].actor {
                let p = parts[j]
                insertPart.reset()
                insertPart.bindText(1, p.stream); insertPart.bindActor(2, p.actor); insertPart.bindInt(3, p.start)
                insertPart.bindInt(4, input); insertPart.bindInt(5, p.end); insertPart.bindInt(6, Int64(p.day))
                insertPart.bindInt(7, Int64(p.events)); insertPart.bindInt(8, Int64(p.pages)); insertPart.bindText(9, p.agentClass.name)
                try insertPart.run()
                hi = max(hi, p.end)
                j += 1
            }
            let group = parts[i..<j]
            let stream = group.first!.stream, actor = group.first!.actor
            let lo = group.first!.start - gap
            hi += gap
            // Stored sessions are disjoint and ordered: walking back from `hi`, the first one
            // ending before `lo` ends the search.
            var existing: [Int64: Session] = [:]
            if let span = spans[stream], span.last >= lo, span.first <= hi {
                find.bind([.text(stream), .blob(actor.bytes), .integer(hi)])
                while try find.step() {
                    let s = Session(stream: stream, actor: actor, start: find.int(0), end: find.int(1), day: Int32(find.int(2)),
                                    events: Int32(find.int(3)), pages: Int32(find.int(4)),
                                    agentClass: AgentClass(name: find.text(5)) ?? .unknown)
                    if s.end < lo { break }
                    existing[s.start] = s
                }
                find.reset()
            }
            let merged = SessionCoalescing.coalesce(Array(existing.values) + group, gap: gap)
            var kept = Set<Int64>()
            for m in merged {
                if existing[m.start] == m { kept.insert(m.start); continue }
                if existing[m.start] != nil {
                    try delete.bind([.text(stream), .blob(actor.bytes), .integer(m.start)]).run()
                    kept.insert(m.start)
                }
                try insertSession(insert, m)
            }
            for start in existing.keys.sorted() where !kept.contains(start) {
                try delete.bind([.text(stream), .blob(actor.bytes), .integer(start)]).run()
            }
            let first = merged.first!.start, last = merged.map(\.end).max()!
            spans[stream] = spans[stream].map { (min($0.first, first), max($0.last, last)) } ?? (first, last)
            i = j
        }
        let persist = try database.prepare("INSERT OR REPLACE INTO stream_spans(stream, first_ms, last_ms) VALUES (?, ?, ?)")
        for (stream, span) in spans.sorted(by: { $0.key < $1.key }) {
            try persist.bind([.text(stream), .integer(span.first), .integer(span.last)]).run()
        }
        self.spans = spans
    }

    private func insertSession(_ insert: SQLiteStatement, _ s: Session) throws(SillageError) {
        insert.reset()
        insert.bindText(1, s.stream); insert.bindActor(2, s.actor); insert.bindInt(3, s.start); insert.bindInt(4, s.end)
        insert.bindInt(5, Int64(s.day)); insert.bindInt(6, Int64(s.events)); insert.bindInt(7, Int64(s.pages))
        insert.bindText(8, s.agentClass.name)
        try insert.run()
    }

    /// Takes `input`'s parts out of the stored sessions: each session it contributed to is
    /// rebuilt from the parts that remain (it may shrink, split in two or vanish). Runs
    /// inside the caller's transaction; returns the number of parts removed.
    func removeSessionParts(input: Int64, gap: Int64) throws(SillageError) -> Int {
        struct Key: Hashable { var stream: String; var actor: ActorKey; var start: Int64 }
        let parts = try database.prepare("SELECT stream, actor, start_ms FROM session_parts WHERE input = ?")
        parts.bind([.integer(input)])
        let containing = try database.prepare("""
            SELECT start_ms, end_ms FROM sessions WHERE stream = ? AND actor = ? AND start_ms <= ? ORDER BY start_ms DESC LIMIT 1
            """)
        var affected: [Key: Int64] = [:]
        var removed = 0
        var found: [(String, ActorKey, Int64)] = []
        while try parts.step() { found.append((parts.text(0), parts.actor(1), parts.int(2))) }
        for (stream, actor, start) in found {
            removed += 1
            containing.bind([.text(stream), .blob(actor.bytes), .integer(start)])
            if try containing.step() { affected[Key(stream: stream, actor: actor, start: containing.int(0))] = containing.int(1) }
            containing.reset()
        }
        try database.prepare("DELETE FROM session_parts WHERE input = ?").bind([.integer(input)]).run()
        let delete = try database.prepare("DELETE FROM sessions WHERE stream = ? AND actor = ? AND start_ms = ?")
        let remaining = try database.prepare("""
            SELECT start_ms, end_ms, day, events, pages, agent FROM session_parts
            WHERE stream = ? AND actor = ? AND start_ms BETWEEN ? AND ?
            """)
        let insert = try database.prepare("""
            INSERT INTO sessions(stream, actor, start_ms, end_ms, day, events, pages, agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let gapOfStore = gap
        for (key, end) in affected.sorted(by: { ($0.key.stream, $0.key.actor, $0.key.start) < ($1.key.stream, $1.key.actor, $1.key.start) }) {
            try delete.bind([.text(key.stream), .blob(key.actor.bytes), .integer(key.start)]).run()
            remaining.bind([.text(key.stream), .blob(key.actor.bytes), .integer(key.start), .integer(end)])
            var rest: [Session] = []
            while try remaining.step() {
                rest.append(Session(stream: key.stream, actor: key.actor, start: remaining.int(0), end: remaining.int(1),
                                    day: Int32(remaining.int(2)), events: Int32(remaining.int(3)), pages: Int32(remaining.int(4)),
                                    agentClass: AgentClass(name: remaining.text(5)) ?? .unknown))
            }
            for s in SessionCoalescing.coalesce(rest, gap: gapOfStore) { try insertSession(insert, s) }
        }
        return removed
    }

    /// Sessions starting on local days in `days` (all when nil), in (stream, actor, start) order.
    public func sessions(days: ClosedRange<Int>? = nil) throws(SillageError) -> [Session] {
        let q = try database.prepare("""
            SELECT stream, actor, start_ms, end_ms, day, events, pages, agent FROM sessions
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
}
