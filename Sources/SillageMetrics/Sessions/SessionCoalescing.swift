/// Joins session parts read at different times into the sessions one pass would have formed.
///
/// A part is a maximal run of one actor's events within one batch of one input. Sessions
/// are maximal runs with no gap over the inactivity limit, so the sessions of a union of
/// batches are exactly the parts that overlap or lie within the limit of each other,
/// coalesced: whatever the order in which files arrive, late or rotated, and however they
/// were cut into runs.
public enum SessionCoalescing {
    /// How far out of order events may arrive and still meet the 30-second double-click
    /// rule of content views: five minutes (servers log requests when they end).
    public static let latenessMillis: Int64 = 5 * 60_000

    /// The order in which parts are coalesced: by stream, actor and start; ties on the start
    /// are broken without regard to which input came first, so the result does not depend on
    /// the order of reading.
    public static func precedes(_ a: Session, _ b: Session) -> Bool {
        if a.stream != b.stream { return a.stream < b.stream }
        if a.actor != b.actor { return a.actor < b.actor }
        if a.start != b.start { return a.start < b.start }
        if a.agentClass != b.agentClass { return a.agentClass.rawValue < b.agentClass.rawValue }
        return a.end < b.end
    }

    /// Coalesces `parts` (any order) into sessions sorted by (stream, actor, start).
    ///
    /// A session takes the start, local day and client class of its earliest part, the
    /// latest end, and the sums of events and pages.
    public static func coalesce(_ parts: [Session], gap: Int64) -> [Session] {
        let sorted = parts.sorted(by: precedes)
        var merged: [Session] = []
        merged.reserveCapacity(sorted.count)
        for s in sorted {
            if var last = merged.last, last.stream == s.stream, last.actor == s.actor, s.start - last.end <= gap {
                last.end = max(last.end, s.end)
                last.events += s.events
                last.pages += s.pages
                merged[merged.count - 1] = last
            } else {
                merged.append(s)
            }
        }
        return merged
    }

    /// Coalesces parts labelled with the input they came from, keeping with each session the
    /// parts it was made of.
    public static func coalesce(labelled parts: [(part: Session, input: Int64)], gap: Int64)
        -> [(session: Session, parts: [(part: Session, input: Int64)])]
    {
        let sorted = parts.sorted { precedes($0.part, $1.part) || (!precedes($1.part, $0.part) && $0.input < $1.input) }
        var merged: [(session: Session, parts: [(part: Session, input: Int64)])] = []
        for p in sorted {
            let s = p.part
            if var last = merged.last, last.session.stream == s.stream, last.session.actor == s.actor,
                s.start - last.session.end <= gap
            {
                last.session.end = max(last.session.end, s.end)
                last.session.events += s.events
                last.session.pages += s.pages
                last.parts.append(p)
                merged[merged.count - 1] = last
            } else {
                merged.append((s, [p]))
            }
        }
        return merged
    }
}
