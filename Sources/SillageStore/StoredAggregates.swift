import SillagePrivacy
import SillageCore
import SillageMetrics

/// Reading back what the inputs contributed: rows are kept per input and combined here.
extension Store {
    private func dayBounds(_ days: ClosedRange<Int>?) -> [SQLiteStatement.Value] {
        [.integer(Int64(days?.lowerBound ?? Int(Int32.min))), .integer(Int64(days?.upperBound ?? Int(Int32.max)))]
    }

    /// Learner-day summaries on local days in `days` (all when nil), in key order.
    public func actorDays(days: ClosedRange<Int>? = nil) throws(SillageError) -> [ActorDay] {
        let q = try database.prepare(
            """
            SELECT stream, actor, day, sum(events), sum(pages) FROM actor_days
            WHERE day BETWEEN ? AND ? GROUP BY stream, actor, day ORDER BY stream, actor, day
            """)
        q.bind(dayBounds(days))
        var out: [ActorDay] = []
        while try q.step() {
            out.append(
                ActorDay(
                    stream: q.text(0), actor: q.actor(1), day: Int32(q.int(2)),
                    events: Int32(q.int(3)), pages: Int32(q.int(4))))
        }
        return out
    }

    /// Events and skips per (local day, stream) on days in `days` (all when nil).
    public func dailyCounts(days: ClosedRange<Int>? = nil) throws(SillageError) -> [DailyKey: [String: Int]] {
        let q = try database.prepare(
            """
            SELECT day, stream, measure, sum(count) FROM daily_counts WHERE day BETWEEN ? AND ? GROUP BY day, stream, measure
            """)
        q.bind(dayBounds(days))
        var out: [DailyKey: [String: Int]] = [:]
        while try q.step() {
            out[DailyKey(day: Int32(q.int(0)), stream: q.text(1)), default: [:]][q.text(2)] = Int(q.int(3))
        }
        return out
    }

    /// Requests per day, object and status class (the streams and inputs combined), and the
    /// most distinct people behind them in one batch: a lower bound of the day's people.
    public func serverObjects(days: ClosedRange<Int>? = nil) throws(SillageError) -> [ServerObjectCount] {
        let q = try database.prepare(
            """
            SELECT day, object, status_class, sum(requests), max(people) FROM server_objects WHERE day BETWEEN ? AND ?
            GROUP BY day, object, status_class ORDER BY day, object, status_class
            """)
        q.bind(dayBounds(days))
        var out: [ServerObjectCount] = []
        while try q.step() {
            out.append(
                ServerObjectCount(
                    day: Int32(q.int(0)), object: q.value(1), statusClass: Int(q.int(2)), requests: Int(q.int(3)), people: Int(q.int(4))))
        }
        return out
    }

    /// Requests of a day's object and status class, and the people behind them.
    public struct ServerObjectCount: Sendable, Equatable {
        public var day: Int32
        public var object: Publishable
        public var statusClass: Int
        public var requests: Int
        public var people: Int
    }

    /// Every learner's organisation, from the organisations reference input.
    public func memberships() throws(SillageError) -> [ActorKey: Publishable] {
        let q = try database.prepare("SELECT actor, organisation FROM memberships")
        var out: [ActorKey: Publishable] = [:]
        while try q.step() { out[q.actor(0)] = q.value(1) }
        return out
    }

    /// Distinct actors per (local day, stream): a web stream's visitors.
    public func distinctActors(days: ClosedRange<Int>? = nil) throws(SillageError) -> [DailyKey: Int] {
        let q = try database.prepare(
            "SELECT day, stream, count(DISTINCT actor) FROM actor_days WHERE day BETWEEN ? AND ? GROUP BY day, stream")
        q.bind(dayBounds(days))
        var out: [DailyKey: Int] = [:]
        while try q.step() { out[DailyKey(day: Int32(q.int(0)), stream: q.text(1))] = Int(q.int(2)) }
        return out
    }

    /// The learning facts the store holds (of one person when `actor` is given), all inputs
    /// combined. Times are not filtered here: the table builders decide what a period covers.
    public func facts(of actor: ActorKey? = nil) throws(SillageError) -> ActivityFacts {
        func query(_ columns: String, _ table: String, _ tail: String = "") throws(SillageError) -> SQLiteStatement {
            let q = try database.prepare("SELECT \(columns) FROM \(table)\(actor == nil ? "" : " WHERE actor = ?") \(tail)")
            if let actor { q.bindActor(1, actor) }
            return q
        }
        var f = ActivityFacts()
        var q = try query("course, actor, min(first_ms)", "enrolments", "GROUP BY course, actor")
        while try q.step() { f.enrolments[.init(actor: q.actor(1), course: q.value(0))] = q.int(2) }
        q = try query("course, actor, min(completed_ms)", "completions", "GROUP BY course, actor")
        while try q.step() { f.completions[.init(actor: q.actor(1), course: q.value(0))] = q.int(2) }
        q = try query("course, actor, min(first_ms), max(last_ms), sum(events)", "course_activity", "GROUP BY course, actor")
        while try q.step() {
            f.courseActivity[.init(actor: q.actor(1), course: q.value(0))] = .init(first: q.int(2), last: q.int(3), events: Int(q.int(4)))
        }
        q = try query("course, actor, day, sum(events), sum(beyond_home)", "course_days", "GROUP BY course, actor, day")
        while try q.step() {
            f.courseDays[.init(course: q.value(0), actor: q.actor(1), day: Int32(q.int(2)))] = .init(
                events: Int(q.int(3)), beyondHome: Int(q.int(4)))
        }
        // The earliest completion wins, and its course with it; ties go to the smaller course id.
        q = try query("object, actor, course, completed_ms", "activity_completions", "ORDER BY object, actor, completed_ms, course")
        while try q.step() {
            let key = ActivityFacts.ActorObject(actor: q.actor(1), object: q.value(0))
            if f.activityCompletions[key] == nil { f.activityCompletions[key] = .init(course: q.value(2), time: q.int(3)) }
        }
        q = try query("object, week, actor, course, sum(views)", "content_views", "GROUP BY object, week, actor, course")
        while try q.step() {
            f.contentViews[.init(object: q.value(0), course: q.value(3), week: Int32(q.int(1)), actor: q.actor(2)), default: 0] += Int(q.int(4))
        }
        q = try query("term, day, actor, sum(searches), sum(failed)", "searches", "GROUP BY term, day, actor")
        while try q.step() {
            f.searches[.init(term: q.value(0), actor: q.actor(2), day: Int32(q.int(1)))] = .init(searches: Int(q.int(3)), failed: Int(q.int(4)))
        }
        return f
    }

    /// Last views near the end of what is stored, for the 30-second rule across batches.
    public func recentViews() throws(SillageError) -> [ActivityFacts.ActorObject: Int64] {
        var views: [ActivityFacts.ActorObject: Int64] = [:]
        let q = try database.prepare("SELECT actor, object, last_ms FROM recent_views")
        while try q.step() { views[.init(actor: q.actor(0), object: q.value(1))] = q.int(2) }
        return views
    }
}
