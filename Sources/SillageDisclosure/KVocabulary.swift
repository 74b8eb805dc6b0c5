import SillageCore
import SillagePrivacy
import SillageMetrics

/// k-vocabulary (SPEC §6): a course, object or search term is published only when at least
/// `minCount` distinct people produced it, counted over everything the store holds (every
/// run, every period).
///
/// Small-cell suppression empties the measures of a row about few people but keeps its key;
/// for a per-person value — a course id with a user name, a term one learner typed — the
/// key alone says "this person was here". A row with such a value leaves the table entirely,
/// and the privacy report counts it (`rowsBelowVocabulary`). Catalogue names follow their key;
/// code labels (days, buckets, streams) are not values and are not counted.
public struct KVocabulary: Sendable {
    public let minCount: Int
    private let people: [Publishable: Int]

    public init(facts: ActivityFacts, minCount: Int) {
        self.minCount = minCount
        var actors: [Publishable: Set<ActorKey>] = [:]
        func add(_ value: Publishable, _ actor: ActorKey) {
            if !value.isEmpty { actors[value, default: []].insert(actor) }
        }
        for k in facts.enrolments.keys { add(k.course, k.actor) }
        for k in facts.completions.keys { add(k.course, k.actor) }
        for k in facts.courseActivity.keys { add(k.course, k.actor) }
        for (k, v) in facts.activityCompletions {
            add(k.object, k.actor)
            add(v.course, k.actor)
        }
        for k in facts.contentViews.keys {
            add(k.object, k.actor)
            add(k.course, k.actor)
        }
        for k in facts.searches.keys { add(k.term, k.actor) }
        people = actors.mapValues(\.count)
    }

    /// Distinct people who produced `value`.
    public func people(_ value: Publishable) -> Int { people[value] ?? 0 }

    /// Removes the rows of `table` that hold a value fewer than `minCount` people produced;
    /// returns how many were removed.
    public func apply(_ table: inout Table) -> Int {
        let checked = table.columns.indices.filter { c in
            table.columns[c].role == .dimension && !table.columns[c].isReference && !table.columns[c].isPseudonym
        }
        guard !checked.isEmpty else { return 0 }
        let keep = table.rows.map { row in
            checked.allSatisfy { c in
                guard case .value(let v) = row[c], !v.isEmpty else { return true }
                return people(v) >= minCount
            }
        }
        table.keepRows(keep)
        return keep.filter { !$0 }.count
    }
}
