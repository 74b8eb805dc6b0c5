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

    /// A slice's page views (its events, 2xx and 3xx together) and people's errors added up
    /// per path, with the distinct people behind them; a path fewer than `floor` people
    /// requested is dropped here, so it never reaches the store. Counted on the run's object
    /// ids; only the paths kept are named. People are counted up to `peopleCap`, enough to
    /// judge any floor and to say "100 or more", without a set of every visitor of a
    /// popular page.
    static let peopleCap = 100

    static func paths(
        _ slice: FileIngest, stream: String, strings: [Publishable], floor: Int
    ) -> [Store.ServerObjectKey: Store.ServerPathCount] {
        guard !slice.server.isEmpty else { return [:] }
        struct Path {
            var requests = 0
            var people = Set<ActorKey>()
            mutating func add(_ n: Int, _ actor: ActorKey, cap: Int) {
                requests += n
                if people.count < cap { people.insert(actor) }
            }
        }
        struct PathKey: Hashable { var day: Int32; var object: UInt32; var statusClass: UInt8 }
        var paths: [PathKey: Path] = [:]
        // A page view answered 2xx or 3xx is one class (1).
        func key(_ day: Int32, _ object: UInt32, _ statusClass: UInt8) -> PathKey {
            PathKey(day: day, object: object, statusClass: statusClass == 2 ? 1 : statusClass)
        }
        let cap = max(floor, peopleCap)
        for e in slice.events where e.kind == .pageView {
            paths[key(e.day, e.object, UInt8(ServerDay.statusClass(Int(e.status)))), default: Path()].add(1, e.actor, cap: cap)
        }
        for (k, n) in slice.serverObjects {
            paths[key(k.day, k.object, k.statusClass), default: Path()].add(n, k.actor, cap: cap)
        }
        var out: [Store.ServerObjectKey: Store.ServerPathCount] = [:]
        for (k, path) in paths where path.people.count >= floor {
            let object = Int(k.object) < strings.count && k.object > 0 ? strings[Int(k.object)] : Publishable.none
            let key = Store.ServerObjectKey(day: k.day, stream: stream, object: object, statusClass: Int(k.statusClass))
            out[key] = Store.ServerPathCount(requests: path.requests, people: path.people.count)
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
        batch.serverObjects = Self.paths(slice, stream: stream, strings: strings, floor: serverPathFloor)
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
