import SillageCore
import SillagePrivacy
import SillageIngest
import SillageStore

/// What one `sillage forget` did.
public struct ErasureOutcome: Sendable, Equatable {
    public var people = 0
    /// Rows deleted from the store.
    public var rows = 0
    /// People already on the opt-out list before this request.
    public var alreadyOptedOut = 0
}

/// Objection and erasure (SPEC §6): everything derived from a person is deleted, and their
/// keyed hash joins the opt-out list so that later ingests drop their records as they leave
/// the parser. Asking twice is harmless.
public enum Erasure {
    /// Forgets `people` in one transaction and journals it (counts only, no identifier).
    public static func forget(_ people: [PersonIdentifier], store: Store, pseudonymiser: Pseudonymiser) throws(SillageError) -> ErasureOutcome {
        var outcome = ErasureOutcome()
        let optedOut = try store.optOuts()
        try store.transaction { () throws(SillageError) in
            var seen = Set<ActorKey>()
            for person in people {
                let actor = person.pseudonym(pseudonymiser)
                guard seen.insert(actor).inserted else { continue }
                if optedOut.contains(actor) { outcome.alreadyOptedOut += 1 }
                outcome.rows += try store.erase(actor)
            }
            outcome.people = seen.count
            let namespaces = Set(people.map(\.namespace)).sorted().joined(separator: ", ")
            try store.journal(
                "erasure", subject: "\(outcome.people) person(s) named in \(namespaces); added to the opt-out list",
                count: Int64(outcome.rows),
                details: .object([
                    ("people", .int(Int64(outcome.people))), ("rows", .int(Int64(outcome.rows))),
                    ("alreadyOptedOut", .int(Int64(outcome.alreadyOptedOut))),
                ]))
        }
        return outcome
    }
}

/// Drops the records of people on the opt-out list as they leave the parser.
struct OptOutFilter {
    let actors: Set<ActorKey>

    /// Removes the slice's events and memberships of opted-out people; each dropped event
    /// is counted as an `opted-out` skip of the run, so nothing is lost silently — but not of
    /// its day: per-day counts of one person's dropped records would say when they were active.
    func apply(to slice: inout FileIngest) {
        guard !actors.isEmpty else { return }
        var kept: [Event] = []
        kept.reserveCapacity(slice.events.count)
        for e in slice.events {
            if actors.contains(e.actor) {
                slice.counts[skip: .optedOut] += 1
                slice.daily[e.day, default: DailyCounts()].events -= 1
                if slice.daily[e.day] == DailyCounts() { slice.daily[e.day] = nil }
            } else {
                kept.append(e)
            }
        }
        slice.events = kept
        slice.references.removeAll { row in
            if case .membership(let actor, _) = row, actors.contains(actor) {
                slice.counts[skip: .optedOut] += 1
                return true
            }
            return false
        }
    }
}
