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
            if let (export, recipient) = try firstRelease(kind: "session-tables") {
                throw SillageError.configuration(
                    "session microdata of export \(export): this store has published tables of the same sessions (export \(export), recipient \(recipient)); the microdata's exact rows would undo their protection; nothing was published",
                    at: "$.exports",
                    hint: "publish microdata from a store that publishes no daily_activity, session_lengths or connection_days")
            }
            let q = try database.prepare(
                "SELECT recipient, export, period, first_day, last_day, digest FROM microdata_releases WHERE kind = 'microdata'")
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
                "INSERT INTO microdata_releases(kind, recipient, export, period, first_day, last_day, digest, at, run_id) VALUES ('microdata', ?, ?, ?, ?, ?, ?, ?, ?)"
            ).bind([
                .text(recipient), .text(export), .text(period), days.map { .integer(Int64($0.lowerBound)) } ?? .null,
                days.map { .integer(Int64($0.upperBound)) } ?? .null, .text(digest), .text(Store.now()), run.map { .integer($0) } ?? .null,
            ]).run()
        }
    }

    /// Records that `export` publishes tables of sessions (once per export and recipient), or
    /// refuses it when this store has published session microdata.
    public func recordSessionTables(recipient: String, export: String, period: String, run: Int64?) throws(SillageError) {
        try database.transaction { () throws(SillageError) in
            if let (other, to) = try firstRelease(kind: "microdata") {
                throw SillageError.configuration(
                    "export \(export) publishes tables of sessions, but this store has published session microdata (export \(other), recipient \(to)), whose exact rows would undo the tables' protection; nothing was published",
                    at: "$.exports",
                    hint: "publish the tables from a store that publishes no session microdata")
            }
            let seen = try database.prepare(
                "SELECT count(*) FROM microdata_releases WHERE kind = 'session-tables' AND recipient = ? AND export = ? AND period = ?"
            ).bind([.text(recipient), .text(export), .text(period)])
            _ = try seen.step()
            guard seen.int(0) == 0 else { return }
            try database.prepare(
                "INSERT INTO microdata_releases(kind, recipient, export, period, digest, at, run_id) VALUES ('session-tables', ?, ?, ?, '', ?, ?)"
            ).bind([.text(recipient), .text(export), .text(period), .text(Store.now()), run.map { .integer($0) } ?? .null]).run()
        }
    }

    /// The export and recipient of the first release of `kind`, if any.
    func firstRelease(kind: String) throws(SillageError) -> (String, String)? {
        let q = try database.prepare("SELECT export, recipient FROM microdata_releases WHERE kind = ? ORDER BY id LIMIT 1").bind([.text(kind)])
        return try q.step() ? (q.text(0), q.text(1)) : nil
    }
}
