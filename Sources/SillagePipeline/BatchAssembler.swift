import SillageCore
import SillagePrivacy
import SillageIngest
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

    /// The fewest distinct people a path needs in a batch to be stored for the server report.
    var serverPathFloor = 11

    /// A slice's requests per person added up per path: page views (2xx and 3xx together) and
    /// errors, with the distinct people behind them; a path fewer than `floor` people
    /// requested is dropped here, so it never reaches the store.
    static func paths(
        _ perPerson: [ServerObjectKey: Int], stream: String, strings: [Publishable], floor: Int
    ) -> [Store.ServerObjectKey: Store.ServerPathCount] {
        var requests: [Store.ServerObjectKey: Int] = [:]
        var people: [Store.ServerObjectKey: Set<ActorKey>] = [:]
        for (k, n) in perPerson {
            let object = Int(k.object) < strings.count && k.object > 0 ? strings[Int(k.object)] : Publishable.none
            let key = Store.ServerObjectKey(day: k.day, stream: stream, object: object, statusClass: k.statusClass == 2 ? 1 : Int(k.statusClass))
            requests[key, default: 0] += n
            people[key, default: []].insert(k.actor)
        }
        var out: [Store.ServerObjectKey: Store.ServerPathCount] = [:]
        for (key, n) in requests {
            let count = people[key]?.count ?? 0
            if count >= floor { out[key] = Store.ServerPathCount(requests: n, people: count) }
        }
        return out
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
        batch.serverObjects = Self.paths(slice.serverObjects, stream: stream, strings: strings, floor: serverPathFloor)
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
