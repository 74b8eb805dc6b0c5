import SillageCore
import SillagePrivacy

/// Learning facts gathered from a run's events, keyed by pseudonym and by course or object
/// key: what completion, funnel, consultation and search tables are computed from.
public struct ActivityFacts: Sendable, Equatable {
    public struct ActorCourse: Hashable, Sendable, Comparable {
        public var actor: ActorKey
        public var course: Publishable
        public static func < (a: Self, b: Self) -> Bool { (a.course, a.actor) < (b.course, b.actor) }

        package init(actor: ActorKey, course: Publishable) {
            self.actor = actor
            self.course = course
        }
    }

    public struct ActorObject: Hashable, Sendable, Comparable {
        public var actor: ActorKey
        public var object: Publishable
        public static func < (a: Self, b: Self) -> Bool { (a.object, a.actor) < (b.object, b.actor) }

        package init(actor: ActorKey, object: Publishable) {
            self.actor = actor
            self.object = object
        }
    }

    /// First enrolment per learner and course (UTC ms).
    public var enrolments: [ActorCourse: Int64] = [:]
    /// First completion per learner and course.
    public var completions: [ActorCourse: Int64] = [:]
    /// First and last activity (not facts, not enrolments) per learner and course, and its count.
    public var courseActivity: [ActorCourse: CourseActivity] = [:]
    /// First completion per learner and activity, with the activity's course.
    public var activityCompletions: [ActorObject: ActivityCompletion] = [:]
    /// Events per learner, course and local day, and how many went beyond the course's home
    /// page: what weekly activity, connection days and the at-risk rule of reports read.
    public var courseDays: [CourseDayKey: CourseDay] = [:]
    /// Consultations per object, local week (its Monday's day number) and learner.
    public var contentViews: [ContentViewKey: Int] = [:]
    /// Searches per scrubbed term, learner and local day.
    public var searches: [SearchKey: SearchCounts] = [:]

    public struct CourseActivity: Sendable, Equatable {
        public var first: Int64
        public var last: Int64
        public var events: Int

        package init(first: Int64, last: Int64, events: Int) {
            self.first = first
            self.last = last
            self.events = events
        }
    }

    public struct CourseDayKey: Hashable, Sendable, Comparable {
        public var course: Publishable
        public var actor: ActorKey
        public var day: Int32
        public static func < (a: Self, b: Self) -> Bool { (a.course, a.day, a.actor) < (b.course, b.day, b.actor) }

        package init(course: Publishable, actor: ActorKey, day: Int32) {
            self.course = course
            self.actor = actor
            self.day = day
        }
    }

    public struct CourseDay: Sendable, Equatable {
        public var events: Int
        /// Events other than views of the course's home page (Aspects' "active beyond the
        /// course home").
        public var beyondHome: Int

        package init(events: Int, beyondHome: Int) {
            self.events = events
            self.beyondHome = beyondHome
        }

        mutating func add(_ other: CourseDay) {
            events += other.events
            beyondHome += other.beyondHome
        }
    }

    public struct ActivityCompletion: Sendable, Equatable {
        public var course: Publishable
        public var time: Int64

        package init(course: Publishable, time: Int64) {
            self.course = course
            self.time = time
        }
    }

    public struct ContentViewKey: Hashable, Sendable, Comparable {
        public var object: Publishable
        public var course: Publishable
        public var week: Int32
        public var actor: ActorKey
        public static func < (a: Self, b: Self) -> Bool { (a.object, a.week, a.actor) < (b.object, b.week, b.actor) }

        package init(object: Publishable, course: Publishable, week: Int32, actor: ActorKey) {
            self.object = object
            self.course = course
            self.week = week
            self.actor = actor
        }
    }

    public struct SearchKey: Hashable, Sendable, Comparable {
        public var term: Publishable
        public var actor: ActorKey
        public var day: Int32
        public static func < (a: Self, b: Self) -> Bool { (a.term, a.day, a.actor) < (b.term, b.day, b.actor) }

        package init(term: Publishable, actor: ActorKey, day: Int32) {
            self.term = term
            self.actor = actor
            self.day = day
        }
    }

    public struct SearchCounts: Sendable, Equatable {
        public var searches: Int
        public var failed: Int

        package init(searches: Int, failed: Int) {
            self.searches = searches
            self.failed = failed
        }
    }

    /// Views of the same object by the same learner within this many milliseconds count once (COUNTER R5).
    public static let doubleClickMillis: Int64 = 30_000

    public init() {}

    /// The Monday (local day number) of the ISO week holding `day`.
    public static func weekStart(_ day: Int32) -> Int32 {
        let weekday = ((Int(day) + 3) % 7 + 7) % 7
        return day - Int32(weekday)
    }

    /// Last view time per learner and object (the next run's double-click rule needs them).
    public var lastViews: [ActorObject: Int64] = [:]

    /// Collects facts from events sorted by (stream, actor, time); `strings` resolves ids;
    /// `recentViews` are the last views carried from the previous run.
    public static func collect(
        sorted events: [Event], strings: [Publishable],
        recentViews: [ActorObject: Int64] = [:]
    ) -> ActivityFacts {
        var facts = ActivityFacts()
        var lastView: [UInt32: Int64] = [:]
        var currentActor: ActorKey? = nil
        var currentStream: UInt8 = 0
        func string(_ id: UInt32) -> Publishable { id == 0 || Int(id) >= strings.count ? .none : strings[Int(id)] }
        for e in events {
            if e.actor != currentActor || e.stream != currentStream {
                if let actor = currentActor {
                    for (object, t) in lastView { facts.lastViews[ActorObject(actor: actor, object: string(object))] = t }
                }
                lastView.removeAll(keepingCapacity: true)
                currentActor = e.actor
                currentStream = e.stream
            }
            let course = string(e.course)
            switch e.kind {
            case .enrolled:
                if !course.isEmpty { facts.enrolments[ActorCourse(actor: e.actor, course: course), default: e.time].formMin(e.time) }
            case .courseCompleted:
                if !course.isEmpty { facts.completions[ActorCourse(actor: e.actor, course: course), default: e.time].formMin(e.time) }
            case .activityCompleted:
                let object = string(e.object)
                if !object.isEmpty {
                    let key = ActorObject(actor: e.actor, object: object)
                    if let existing = facts.activityCompletions[key], existing.time <= e.time { break }
                    facts.activityCompletions[key] = ActivityCompletion(course: course, time: e.time)
                }
            case .contentView, .download:
                let object = string(e.object)
                guard !object.isEmpty else { break }
                if lastView[e.object] == nil, let carried = recentViews[ActorObject(actor: e.actor, object: object)] {
                    lastView[e.object] = carried
                }
                if let last = lastView[e.object], e.time - last <= doubleClickMillis {
                    lastView[e.object] = e.time
                    break
                }
                lastView[e.object] = e.time
                facts.contentViews[ContentViewKey(object: object, course: course, week: weekStart(e.day), actor: e.actor), default: 0] += 1
            case .search:
                guard let term = string(e.object).removingPrefix("search:") else { break }
                let key = SearchKey(term: term, actor: e.actor, day: e.day)
                facts.searches[key, default: SearchCounts(searches: 0, failed: 0)].searches += 1
                if e.searchResults == 0 { facts.searches[key]!.failed += 1 }
            default:
                break
            }
            if !e.isFact, e.kind != .enrolled, !course.isEmpty {
                let key = ActorCourse(actor: e.actor, course: course)
                if var a = facts.courseActivity[key] {
                    a.first = min(a.first, e.time)
                    a.last = max(a.last, e.time)
                    a.events += 1
                    facts.courseActivity[key] = a
                } else {
                    facts.courseActivity[key] = CourseActivity(first: e.time, last: e.time, events: 1)
                }
                let day = CourseDay(events: 1, beyondHome: e.kind == .courseView ? 0 : 1)
                facts.courseDays[CourseDayKey(course: course, actor: e.actor, day: e.day), default: CourseDay(events: 0, beyondHome: 0)].add(day)
            }
        }
        if let actor = currentActor {
            for (object, t) in lastView { facts.lastViews[ActorObject(actor: actor, object: string(object))] = t }
        }
        return facts
    }

    /// Adds facts gathered elsewhere (another partition, or the store).
    public mutating func merge(_ other: ActivityFacts) {
        for (k, v) in other.enrolments { enrolments[k, default: v].formMin(v) }
        for (k, v) in other.completions { completions[k, default: v].formMin(v) }
        for (k, v) in other.courseActivity {
            if var a = courseActivity[k] {
                a.first = min(a.first, v.first)
                a.last = max(a.last, v.last)
                a.events += v.events
                courseActivity[k] = a
            } else {
                courseActivity[k] = v
            }
        }
        for (k, v) in other.courseDays { courseDays[k, default: CourseDay(events: 0, beyondHome: 0)].add(v) }
        for (k, v) in other.activityCompletions where activityCompletions[k].map({ v.time < $0.time }) ?? true {
            activityCompletions[k] = v
        }
        for (k, v) in other.contentViews { contentViews[k, default: 0] += v }
        for (k, v) in other.lastViews { lastViews[k] = max(lastViews[k] ?? v, v) }
        for (k, v) in other.searches {
            var c = searches[k] ?? SearchCounts(searches: 0, failed: 0)
            c.searches += v.searches
            c.failed += v.failed
            searches[k] = c
        }
    }

    /// The facts of `actors` only (an organisation's learners).
    public func restricted(to actors: Set<ActorKey>) -> ActivityFacts {
        var f = ActivityFacts()
        f.enrolments = enrolments.filter { actors.contains($0.key.actor) }
        f.completions = completions.filter { actors.contains($0.key.actor) }
        f.courseActivity = courseActivity.filter { actors.contains($0.key.actor) }
        f.courseDays = courseDays.filter { actors.contains($0.key.actor) }
        f.activityCompletions = activityCompletions.filter { actors.contains($0.key.actor) }
        f.contentViews = contentViews.filter { actors.contains($0.key.actor) }
        f.searches = searches.filter { actors.contains($0.key.actor) }
        return f
    }

    public var isEmpty: Bool {
        enrolments.isEmpty && completions.isEmpty && courseActivity.isEmpty && courseDays.isEmpty && activityCompletions.isEmpty
            && contentViews.isEmpty && searches.isEmpty
    }

    /// Equality of the published facts (the carried last views are not compared).
    public static func == (a: ActivityFacts, b: ActivityFacts) -> Bool {
        a.enrolments == b.enrolments && a.completions == b.completions && a.courseActivity == b.courseActivity
            && a.courseDays == b.courseDays && a.activityCompletions == b.activityCompletions && a.contentViews == b.contentViews
            && a.searches == b.searches
    }
}

extension Int64 {
    mutating func formMin(_ other: Int64) { if other < self { self = other } }
}
