import SillageCore
import SillagePrivacy
import SillageMetrics
import SillageStore

/// Turns a sessionised slice into the batch the store commits in one transaction: sessions,
/// learner-days and facts, day counts, references, the ledger position and the state of the
/// 30-second double-click rule carried to the next batch.
struct BatchAssembler {
    let gap: Int64
    /// Last view per learner and object near the end of what is stored.
    private(set) var recentViews: [ActivityFacts.ActorObject: Int64]
    /// End of the latest session stored or assembled.
    private var latest: Int64

    init(gap: Int64, recentViews: [ActivityFacts.ActorObject: Int64], latestSessionEnd: Int64?) {
        self.gap = gap
        self.recentViews = recentViews
        latest = latestSessionEnd ?? Int64.min
    }

    mutating func batch(
        _ output: Sessioniser.Output, slice: FileIngest, stream: String, strings: [Publishable] = [], ledger: LedgerEntry?
    ) -> Store.Batch {
        var batch = Store.Batch()
        batch.gap = gap
        batch.sessions = output.sessions
        batch.actorDays = output.days
        batch.facts = output.facts
        batch.references = slice.references
        batch.names = slice.names
        for (day, counts) in slice.daily {
            batch.daily[Store.DailyKey(day: day, stream: stream), default: DailyCounts()].add(counts)
        }
        for (day, tally) in slice.server { batch.server[Store.DailyKey(day: day, stream: stream), default: ServerDay()].add(tally) }
        for (k, n) in slice.serverObjects {
            let object = Int(k.object) < strings.count && k.object > 0 ? strings[Int(k.object)] : Publishable.none
            let key = Store.ServerObjectKey(day: k.day, stream: stream, object: object, statusClass: Int(k.statusClass), actor: k.actor)
            batch.serverObjects[key, default: 0] += n
        }
        for s in output.sessions where s.end > latest { latest = s.end }
        for (k, t) in output.facts.lastViews { recentViews[k] = max(recentViews[k] ?? t, t) }
        if latest > Int64.min {
            let horizon = latest - ActivityFacts.doubleClickMillis - SessionCoalescing.latenessMillis
            recentViews = recentViews.filter { $0.value >= horizon }
        }
        batch.recentViews = recentViews
        batch.ledger = ledger
        return batch
    }
}
