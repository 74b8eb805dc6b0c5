import SillageCore
import SillagePrivacy

/// One session (SPEC §7): a maximal run of an actor's events in a stream with no gap over the limit.
public struct Session: Sendable, Equatable {
    /// The stream's name (`web`, `lms`, ...).
    public var stream: String
    public var actor: ActorKey
    /// First and last event, UTC milliseconds.
    public var start: Int64
    public var end: Int64
    /// Local day on which the session starts (it belongs to that day).
    public var day: Int32
    public var events: Int32
    /// Page views (web) or course and content views (lms).
    public var pages: Int32
    /// The client class of the session's first event.
    public var agentClass: AgentClass

    public init(
        stream: String, actor: ActorKey, start: Int64, end: Int64, day: Int32, events: Int32,
        pages: Int32, agentClass: AgentClass
    ) {
        self.stream = stream
        self.actor = actor
        self.start = start
        self.end = end
        self.day = day
        self.events = events
        self.pages = pages
        self.agentClass = agentClass
    }

    /// Whole seconds between the first and the last event.
    public var durationSeconds: Int64 { (end - start) / 1000 }
    /// A one-event session.
    public var isBounce: Bool { events == 1 }
}

/// What one actor did on one local day in one stream (the learner-day summary).
public struct ActorDay: Sendable, Equatable {
    public var stream: String
    public var actor: ActorKey
    public var day: Int32
    public var events: Int32
    public var pages: Int32

    public init(stream: String, actor: ActorKey, day: Int32, events: Int32, pages: Int32) {
        self.stream = stream
        self.actor = actor
        self.day = day
        self.events = events
        self.pages = pages
    }
}

/// Groups events into sessions and actor-days.
///
/// Events are ordered by (stream, actor, time) — not by line, since servers log a request
/// when it ends — and split where two consecutive events are more than `inactivityMinutes`
/// apart. The work is split by actor across tasks; the output order is fixed, so the result
/// does not depend on the number of threads.
public struct Sessioniser: Sendable {
    public let inactivityMillis: Int64

    public init(inactivityMinutes: Int) {
        inactivityMillis = Int64(inactivityMinutes) * 60_000
    }

    /// What sessionising a run produces.
    public struct Output: Sendable {
        public var sessions: [Session]
        public var days: [ActorDay]
        public var facts: ActivityFacts
    }

    /// Sessions and actor-days of `events`, each sorted by (stream, actor, start/day), and the
    /// learning facts gathered on the same ordering.
    ///
    /// `streams` names the events' stream indices; `strings` resolves their course and object ids.
    public func run(
        _ events: [Event], streams: [String], strings: [Publishable] = [], partitions: Int = 1,
        recentViews: [ActivityFacts.ActorObject: Int64] = [:]
    ) async -> Output {
        let parts = max(1, partitions)
        if parts == 1 || events.count < 100_000 {
            let sorted = Sessioniser.sorted(events)
            let (sessions, days) = sessionise(sorted: sorted, streams: streams)
            return Output(sessions: sessions, days: days, facts: ActivityFacts.collect(sorted: sorted, strings: strings, recentViews: recentViews))
        }
        var buckets = [[Event]](repeating: [], count: parts)
        for event in events {
            buckets[Int((event.actor.low ^ UInt64(event.stream)) % UInt64(parts))].append(event)
        }
        let results = await withTaskGroup(of: (Int, [Session], [ActorDay], ActivityFacts).self) { group in
            for (i, bucket) in buckets.enumerated() {
                group.addTask {
                    let sorted = Sessioniser.sorted(bucket)
                    let r = self.sessionise(sorted: sorted, streams: streams)
                    return (i, r.sessions, r.days, ActivityFacts.collect(sorted: sorted, strings: strings, recentViews: recentViews))
                }
            }
            var collected = [(Int, [Session], [ActorDay], ActivityFacts)]()
            for await r in group { collected.append(r) }
            return collected.sorted { $0.0 < $1.0 }
        }
        var sessions = results.flatMap { $0.1 }
        var days = results.flatMap { $0.2 }
        var facts = ActivityFacts()
        for r in results { facts.merge(r.3) }
        sessions.sort { ($0.stream, $0.actor, $0.start) < ($1.stream, $1.actor, $1.start) }
        days.sort { ($0.stream, $0.actor, $0.day) < ($1.stream, $1.actor, $1.day) }
        return Output(sessions: sessions, days: days, facts: facts)
    }

    /// Events ordered by (stream, actor, time): by timestamp, not by line.
    static func sorted(_ events: [Event]) -> [Event] {
        events.sorted {
            if $0.stream != $1.stream { return $0.stream < $1.stream }
            if $0.actor != $1.actor { return $0.actor < $1.actor }
            if $0.time != $1.time { return $0.time < $1.time }
            if $0.kind != $1.kind { return $0.kind.rawValue < $1.kind.rawValue }
            return $0.object < $1.object
        }
    }

    /// Single-threaded core, also used by tests; streams without a name are called `stream<N>`.
    public func sessionise(_ input: [Event], streams: [String] = []) -> (sessions: [Session], days: [ActorDay]) {
        sessionise(sorted: Sessioniser.sorted(input), streams: streams)
    }

    func sessionise(sorted events: [Event], streams: [String]) -> (sessions: [Session], days: [ActorDay]) {
        let names = (0...255).map { $0 < streams.count ? streams[$0] : "stream\($0)" }
        var sessions: [Session] = []
        var days: [ActorDay] = []
        var current: Session? = nil
        var today: ActorDay? = nil
        var currentStream: UInt8 = 0
        for e in events where !e.isFact {
            let page: Int32 = e.kind.countsAsPage ? 1 : 0
            let sameActor = current != nil && currentStream == e.stream && current!.actor == e.actor
            currentStream = e.stream
            if var s = current, sameActor, e.time - s.end <= inactivityMillis {
                s.end = e.time
                s.events += 1
                s.pages += page
                current = s
            } else {
                if let s = current { sessions.append(s) }
                current = Session(
                    stream: names[Int(e.stream)], actor: e.actor, start: e.time, end: e.time, day: e.day,
                    events: 1, pages: page, agentClass: e.agentClass)
            }
            if var d = today, sameActor, d.day == e.day {
                d.events += 1
                d.pages += page
                today = d
            } else {
                if let d = today { days.append(d) }
                today = ActorDay(stream: names[Int(e.stream)], actor: e.actor, day: e.day, events: 1, pages: page)
            }
        }
        if let s = current { sessions.append(s) }
        if let d = today { days.append(d) }
        return (sessions, days)
    }
}
