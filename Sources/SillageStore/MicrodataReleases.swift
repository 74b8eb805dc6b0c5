import SillageCore

/// The microdata ledger: session microdata published from this store, so that no two
/// different files covering the same days ever leave it.
///
/// Rows of k-anonymous microdata are protected within one file; two files whose periods
/// overlap and whose rows differ — the nightly re-export of `all`, a re-export after
/// `forget`, a second recipient — give, as the difference of their rows, the sessions that
/// changed, which may be one person's. Publishing the same rows again reveals nothing new.
extension Store {
    /// Records a microdata release of `digest` for `recipient` (its id), `export` and the
    /// local `days` it covers (nil: all), or refuses it, recording nothing, when a different
    /// file covering any of those days was published before, to any recipient.
    public func recordMicrodata(
        recipient: String, export: String, period: String, days: ClosedRange<Int>?, digest: String, run: Int64?
    ) throws(SillageError) {
        try database.transaction { () throws(SillageError) in
            let q = try database.prepare("SELECT recipient, export, period, first_day, last_day, digest FROM microdata_releases")
            var identical = false
            while try q.step() {
                let first = q.isNull(3) ? Int.min : Int(q.int(3)), last = q.isNull(4) ? Int.max : Int(q.int(4))
                let overlaps = days.map { $0.lowerBound <= last && first <= $0.upperBound } ?? true
                guard overlaps else { continue }
                if q.text(5) == digest {
                    if q.text(0) == recipient && q.text(1) == export && q.text(2) == period { identical = true }
                    continue
                }
                throw SillageError.configuration(
                    "session microdata of export \(export), period \(period): different session microdata covering some of the same days was published before (export \(q.text(1)), period \(q.text(2))); the difference of the two files' rows would isolate the sessions that changed, which may be one person's; nothing was published",
                    at: "$.exports",
                    hint:
                        "microdata is published once per period: publish a period that does not overlap the ones already published, or start a new store; the tables (not the microdata) can be re-exported as often as needed"
                )
            }
            guard !identical else { return }
            try database.prepare(
                "INSERT INTO microdata_releases(recipient, export, period, first_day, last_day, digest, at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            ).bind([
                .text(recipient), .text(export), .text(period), days.map { .integer(Int64($0.lowerBound)) } ?? .null,
                days.map { .integer(Int64($0.upperBound)) } ?? .null, .text(digest), .text(Store.now()), run.map { .integer($0) } ?? .null,
            ]).run()
        }
    }
}
