/// Local days a run reads (`--since`/`--until`), as sorted, disjoint ranges of day numbers.
///
/// Usually one range; a file read under one window and then another is read again under
/// their union, which may have two.
public struct DayWindow: Sendable, Equatable, CustomStringConvertible {
    public private(set) var ranges: [ClosedRange<Int32>]

    public init(_ range: ClosedRange<Int32>) { ranges = [range] }

    public init(ranges: [ClosedRange<Int32>]) {
        self.ranges = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = self.ranges.last, r.lowerBound <= last.upperBound &+ 1 {
                self.ranges[self.ranges.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                self.ranges.append(r)
            }
        }
    }

    @inline(__always)
    public func contains(_ day: Int32) -> Bool {
        for r in ranges where r.contains(day) { return true }
        return false
    }

    /// The days of either window.
    public func union(_ other: DayWindow) -> DayWindow { DayWindow(ranges: ranges + other.ranges) }

    /// `first..last` day numbers joined by `,` (how the ledger names a window).
    public var description: String { ranges.map { "\($0.lowerBound)..\($0.upperBound)" }.joined(separator: ",") }

    /// The window `description` wrote; nil for any other text.
    public init?(parsing text: Substring) {
        var out: [ClosedRange<Int32>] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "..", omittingEmptySubsequences: false).compactMap { Int32($0) }
            guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
            out.append(bounds[0]...bounds[1])
        }
        guard !out.isEmpty else { return nil }
        self.init(ranges: out)
    }
}
