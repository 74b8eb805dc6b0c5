/// What one run hands to the next so that incremental runs equal one uninterrupted run.
///
/// A session whose last event is close to the latest event of its stream may still grow:
/// it stays open, in the store, and is merged with the next run's sessions. Views close to
/// the end are kept for the 30-second double-click rule. Events may arrive up to
/// `latenessMillis` out of order (servers log requests when they end).
public struct CarriedState: Sendable, Equatable {
    /// Sessions that may still grow, by stream and actor.
    public var openSessions: [Session] = []
    /// Latest event time seen per stream (UTC ms).
    public var clocks: [String: Int64] = [:]
    /// Last view time per learner and object, for views near the end.
    public var recentViews: [ActivityFacts.ActorObject: Int64] = [:]

    /// How far out of order events may arrive: five minutes.
    public static let latenessMillis: Int64 = 5 * 60_000

    public init() {}

    /// Merges carried open sessions with a run's new sessions and splits the result into
    /// closed and still-open sessions.
    ///
    /// Both inputs are maximal runs with no inner gap over `gap`, so coalescing sessions
    /// that overlap or start within `gap` of the previous end gives exactly the sessions one
    /// pass over all events would give.
    public static func merge(carried: [Session], new: [Session], gap: Int64, clocks: [String: Int64])
        -> (closed: [Session], open: [Session]) {
        var all = carried + new
        all.sort { ($0.stream, $0.actor, $0.start, $0.end) < ($1.stream, $1.actor, $1.start, $1.end) }
        var merged: [Session] = []
        merged.reserveCapacity(all.count)
        for s in all {
            if var last = merged.last, last.stream == s.stream, last.actor == s.actor, s.start - last.end <= gap {
                last.end = max(last.end, s.end)
                last.events += s.events
                last.pages += s.pages
                merged[merged.count - 1] = last
            } else {
                merged.append(s)
            }
        }
        var closed: [Session] = []
        var open: [Session] = []
        for s in merged {
            let clock = clocks[s.stream] ?? Int64.min
            if clock == Int64.min || s.end >= clock - gap - latenessMillis { open.append(s) } else { closed.append(s) }
        }
        return (closed, open)
    }
}
