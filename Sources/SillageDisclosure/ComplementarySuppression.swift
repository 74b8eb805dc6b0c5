/// Cells of non-negative counts with published totals, as complementary suppression sees them.
///
/// With `rowTotals` each row's sum is known to the reader; with `columnTotals` each
/// column's. A suppressed cell must not be recoverable from the published cells and totals.
public struct MarginalTable: Sendable, Equatable {
    public var values: [[Int64]]
    public var suppressed: [[Bool]]
    public var rowTotals: Bool
    public var columnTotals: Bool

    public init(values: [[Int64]], suppressed: [[Bool]], rowTotals: Bool, columnTotals: Bool) {
        self.values = values
        self.suppressed = suppressed
        self.rowTotals = rowTotals
        self.columnTotals = columnTotals
    }

    var rowCount: Int { values.count }
    var columnCount: Int { values.first?.count ?? 0 }
}

/// Secondary suppression (SPEC §6): where totals are published, suppresses more cells until
/// no suppressed value can be recovered by subtraction — or by any combination of the
/// published equations.
///
/// One line with its total: a lone suppressed cell equals the total minus the others, so a
/// second cell (the smallest published one) goes with it. Rows and columns with their
/// totals: view rows and columns as the vertices of a graph and suppressed cells as its
/// edges; a cell's value is determined by the totals exactly when its edge lies on no cycle
/// (a bridge). Each bridge is put on a cycle by suppressing the cheapest rectangle through it.
public enum ComplementarySuppression {
    /// Protects `table` in place; returns the cells added.
    @discardableResult
    public static func protect(_ table: inout MarginalTable) -> Int {
        var added = 0
        if table.rowTotals && table.columnTotals && table.rowCount >= 2 && table.columnCount >= 2 {
            while let (r, c) = bridges(table).first {
                added += closeCycle(&table, r, c)
            }
            return added
        }
        // Independent lines: each row (row totals) or each column (column totals).
        if table.rowTotals {
            for r in 0..<table.rowCount {
                added += protectLine(&table, cells: (0..<table.columnCount).map { (r, $0) })
            }
        }
        if table.columnTotals {
            for c in 0..<table.columnCount {
                added += protectLine(&table, cells: (0..<table.rowCount).map { ($0, c) })
            }
        }
        return added
    }

    /// A line whose sum is known: never exactly one suppressed cell.
    static func protectLine(_ t: inout MarginalTable, cells: [(Int, Int)]) -> Int {
        let hidden = cells.filter { t.suppressed[$0.0][$0.1] }
        guard hidden.count == 1 else { return 0 }
        let candidates = cells.filter { !t.suppressed[$0.0][$0.1] }
        // The smallest non-zero published cell: hiding a zero hides nothing anyone could not guess.
        guard
            let pick = candidates.min(by: { a, b in
                let (va, vb) = (t.values[a.0][a.1], t.values[b.0][b.1])
                return (va == 0 ? Int64.max : va, a.0, a.1) < (vb == 0 ? Int64.max : vb, b.0, b.1)
            })
        else { return 0 }
        t.suppressed[pick.0][pick.1] = true
        return 1
    }

    /// Suppressed cells that lie on no cycle of the row–column graph, in row-major order.
    static func bridges(_ t: MarginalTable) -> [(Int, Int)] {
        let rows = t.rowCount, vertices = rows + t.columnCount
        var adjacency = [[(vertex: Int, edge: Int)]](repeating: [], count: vertices)
        var edges: [(Int, Int)] = []
        for r in 0..<rows {
            for c in 0..<t.columnCount where t.suppressed[r][c] {
                adjacency[r].append((rows + c, edges.count))
                adjacency[rows + c].append((r, edges.count))
                edges.append((r, c))
            }
        }
        // Tarjan: an edge is a bridge when the far side cannot reach above the near side.
        var order = [Int](repeating: -1, count: vertices), low = [Int](repeating: 0, count: vertices)
        var isBridge = [Bool](repeating: false, count: edges.count)
        var counter = 0
        func visit(_ v: Int, _ via: Int) {
            order[v] = counter; low[v] = counter; counter += 1
            for (w, e) in adjacency[v] where e != via {
                if order[w] < 0 {
                    visit(w, e)
                    low[v] = min(low[v], low[w])
                    if low[w] > order[v] { isBridge[e] = true }
                } else {
                    low[v] = min(low[v], order[w])
                }
            }
        }
        for v in 0..<vertices where order[v] < 0 { visit(v, -1) }
        return edges.indices.filter { isBridge[$0] }.map { edges[$0] }
    }

    /// Suppresses the cheapest rectangle (r, c)–(r, c2)–(r2, c2)–(r2, c); returns the cells added.
    static func closeCycle(_ t: inout MarginalTable, _ r: Int, _ c: Int) -> Int {
        var best: (cost: Int64, r2: Int, c2: Int)? = nil
        for r2 in 0..<t.rowCount where r2 != r {
            for c2 in 0..<t.columnCount where c2 != c {
                var cost: Int64 = 0
                for (i, j) in [(r, c2), (r2, c2), (r2, c)] where !t.suppressed[i][j] { cost += max(t.values[i][j], 0) + 1 }
                if best.map({ cost < $0.cost }) ?? true { best = (cost, r2, c2) }
            }
        }
        guard let best else { return 0 }
        var added = 0
        for (i, j) in [(r, best.c2), (best.r2, best.c2), (best.r2, c)] where !t.suppressed[i][j] {
            t.suppressed[i][j] = true
            added += 1
        }
        return added
    }
}
