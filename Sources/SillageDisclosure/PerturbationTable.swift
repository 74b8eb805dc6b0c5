import Foundation
import SillageCore
import SillagePrivacy

/// The perturbation table of cell-key perturbation (SPEC §8), as the ABS TableBuilder and the
/// `ptable` package build it: for each original count, the probability of publishing it moved
/// by each deviation in −D…D.
///
/// For a count v the deviations allowed are those that keep the result at zero or more
/// (−min(v, D)…D); their probabilities are the maximum-entropy distribution with mean 0 and
/// variance V on them (`p(d) ∝ exp(a·d + b·d²)`, solved by Newton's method), so the noise is
/// unbiased and as spread out as the bounds allow. Zero stays zero: an empty cell describes
/// nobody. Counts above D share the row of D + 1. Probabilities are turned once into 32-bit
/// thresholds, so that looking up a cell is integer arithmetic and every machine publishes
/// the same value for the same cell key.
public struct PerturbationTable: Sendable, Equatable {
    /// D: no published count is further than this from the true one.
    public let maxDeviation: Int
    /// V: the variance of the deviation, for counts of D + 1 and more.
    public let variance: Double
    /// Per original count 0…D + 1: each deviation and the upper bound of its interval of
    /// cell keys (out of 2³²), in increasing order.
    let rows: [[Row]]

    struct Row: Sendable, Equatable {
        var deviation: Int
        var upper: UInt64
    }

    /// The defaults: deviations of at most 2, variance 1.
    public static let standard = PerturbationTable(checked: 2, variance: 1)

    /// A table for D and V, refused with a message when they cannot make unbiased noise.
    public init(maxDeviation: Int, variance: Double) throws(SillageError) {
        guard (1...10).contains(maxDeviation) else {
            throw SillageError.configuration("the perturbation's maximum deviation D must be between 1 and 10, not \(maxDeviation)")
        }
        // With v = 1 the deviations are −1…D, whose largest variance at mean 0 is D.
        guard variance > 0, variance < Double(maxDeviation) else {
            throw SillageError.configuration(
                "the perturbation's variance V must be above 0 and below D (\(maxDeviation)), not \(variance)",
                hint: "a count of 1 may only move down by 1: V must stay under D for the noise to keep a mean of 0")
        }
        self.init(checked: maxDeviation, variance: variance)
    }

    private init(checked maxDeviation: Int, variance: Double) {
        self.maxDeviation = maxDeviation
        self.variance = variance
        var rows: [[Row]] = [[Row(deviation: 0, upper: 1 << 32)]]
        for v in 1...(maxDeviation + 1) {
            let deviations = Array(-min(v, maxDeviation)...maxDeviation)
            rows.append(PerturbationTable.thresholds(deviations, PerturbationTable.maximumEntropy(deviations, variance: variance)))
        }
        self.rows = rows
    }

    /// The published value of a count `value` whose cell key is `cellKey` (32 bits).
    public func perturb(_ value: Int, cellKey: UInt32) -> Int {
        guard value > 0 else { return value }
        let row = rows[min(value, maxDeviation + 1)]
        let key = UInt64(cellKey)
        for r in row where key < r.upper { return value + r.deviation }
        return value + (row.last?.deviation ?? 0)
    }

    /// The published value of a sum `value` (sessions, page views, views) whose largest
    /// contribution is `top`, by the magnitude variant: the deviation drawn for the cell is
    /// scaled by ⌈top ÷ D⌉, so that one person's part is hidden, not only a person's
    /// presence, plus a uniform offset within one step drawn from `remainderKey`, so that the
    /// value modulo the step — which whoever contributes the top sets — says nothing either;
    /// never below 0. Where no one contributes more than D, it is a count's.
    public func perturbMagnitude(_ value: Int, top: Int, cellKey: UInt32, remainderKey: UInt32) -> Int {
        let step = max(1, (top + maxDeviation - 1) / maxDeviation)
        guard step > 1 else { return perturb(value, cellKey: cellKey) }
        // value ≥ top > D: every deviation of the table is possible, and mean 0; the offset
        // is uniform on −⌊step/2⌋…⌈step/2⌉ − 1, mean −½ at most.
        let offset = Int((UInt64(remainderKey) * UInt64(step)) >> 32) - step / 2
        return max(0, value + (perturb(value, cellKey: cellKey) - value) * step + offset)
    }

    /// The probability of each deviation for a count `value`, from the thresholds.
    public func probabilities(for value: Int) -> [(deviation: Int, probability: Double)] {
        let row = rows[min(max(value, 0), maxDeviation + 1)]
        var lower: UInt64 = 0
        return row.map { r in
            defer { lower = r.upper }
            return (r.deviation, Double(r.upper - lower) / Double(UInt64(1) << 32))
        }
    }

    /// The maximum-entropy distribution on `deviations` with mean 0 and variance `variance`.
    static func maximumEntropy(_ deviations: [Int], variance: Double) -> [Double] {
        let d = deviations.map(Double.init)
        var a = 0.0, b = -1 / (2 * variance)
        for _ in 0..<200 {
            let weights = d.map { exp(a * $0 + b * $0 * $0) }
            let total = weights.reduce(0, +)
            let p = weights.map { $0 / total }
            func moment(_ k: Double) -> Double { zip(p, d).reduce(0) { $0 + $1.0 * pow($1.1, k) } }
            let m1 = moment(1), m2 = moment(2), m3 = moment(3), m4 = moment(4)
            let f1 = m1, f2 = m2 - variance
            if abs(f1) < 1e-13 && abs(f2) < 1e-13 { return p }
            // The Jacobian of (E[d], E[d²]) in (a, b) is the covariance of (d, d²).
            let j11 = m2 - m1 * m1, j12 = m3 - m1 * m2, j22 = m4 - m2 * m2
            let det = j11 * j22 - j12 * j12
            guard abs(det) > 1e-300 else { return p }
            a -= (j22 * f1 - j12 * f2) / det
            b -= (j11 * f2 - j12 * f1) / det
        }
        let weights = d.map { exp(a * $0 + b * $0 * $0) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// Cumulative 32-bit thresholds for `probabilities`, the last one exactly 2³².
    static func thresholds(_ deviations: [Int], _ probabilities: [Double]) -> [Row] {
        var cumulative = 0.0
        var rows: [Row] = []
        for (i, (deviation, p)) in zip(deviations, probabilities).enumerated() {
            cumulative += p
            let upper = i == deviations.count - 1 ? UInt64(1) << 32 : UInt64((cumulative * 4_294_967_296).rounded())
            rows.append(Row(deviation: deviation, upper: min(upper, UInt64(1) << 32)))
        }
        return rows
    }
}

/// Record and cell keys of cell-key perturbation (SPEC §8).
///
/// A person's record key is 32 bits of `HMAC(derive(master, "cell-key"), pseudonym)`: the
/// same in every run, table, export and recipient, and unknown to anyone without the key. A
/// cell's key is the sum of its contributors' record keys modulo 2³², so the same people
/// always give the same key, and one person more gives an independent, uniform one.
public struct CellKeys: Sendable {
    private let hmac: HMACSHA256

    public init(master: MasterKey) {
        hmac = HMACSHA256(key: master.derived("cell-key"))
    }

    /// The record key of the person with pseudonym `actor`.
    public func recordKey(_ actor: ActorKey) -> UInt32 {
        let digest = hmac.authenticate(actor.bytes)
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    /// The cell key of a cell whose contributors have `recordKeys`.
    public static func cellKey(_ recordKeys: some Sequence<UInt32>) -> UInt32 {
        recordKeys.reduce(0) { $0 &+ $1 }
    }

    /// The key of a sum column's cell: the contributors' cell key mixed with the column's
    /// name (murmur3's finaliser), so that a row's sums and its count of people, which have
    /// the same contributors, are not moved together; the same column of two tables (the
    /// sessions of `daily_activity` and of `session_lengths`) still gets the same key.
    public static func columnKey(_ cellKey: UInt32, column: String) -> UInt32 {
        var salt: UInt32 = 0x811C_9DC5
        for b in column.utf8 { salt = (salt ^ UInt32(b)) &* 0x0100_0193 }
        var h = cellKey ^ salt
        h ^= h >> 16
        h = h &* 0x85EB_CA6B
        h ^= h >> 13
        h = h &* 0xC2B2_AE35
        return h ^ (h >> 16)
    }
}
