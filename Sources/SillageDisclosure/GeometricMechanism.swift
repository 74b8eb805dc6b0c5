import Foundation

/// Two-sided geometric noise (the discrete Laplace mechanism) for integer counts.
///
/// `P(Z = z) = (1 − α) / (1 + α) · α^|z|` with `α = e^(−ε/Δ)`, where Δ is the most one person
/// can change the counts it is added to (L1 sensitivity): adding `Z` to each count gives
/// ε-differential privacy. Mean 0, variance `2α / (1 − α)²`. Draws are taken from given
/// random bits, so the caller decides where randomness comes from (here: a keyed hash of the
/// cell, so that a re-export repeats its noise instead of offering fresh samples to average).
public struct GeometricMechanism: Sendable, Equatable {
    public let epsilon: Double
    public let sensitivity: Int
    public let alpha: Double

    public init(epsilon: Double, sensitivity: Int) {
        self.epsilon = epsilon
        self.sensitivity = max(1, sensitivity)
        alpha = exp(-epsilon / Double(max(1, sensitivity)))
    }

    public var variance: Double { 2 * alpha / ((1 - alpha) * (1 - alpha)) }
    /// Probability of adding nothing.
    public var zeroProbability: Double { (1 - alpha) / (1 + alpha) }

    /// One draw from 32 random bytes (uses the first 24).
    public func sample(_ bits: [UInt8]) -> Int64 {
        precondition(bits.count >= 24, "a draw needs 24 random bytes")
        func word(_ offset: Int) -> UInt64 {
            var w: UInt64 = 0
            for i in 0..<8 { w = w << 8 | UInt64(bits[offset + i]) }
            return w
        }
        // Uniform in [0, 1) and in (0, 1], from 53 bits each.
        let u0 = Double(word(0) >> 11) * 0x1p-53
        guard u0 >= zeroProbability else { return 0 }
        let negative = word(8) & 1 == 1
        let u1 = Double((word(16) >> 11) + 1) * 0x1p-53
        // Given |Z| ≥ 1, |Z| − 1 is geometric: P(|Z| − 1 ≥ j) = α^j, so invert with a logarithm.
        let extra = alpha > 0 ? (log(u1) / log(alpha)).rounded(.down) : 0
        let magnitude = 1 + Int64(min(extra, 1e15))
        return negative ? -magnitude : magnitude
    }
}
