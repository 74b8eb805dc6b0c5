#if canImport(Glibc)
    import Glibc
#endif
import SillageCore
import SillageStore

/// How long the store keeps what (SPEC §6), declared under `retention` in the pipeline.
public struct RetentionPolicy: Sendable, Equatable {
    /// Sessions, learner-day summaries, content views and searches: kept this many days.
    public var sessionDays = 365
    /// Learners without any trace for this many days are anonymised: their pseudonym is
    /// replaced everywhere by a random one, so no identifier leads to their rows any more.
    public var inactiveLearnerDays = 1825
    /// Reject samples, which hold raw log lines, follow the raw-log retention.
    public var rawLogDays = 365

    public init() {}

    static func parse(_ r: JSONObjectReader) throws(SillageError) -> RetentionPolicy {
        var p = RetentionPolicy()
        if let d = try r.int("sessionDays", in: 1...36500) { p.sessionDays = Int(d) }
        if let d = try r.int("inactiveLearnerDays", in: 1...36500) { p.inactiveLearnerDays = Int(d) }
        if let d = try r.int("rawLogDays", in: 1...36500) { p.rawLogDays = Int(d) }
        try r.finish()
        return p
    }
}

/// What one enforcement of the retention policy did.
public struct RetentionOutcome: Sendable, Equatable {
    /// First local day kept for sessions and learner-days.
    public var keptFromDay: String
    /// Rows deleted per kind (sessions, learnerDays, contentViews, searches, enrolments,
    /// completions, courseActivity, activityCompletions, recentViews).
    public var purged: [String: Int] = [:]
    public var anonymisedLearners = 0
    public var rejectFilesDeleted = 0

    public var total: Int { purged.values.reduce(0, +) + anonymisedLearners + rejectFilesDeleted }
}

/// Enforces a retention policy on a store; every run does, and `sillage purge` on demand.
public enum Retention {
    /// Purges what is older than the policy allows at `now` (UTC seconds), anonymises
    /// inactive learners, deletes old reject samples, and journals what it did, in one
    /// transaction (the reject files go after it commits).
    @discardableResult
    public static func enforce(
        _ policy: RetentionPolicy, store: Store, zone: ZoneRules, now: Int64,
        run: Int64?
    ) throws(SillageError) -> RetentionOutcome {
        let today = Int(zone.localDay(utcMillis: now * 1000))
        let cutoffDay = Int32(today - policy.sessionDays + 1)
        var outcome = RetentionOutcome(keptFromDay: CivilTime.isoDate(days: Int(cutoffDay)))
        let rawCutoff = Clock.iso(now - Int64(policy.rawLogDays) * 86400)
        var staleRejects: [String] = []
        try store.transaction { () throws(SillageError) in
            for (kind, n) in try store.purgeActivity(before: cutoffDay) { outcome.purged[kind] = n }
            let inactive = try store.inactiveLearners(lastSeenBefore: (now - Int64(policy.inactiveLearnerDays) * 86400) * 1000)
            var random = SystemRandomNumberGenerator()
            for actor in inactive {
                try store.replaceActor(actor, with: ActorKey(high: random.next(), low: random.next()))
            }
            outcome.anonymisedLearners = inactive.count
            // ISO instants compare as text.
            for (id, started) in try store.runStarts() where started < rawCutoff {
                let path = RejectFile.path(store: store.path, run: id)
                if access(path, F_OK) == 0 { staleRejects.append(path) }
            }
            outcome.rejectFilesDeleted = staleRejects.count
            var details: [(String, JSONValue)] = [
                ("sessionDays", .int(Int64(policy.sessionDays))),
                ("inactiveLearnerDays", .int(Int64(policy.inactiveLearnerDays))),
                ("rawLogDays", .int(Int64(policy.rawLogDays))),
                ("keptFromDay", .string(outcome.keptFromDay)),
            ]
            for (kind, n) in outcome.purged.sorted(by: { $0.key < $1.key }) { details.append((kind, .int(Int64(n)))) }
            details.append(("anonymisedLearners", .int(Int64(outcome.anonymisedLearners))))
            details.append(("rejectFiles", .int(Int64(outcome.rejectFilesDeleted))))
            try store.journal(
                "retention",
                subject:
                    "rows older than \(outcome.keptFromDay), learners inactive \(policy.inactiveLearnerDays) days, reject samples older than \(policy.rawLogDays) days",
                count: Int64(outcome.total), details: .object(details), run: run, at: Clock.iso(now))
        }
        for path in staleRejects { unlink(path) }
        return outcome
    }
}
