/// Labelled, contiguous buckets over a non-negative quantity (durations, day counts).
public struct BucketScale: Sendable {
    /// Labels and inclusive lower bounds, in increasing order; the last bucket is open-ended.
    public let buckets: [(label: String, from: Int64)]

    public init(_ buckets: [(label: String, from: Int64)]) {
        self.buckets = buckets
    }

    public var labels: [String] { buckets.map(\.label) }

    /// The index of the bucket holding `value` (values below the first bound go to the first).
    public func index(of value: Int64) -> Int {
        var index = 0
        for (i, b) in buckets.enumerated() where value >= b.from { index = i }
        return index
    }
}
