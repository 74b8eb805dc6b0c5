import Foundation
import SillageCore
import SillagePrivacy
import SillageMetrics

/// What differential privacy did to one table, for `privacy-report.json` and the codebook.
public struct NoiseReport: Sendable, Equatable {
    public var table: String
    public var epsilon: Double
    public var maxRowsPerActor: Int
    public var maxPerCell: Int
    /// L1 sensitivity: the most one person can change the table's counts, all cells together.
    public var sensitivity: Int
    public var noiseVariance: Double
    public var cellsNoised = 0
    /// Parts of a person's contribution dropped because they were in more than `maxRowsPerActor` rows.
    public var rowContributionsDropped = 0
    /// Cell contributions lowered to `maxPerCell`.
    public var contributionsClamped = 0
    /// Medians, rates and shares left empty: only counts are published under noise.
    public var cellsWithheld = 0
    /// SHA-256 of the table as published, the release the ledger charges.
    public var release = ""
    /// Partition selection: the δ declared, and the noisy count of people a row needs.
    public var delta = 0.0
    public var threshold: Int64 = 0
}

/// Publishes a table's counts with geometric noise (SPEC §6 "optional differential privacy").
///
/// 1. Each person's contribution is bounded: they count in at most `maxRowsPerActor` rows
///    (chosen by a fixed hash of person and row, not by size) and add at most `maxPerCell` to
///    a sum cell (1 to a count of people). The table's sensitivity is then
///    `maxRowsPerActor × Σ per-column caps`, and noise of scale `sensitivity / ε` makes the
///    whole table ε-differentially private.
/// 2. Each count gets its own draw, from `HMAC(key, release digest ‖ row ‖ column)`: the
///    key is the recipient's and table's, the release digest covers the bounded counts, so
///    exporting the same data again repeats every value (nothing to average), while changed
///    data gets fresh noise — and a fresh charge on the recipient's ε budget.
/// 3. Negative results become 0; medians, rates and shares are left empty (post-processing).
/// 4. Partition selection: which rows exist follows the data (a search term, a day, a
///    course), so a row is published only when its noisy counts of people reach a threshold
///    τ set so that a row one person alone is behind appears with probability at most δ:
///    `maxRowsPerActor × P(1 + Z ≥ τ) ≤ δ`, with `P(Z ≥ t) = α^t / (1 + α)`; and never under
///    `minCount`. A row that fails leaves the table, key and all. The release is then
///    (ε, δ)-differentially private.
public struct DifferentialPrivacy: Sendable {
    public let settings: NoisyTableDefinition
    public let minCount: Int

    public init(settings: NoisyTableDefinition, minCount: Int) {
        self.settings = settings
        self.minCount = minCount
    }

    /// The noise key of one table of one export: derived from the master key, recipient,
    /// export, period and table, so no two releases share draws.
    public static func tableKey(master: MasterKey, recipient: String, export: String, period: String, table: String) -> HMACSHA256 {
        let base = master.derived("differential-privacy-noise")
        let message = [recipient, export, period, table].map { Array($0.utf8) }.joined(separator: [0])
        return HMACSHA256(key: HMACSHA256(key: base).authenticate(Array(message)))
    }

    /// The noisy count of people a row needs to be published (partition selection).
    public func threshold(_ mechanism: GeometricMechanism) -> Int64 {
        guard settings.partitionSelection else { return Int64(minCount) }
        let tail = log(settings.delta * (1 + mechanism.alpha) / Double(settings.maxRowsPerActor)) / log(mechanism.alpha)
        guard tail.isFinite, tail < 1e12 else { return Int64(1e12) }
        return max(Int64(minCount), 1 + Int64(max(0, tail).rounded(.up)))
    }

    public func sensitivity(of table: Table) -> Int {
        let caps = table.columns.filter { $0.isMeasure && $0.type == .integer }.map { $0.countsPeople ? 1 : settings.maxPerCell }
        return settings.maxRowsPerActor * max(1, caps.reduce(0, +))
    }

    /// Replaces the table's counts by bounded, noisy ones; `table.contributions` must have been recorded.
    public func apply(_ table: inout Table, key: HMACSHA256) -> (SuppressionReport, NoiseReport) {
        precondition(table.contributions.count == table.rows.count, "\(table.name): contributions were not recorded")
        let counts = table.columns.indices.filter { table.columns[$0].isMeasure && table.columns[$0].type == .integer }
        let others = table.columns.indices.filter { table.columns[$0].isMeasure && table.columns[$0].type != .integer }
        let dimensions = table.columns.indices.filter { !table.columns[$0].isMeasure }
        let mechanism = GeometricMechanism(epsilon: settings.epsilon, sensitivity: sensitivity(of: table))
        var noise = NoiseReport(
            table: table.name, epsilon: settings.epsilon, maxRowsPerActor: settings.maxRowsPerActor,
            maxPerCell: settings.maxPerCell, sensitivity: mechanism.sensitivity, noiseVariance: mechanism.variance)
        let threshold = self.threshold(mechanism)
        noise.delta = settings.partitionSelection ? settings.delta : 0
        noise.threshold = threshold
        var report = SuppressionReport(table: table.name, rows: table.rows.count, rowsSuppressed: 0, cellsSuppressed: 0)
        let rowText = table.rows.map { row in dimensions.map { row[$0].csvText }.joined(separator: "\u{0}") }
        let rowHash = rowText.map { fnv1a(Array($0.utf8)) }

        // 1. Rows each person may count in.
        var rowsOf: [ActorKey: [Int]] = [:]
        for (r, parts) in table.contributions.enumerated() {
            for actor in parts.byActor.keys { rowsOf[actor, default: []].append(r) }
        }
        var dropped = Set<RowActor>()
        for (actor, rows) in rowsOf where rows.count > settings.maxRowsPerActor {
            let ranked = rows.sorted { a, b in
                let ha = mix(actor, rowHash[a]), hb = mix(actor, rowHash[b])
                return ha != hb ? ha < hb : a < b
            }
            for r in ranked.dropFirst(settings.maxRowsPerActor) { dropped.insert(RowActor(row: r, actor: actor)) }
        }
        noise.rowContributionsDropped = dropped.count

        // 2. Bounded counts, then one draw per count.
        var bounded = [[Int64]](repeating: [Int64](repeating: 0, count: counts.count), count: table.rows.count)
        for (r, parts) in table.contributions.enumerated() {
            for (actor, cells) in parts.byActor where !dropped.contains(RowActor(row: r, actor: actor)) {
                for (k, c) in counts.enumerated() {
                    guard let v = cells[c], v > 0 else { continue }
                    let cap = Int64(table.columns[c].countsPeople ? 1 : settings.maxPerCell)
                    if v > cap { noise.contributionsClamped += 1 }
                    bounded[r][k] += min(v, cap)
                }
            }
        }
        var digest = SHA256()
        digest.update(Array("\(table.name)\u{0}\(settings.epsilon)\u{0}\(settings.maxRowsPerActor)\u{0}\(settings.maxPerCell)".utf8))
        for r in table.rows.indices {
            digest.update(Array((rowText[r] + "\u{0}" + bounded[r].map(String.init).joined(separator: ",") + "\n").utf8))
        }
        let releaseDigest = digest.finalize()
        for r in table.rows.indices {
            var peopleUnder = false
            for (k, c) in counts.enumerated() {
                let draw = key.authenticate(releaseDigest + Array("\(rowText[r])\u{0}\(table.columns[c].name)".utf8))
                let value = max(0, bounded[r][k] + mechanism.sample(draw))
                table.rows[r][c] = .integer(value)
                noise.cellsNoised += 1
                if table.columns[c].countsPeople && value < threshold { peopleUnder = true }
            }
            for c in others where table.rows[r][c] != .empty {
                table.rows[r][c] = .empty
                noise.cellsWithheld += 1
            }
            if peopleUnder {
                report.rowsSuppressed += 1
                for c in counts where table.rows[r][c] != .empty {
                    table.rows[r][c] = .empty
                    report.cellsSuppressed += 1
                }
            }
        }
        // A row that fails selection leaves the table, key and all: its key alone (a day, a
        // course, an object) would say that someone was there.
        let keep = table.rows.indices.filter { r in counts.contains { table.rows[r][$0] != .empty } }
        report.cellsSuppressed += (table.rows.count - keep.count) * (table.columns.count - counts.count)
        table.rows = keep.map { table.rows[$0] }
        table.actorsPerRow = table.rows.map { _ in 0 }
        table.topSharePerRow = table.rows.map { _ in 0 }
        table.contributions = []
        return (report, noise)
    }

    struct RowActor: Hashable {
        var row: Int
        var actor: ActorKey
    }

    /// A fixed, well-spread order of a person's rows (splitmix64 finaliser).
    func mix(_ actor: ActorKey, _ row: UInt64) -> UInt64 {
        var z = actor.high ^ (actor.low &* 0x9E37_79B9_7F4A_7C15) ^ row
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
