import SillageMetrics

/// Rounds published counts to a base (e.g. 5), after suppression: small differences between
/// two exports, or between a count and a total, no longer single anyone out.
///
/// Only integer measures are rounded (counts of people, sessions, views); medians, rates and
/// shares are left as computed. Halves round up, so the result does not depend on anything
/// but the value.
public struct Rounding: Sendable {
    public let base: Int64

    public init(base: Int) {
        self.base = Int64(max(1, base))
    }

    /// `value` to the nearest multiple of the base.
    public func round(_ value: Int64) -> Int64 {
        guard base > 1 else { return value }
        let down = value >= 0 ? value / base * base : -((-value + base - 1) / base * base)
        return value - down >= (base + 1) / 2 ? down + base : down
    }

    /// Rounds the table's integer measures; returns the cells whose value changed.
    @discardableResult
    public func apply(_ table: inout Table) -> Int {
        guard base > 1 else { return 0 }
        let columns = table.columns.indices.filter { table.columns[$0].isMeasure && table.columns[$0].type == .integer }
        var changed = 0
        for r in table.rows.indices {
            for c in columns {
                guard case .integer(let v) = table.rows[r][c] else { continue }
                let rounded = round(v)
                if rounded != v { changed += 1 }
                table.rows[r][c] = .integer(rounded)
            }
        }
        return changed
    }
}
