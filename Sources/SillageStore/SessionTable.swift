import SillageCore
import SillageMetrics

/// Sessions are stored coalesced, as exports read them, each naming the input it came from.
/// A session made from parts of several inputs says `mixed` and keeps its parts in
/// `session_parts`, so that one input can be taken out again; most sessions come from one
/// input and cost one row.
extension Store {
    /// The `input` of a session made from several inputs.
    static let mixedInputs: Int64 = -1

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

    /// Statements of the session tables, prepared once per commit.
    private struct SessionStatements {
        let find, delete, insert, parts, deleteParts, insertPart: SQLiteStatement

        init(_ database: SQLiteDatabase) throws(SillageError) {
            find = try database.prepare(
                """
                SELECT start_ms, end_ms, day, events, pages, agent, input FROM sessions
                WHERE stream = ? AND actor = ? AND start_ms <= ? ORDER BY start_ms DESC
                """)
            delete = try database.prepare("DELETE FROM sessions WHERE stream = ? AND actor = ? AND start_ms = ?")
            insert = try database.prepare(
                """
                INSERT INTO sessions(stream, actor, start_ms, end_ms, day, events, pages, agent, input) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            parts = try database.prepare(
                """
                SELECT start_ms, end_ms, day, events, pages, agent, input FROM session_parts
                WHERE stream = ? AND actor = ? AND start_ms BETWEEN ? AND ?
                """)
            deleteParts = try database.prepare("DELETE FROM session_parts WHERE stream = ? AND actor = ? AND start_ms BETWEEN ? AND ?")
            insertPart = try database.prepare(
                """
                INSERT INTO session_parts(stream, actor, start_ms, input, end_ms, day, events, pages, agent)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(stream, actor, start_ms, input) DO UPDATE SET end_ms = max(end_ms, excluded.end_ms),
                    events = events + excluded.events, pages = pages + excluded.pages
                """)
        }

        func row(_ q: SQLiteStatement, stream: String, actor: ActorKey) -> (part: Session, input: Int64) {
            (
                Session(
                    stream: stream, actor: actor, start: q.int(0), end: q.int(1), day: Int32(q.int(2)), events: Int32(q.int(3)),
                    pages: Int32(q.int(4)), agentClass: AgentClass(name: q.text(5)) ?? .unknown), q.int(6)
            )
        }

        func insert(_ s: Session, input: Int64) throws(SillageError) {
            insert.reset()
            insert.bindText(1, s.stream); insert.bindActor(2, s.actor); insert.bindInt(3, s.start); insert.bindInt(4, s.end)
            insert.bindInt(5, Int64(s.day)); insert.bindInt(6, Int64(s.events)); insert.bindInt(7, Int64(s.pages))
            insert.bindText(8, s.agentClass.name); insert.bindInt(9, input)
            try insert.run()
        }

        /// The parts a stored session is made of: itself when it came from one input.
        func components(of s: Session, input: Int64) throws(SillageError) -> [(part: Session, input: Int64)] {
            try delete.bind([.text(s.stream), .blob(s.actor.bytes), .integer(s.start)]).run()
            guard input == Store.mixedInputs else { return [(s, input)] }
            parts.bind([.text(s.stream), .blob(s.actor.bytes), .integer(s.start), .integer(s.end)])
            var out: [(part: Session, input: Int64)] = []
            while try parts.step() { out.append(row(parts, stream: s.stream, actor: s.actor)) }
            try deleteParts.bind([.text(s.stream), .blob(s.actor.bytes), .integer(s.start), .integer(s.end)]).run()
            return out
        }

        /// Stores the sessions that `components` coalesce into.
        func store(_ components: [(part: Session, input: Int64)], gap: Int64) throws(SillageError) {
            for (session, parts) in SessionCoalescing.coalesce(labelled: components, gap: gap) {
                let inputs = Set(parts.map(\.input))
                if inputs.count == 1 {
                    try insert(session, input: inputs.first!)
                    continue
                }
                try insert(session, input: Store.mixedInputs)
                for (p, input) in parts {
                    insertPart.reset()
                    insertPart.bindText(1, p.stream); insertPart.bindActor(2, p.actor); insertPart.bindInt(3, p.start)
                    insertPart.bindInt(4, input); insertPart.bindInt(5, p.end); insertPart.bindInt(6, Int64(p.day))
                    insertPart.bindInt(7, Int64(p.events)); insertPart.bindInt(8, Int64(p.pages)); insertPart.bindText(9, p.agentClass.name)
                    try insertPart.run()
                }
            }
        }
    }

    /// Adds `parts` (sorted by stream, actor, start) read from `input`, merging them with the
    /// stored sessions they touch. Runs inside the caller's transaction.
    func mergeSessionParts(_ parts: [Session], input: Int64, gap: Int64) throws(SillageError) {
        guard !parts.isEmpty else { return }
        var spans = try spansLoaded()
        let statements = try SessionStatements(database)
        var i = 0
        while i < parts.count {
            var j = i
            var hi = Int64.min
            while j < parts.count, parts[j].stream == parts[i].stream, parts[j].actor == parts[i].actor {
                hi = max(hi, parts[j].end)
                j += 1
            }
            let group = parts[i..<j]
            let stream = group.first!.stream, actor = group.first!.actor
            let lo = group.first!.start - gap
            hi += gap
            // Stored sessions are disjoint and ordered: walking back from `hi`, the first one
            // ending before `lo` ends the search. Far from the stream's extent, none can touch.
            var touched: [(part: Session, input: Int64)] = []
            if let span = spans[stream], span.last >= lo, span.first <= hi {
                statements.find.bind([.text(stream), .blob(actor.bytes), .integer(hi)])
                while try statements.find.step() {
                    let found = statements.row(statements.find, stream: stream, actor: actor)
                    if found.part.end < lo { break }
                    touched.append(found)
                }
                statements.find.reset()
            }
            var components = group.map { (part: $0, input: input) }
            for (s, from) in touched { components += try statements.components(of: s, input: from) }
            try statements.store(components, gap: gap)
            let first = group.first!.start, last = group.map(\.end).max()!
            spans[stream] = spans[stream].map { (min($0.first, first), max($0.last, last)) } ?? (first, last)
            i = j
        }
        let persist = try database.prepare("INSERT OR REPLACE INTO stream_spans(stream, first_ms, last_ms) VALUES (?, ?, ?)")
        for (stream, span) in spans.sorted(by: { $0.key < $1.key }) {
            try persist.bind([.text(stream), .integer(span.first), .integer(span.last)]).run()
        }
        self.spans = spans
    }

    /// Takes `input` out of the stored sessions: its own sessions go, and each session it
    /// shares with other inputs is rebuilt from their parts (it may shrink, split in two or
    /// become a one-input session again). Runs inside the caller's transaction; returns the
    /// number of sessions removed or rebuilt.
    func removeSessionParts(input: Int64, gap: Int64) throws(SillageError) -> Int {
        try database.prepare("DELETE FROM sessions WHERE input = ?").bind([.integer(input)]).run()
        var changed = database.changes
        let statements = try SessionStatements(database)
        let shared = try database.prepare("SELECT stream, actor, start_ms FROM session_parts WHERE input = ?")
        shared.bind([.integer(input)])
        var found: [(String, ActorKey, Int64)] = []
        while try shared.step() { found.append((shared.text(0), shared.actor(1), shared.int(2))) }
        struct Key: Hashable { var stream: String; var actor: ActorKey; var start: Int64 }
        var affected: [Key: (part: Session, input: Int64)] = [:]
        for (stream, actor, start) in found {
            statements.find.bind([.text(stream), .blob(actor.bytes), .integer(start)])
            if try statements.find.step() {
                let s = statements.row(statements.find, stream: stream, actor: actor)
                affected[Key(stream: stream, actor: actor, start: s.part.start)] = s
            }
            statements.find.reset()
        }
        for (_, s) in affected.sorted(by: { ($0.key.stream, $0.key.actor, $0.key.start) < ($1.key.stream, $1.key.actor, $1.key.start) }) {
            let rest = try statements.components(of: s.part, input: s.input).filter { $0.input != input }
            try statements.store(rest, gap: gap)
            changed += 1
        }
        return changed
    }

    /// Sessions starting on local days in `days` (all when nil), in (stream, actor, start) order.
    public func sessions(days: ClosedRange<Int>? = nil) throws(SillageError) -> [Session] {
        let q = try database.prepare(
            """
            SELECT stream, actor, start_ms, end_ms, day, events, pages, agent FROM sessions
            WHERE day BETWEEN ? AND ? ORDER BY stream, actor, start_ms
            """)
        q.bind([.integer(Int64(days?.lowerBound ?? Int(Int32.min))), .integer(Int64(days?.upperBound ?? Int(Int32.max)))])
        var out: [Session] = []
        while try q.step() {
            out.append(
                Session(
                    stream: q.text(0), actor: q.actor(1), start: q.int(2), end: q.int(3),
                    day: Int32(q.int(4)), events: Int32(q.int(5)), pages: Int32(q.int(6)),
                    agentClass: AgentClass(name: q.text(7)) ?? .unknown))
        }
        return out
    }
}
