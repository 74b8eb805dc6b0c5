import SillageCore
import SillagePrivacy

/// A cell of a published table.
public enum Cell: Sendable, Equatable {
    /// A value that came from the inputs (a course, an object, a term, a name): only ever one
    /// the privacy gate admitted.
    case value(Publishable)
    /// A label the code itself writes (a date, a stream, a bucket, a pseudonym).
    case text(String)
    case integer(Int64)
    /// A decimal with a fixed number of fraction digits at most (trailing zeros dropped).
    case decimal(Double, digits: Int)
    /// Empty: suppressed by disclosure control, or not defined (see the codebook).
    case empty

    /// The CSV text of the cell.
    public var csvText: String {
        switch self {
        case .value(let p): return p.text
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .decimal(let d, let digits): return Cell.formatDecimal(d, digits: digits)
        case .empty: return ""
        }
    }

    /// Fixed-point text with `.` as decimal mark, deterministic on every platform.
    public static func formatDecimal(_ value: Double, digits: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int64((value * Double(scale)).rounded(.toNearestOrAwayFromZero))
        let negative = scaled < 0
        let magnitude = negative ? -scaled : scaled
        var text = String(magnitude / scale)
        var fraction = magnitude % scale
        if digits > 0 && fraction != 0 {
            var fractionDigits = digits
            while fraction % 10 == 0 { fraction /= 10; fractionDigits -= 1 }
            let f = String(fraction)
            text += "." + String(repeating: "0", count: fractionDigits - f.count) + f
        }
        return (negative && scaled != 0 ? "-" : "") + text
    }
}

/// A column's type in the Frictionless Table Schema.
public enum ColumnType: String, Sendable {
    case string, integer, number, date, yearmonth
}

/// What a column is to disclosure control, the codebook and the Table Schema.
public enum ColumnRole: Sendable, Equatable {
    /// Part of the row's key (a day, a stream, a course): never blanked with its row.
    case dimension
    /// A count of distinct people: one person adds at most 1.
    case people
    /// A count of events or sessions: a sum over people, bounded per person under DP.
    case count
    /// A sum of amounts (seconds): follows its counts.
    case sum
    /// A statistic derived from the row (a median, a mean, a rate): blanked with its row,
    /// left empty under noise.
    case measure
}

/// One column of a published table.
public struct Column: Sendable {
    public var name: String
    public var type: ColumnType
    public var description: String
    public var role: ColumnRole
    /// Allowed values, for categorical dimensions.
    public var allowedValues: [String]? = nil
    /// The column may be empty without meaning "suppressed" (a name the catalogue lacks).
    public var isOptional: Bool
    /// The column holds recipient pseudonyms (32 hex digits), which the PII guard checks for
    /// form instead of scanning for patterns that random hex digits can mimic.
    public var isPseudonym = false
    /// The column holds operator-supplied reference values (catalogue names): the PII guard
    /// stops a release on a hit there instead of replacing the name, as it does for values
    /// from the logs.
    public var isReference = false
    /// The column is `numerator ÷ denominator` of two columns of its row, with `digits`
    /// decimals: recomputed from their published values when those are perturbed, so the
    /// ratio reveals no exact count.
    /// `approximate`: the builder computes it from finer, unpublished figures (the pages of
    /// the day's sessions), which only counts that are themselves exact may reveal; it is
    /// recomputed only when the counts are perturbed.
    public var ratio: (numerator: String, denominator: String, digits: Int, approximate: Bool)? = nil
    /// The column is `numerator` of its row ÷ `column` of the row of `table` with the same
    /// `key`: recomputed from that table's published value (empty where it is withheld), so
    /// the share reveals no count the other table hides.
    public var share: (numerator: String, table: String, column: String, key: String, digits: Int)? = nil
    /// The column is the row's position within its `within` group, by `by` descending, for
    /// the rows whose `item` has no fixed place (`Table.recomputeRanks`): recomputed from the
    /// published values, so the order reveals no exact count.
    public var rank: (by: String, within: String, item: String)? = nil

    /// A measure is blanked when its row is suppressed; a dimension never is.
    public var isMeasure: Bool { role != .dimension }
    /// The measure counts distinct people: one person adds at most 1 to a cell.
    public var countsPeople: Bool { role == .people }

    public init(
        _ name: String, _ type: ColumnType, _ description: String, role: ColumnRole = .dimension, allowed: [String]? = nil,
        optional: Bool = false, reference: Bool = false
    ) {
        self.name = name
        self.type = type
        self.description = description
        self.role = role
        self.allowedValues = allowed
        self.isOptional = optional
        self.isReference = reference
    }
}

/// A table ready for disclosure control and publication.
public struct Table: Sendable {
    public var name: String
    public var title: String
    public var description: String
    public var columns: [Column]
    public var primaryKey: [String]
    public var rows: [[Cell]]
    /// Distinct actors behind each row, used by disclosure control; never published itself
    /// unless a column also holds it.
    public var actorsPerRow: [Int]
    /// The largest share one actor holds of the row's sums (sessions, views…), for the
    /// dominance rule; 0 where every measure counts distinct people.
    public var topSharePerRow: [Double]
    /// Drop a suppressed row entirely instead of blanking its measures: for tables whose
    /// dimensions are themselves sensitive (a search term).
    public var omitSuppressedRows = false
    /// Per row, each person's part of each count, when the builder was asked to record them
    /// (`MetricInput.recordContributions`); empty otherwise.
    public var contributions: [RowContributions] = []

    public init(name: String, title: String, description: String, columns: [Column], primaryKey: [String]) {
        self.name = name
        self.title = title
        self.description = description
        self.columns = columns
        self.primaryKey = primaryKey
        rows = []
        actorsPerRow = []
        topSharePerRow = []
    }

    public mutating func append(_ row: [Cell], actors: Int, topShare: Double = 0, contributions: RowContributions? = nil) {
        precondition(row.count == columns.count, "row width must match the columns of \(name)")
        if let contributions { self.contributions.append(contributions.resolved(against: columns)) }
        rows.append(row)
        actorsPerRow.append(actors)
        topSharePerRow.append(topShare)
    }

    public var fileName: String { "\(name).csv.gz" }
}

/// What table builders read: the store's rows for the export's period.
extension Column {
    /// This column declared as `numerator ÷ denominator` of its row.
    public func ratio(of numerator: String, to denominator: String, digits: Int, approximate: Bool = false) -> Column {
        var c = self
        c.ratio = (numerator, denominator, digits, approximate)
        return c
    }
}

extension Column {
    /// This column declared as `numerator` ÷ `column` of `table`'s row with the same `key`.
    public func share(of numerator: String, over table: String, column: String, matching key: String, digits: Int) -> Column {
        var c = self
        c.share = (numerator, table, column, key, digits)
        return c
    }
}

extension Column {
    /// This column declared as the row's rank within `within` by `by`, descending.
    public func rank(by column: String, within group: String, item: String) -> Column {
        var c = self
        c.rank = (column, group, item)
        return c
    }
}

extension Table {
    /// Re-ranks the rows of each group from their published values: the rows whose item is
    /// `pinned` (a catalogue position) keep their order and come first; the others follow by
    /// published value, descending, withheld values last, ties by item. Rows are reordered to
    /// match, so neither the rank nor the order follows an exact count.
    public mutating func recomputeRanks(pinned: (Publishable) -> Bool) {
        guard let c = columns.firstIndex(where: { $0.rank != nil }), let rank = columns[c].rank,
            let by = columns.firstIndex(where: { $0.name == rank.by }),
            let within = columns.firstIndex(where: { $0.name == rank.within }),
            let item = columns.firstIndex(where: { $0.name == rank.item })
        else { return }
        func value(_ r: Int) -> Int64 { if case .integer(let v) = rows[r][by] { return v } else { return -1 } }
        func isPinned(_ r: Int) -> Bool { if case .value(let p) = rows[r][item] { return pinned(p) } else { return false } }
        var order: [Int] = []
        var start = 0
        while start < rows.count {
            var end = start
            while end < rows.count && rows[end][within] == rows[start][within] { end += 1 }
            let fixed = (start..<end).filter(isPinned)
            let free = (start..<end).filter { !isPinned($0) }.sorted { a, b in
                value(a) != value(b) ? value(a) > value(b) : rows[a][item].csvText < rows[b][item].csvText
            }
            order += fixed + free
            start = end
        }
        var groupStart = 0
        for (position, r) in order.enumerated() {
            if position > 0 && rows[r][within] != rows[order[position - 1]][within] { groupStart = position }
            rows[r][c] = .integer(Int64(position - groupStart + 1))
        }
        reorder(order)
    }

    /// Puts the rows, and what disclosure control knows about them, in `order`.
    mutating func reorder(_ order: [Int]) {
        func permuted<T>(_ values: [T]) -> [T] { values.count == order.count ? order.map { values[$0] } : values }
        rows = permuted(rows)
        actorsPerRow = permuted(actorsPerRow)
        topSharePerRow = permuted(topSharePerRow)
        contributions = permuted(contributions)
    }

    /// The share columns' recomputation against `other`, the published table they point to
    /// (nil: withheld, every share empty).
    public mutating func recomputeShares(from other: (String) -> Table?) {
        for (c, column) in columns.enumerated() {
            guard let share = column.share, let n = columns.firstIndex(where: { $0.name == share.numerator }),
                let k = columns.firstIndex(where: { $0.name == share.key })
            else { continue }
            var denominators: [String: Int64] = [:]
            if let table = other(share.table), let dk = table.columns.firstIndex(where: { $0.name == share.key }),
                let dc = table.columns.firstIndex(where: { $0.name == share.column })
            {
                for row in table.rows { if case .integer(let v) = row[dc] { denominators[row[dk].csvText] = v } }
            }
            for r in rows.indices {
                guard case .integer(let num) = rows[r][n], let den = denominators[rows[r][k].csvText], den > 0 else {
                    rows[r][c] = .empty
                    continue
                }
                rows[r][c] = .decimal(Double(num) / Double(max(den, num)), digits: share.digits)
            }
        }
    }

    /// Recomputes every ratio column from its row's published numerator and denominator
    /// (empty when either is, or the denominator is 0); `perturbed`: the counts are no longer
    /// exact, so approximate ratios are recomputed too.
    public mutating func recomputeRatios(perturbed: Bool = true) {
        for (c, column) in columns.enumerated() {
            guard let ratio = column.ratio, perturbed || !ratio.approximate, let n = columns.firstIndex(where: { $0.name == ratio.numerator }),
                let d = columns.firstIndex(where: { $0.name == ratio.denominator })
            else { continue }
            for r in rows.indices {
                guard case .integer(let num) = rows[r][n], case .integer(let den) = rows[r][d], den > 0 else {
                    rows[r][c] = .empty
                    continue
                }
                rows[r][c] = .decimal(Double(num) / Double(den), digits: ratio.digits)
            }
        }
    }

    /// Keeps the rows whose `keep` is true, with what disclosure control knows about them.
    public mutating func keepRows(_ keep: [Bool]) {
        func filtered<T>(_ values: [T]) -> [T] { values.count == keep.count ? zip(values, keep).filter(\.1).map(\.0) : values }
        rows = filtered(rows)
        actorsPerRow = filtered(actorsPerRow)
        topSharePerRow = filtered(topSharePerRow)
        contributions = filtered(contributions)
    }
}

public struct MetricInput: Sendable {
    public var sessions: [Session]
    public var actorDays: [ActorDay]
    /// Learning facts (all of them: builders apply the period).
    public var facts: ActivityFacts
    /// Local days the export covers (nil: all).
    public var days: ClosedRange<Int>?
    /// Course and activity names and positions, from catalogue inputs.
    public var catalogue: [Publishable: CatalogueEntry] = [:]
    public var zone: ZoneRules
    /// Stream names in a fixed order.
    public var streams: [String]
    /// Builders record each person's part of each count (`Table.contributions`), for
    /// differential privacy; off by default, since it costs memory.
    public var recordContributions = false
    /// With perturbed counts: a median is published only when at least this many people
    /// have a value near it (`supportedMedian`); nil: every median.
    public var medianSupport: Int? = nil
    /// A learner who started a course and has not completed it is at risk after this many
    /// days without activity in it (`course_progress`; Open edX Aspects uses 7).
    public var atRiskDays = 7
    /// The report's day when it is not this input's own (an organisation's learners are
    /// judged as of the platform's last day, not their own).
    public var reportDay: Int32? = nil

    public init(
        sessions: [Session], actorDays: [ActorDay], facts: ActivityFacts = ActivityFacts(),
        days: ClosedRange<Int>? = nil, zone: ZoneRules = ZoneRules(fixedOffsetSeconds: 0)
    ) {
        self.sessions = sessions
        self.actorDays = actorDays
        self.facts = facts
        self.days = days
        self.zone = zone
        streams = Array(Set(sessions.map(\.stream)).union(actorDays.map(\.stream))).sorted()
    }

    /// The UTC instant (ms) just after the period's last local day, or `Int64.max` for all.
    public var periodEnd: Int64 {
        guard let days else { return Int64.max }
        return zone.startOfLocalDay(days.upperBound + 1) * 1000
    }

    /// The UTC instant (ms) at which the period's first local day begins, or `Int64.min` for all.
    public var periodStart: Int64 {
        guard let days else { return Int64.min }
        return zone.startOfLocalDay(days.lowerBound) * 1000
    }

    /// The local day figures "as of" refer to (the at-risk rule, the last 7 days): the
    /// period's last day, or else the last day with course activity in the facts, so that
    /// the same store gives the same report whatever the date it is made.
    public var asOfDay: Int32? {
        if let reportDay { return reportDay }
        if let days { return Int32(days.upperBound) }
        return facts.courseDays.keys.map(\.day).max()
    }

    /// True when local day `day` is in the period.
    public func covers(day: Int32) -> Bool {
        days.map { $0.contains(Int(day)) } ?? true
    }
}

/// The median of `values`; with `minPeople`, protected: nil when fewer than `minPeople`
/// distinct people (`people[i]` is the person of `values[i]`; nil: one person each) have a
/// value within 10 % of it, or within `grain`, and otherwise the centre of its cell on a
/// logarithmic grid of ten cells per power of ten (each about 26 % wide). Accounts placed
/// on either side of one learner would otherwise make the median that learner's exact value:
/// they can supply the people near it, but the grid leaves them the cell, not the value.
func supportedMedian(_ values: [Int64], people: [ActorKey]? = nil, minPeople: Int?, grain: Int64) -> Double? {
    guard let m = median(values) else { return nil }
    guard let k = minPeople else { return m }
    let band = max(Double(grain), abs(m) * 0.1)
    let near = values.indices.filter { abs(Double(values[$0]) - m) <= band }
    let count = people.map { people in Set(near.map { people[$0] }).count } ?? near.count
    guard count >= k else { return nil }
    return logGridCentre(m)
}

/// The centre of `value`'s cell on a grid of ten cells per power of ten (0 stays 0).
func logGridCentre(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return 0 }
    // 10^(k/20): cell j spans powers[2j] to powers[2j + 2], its centre is powers[2j + 1].
    let powers: [Double] = [
        1.0, 1.122018454302, 1.258925411794, 1.412537544623, 1.584893192461, 1.778279410039, 1.995262314969, 2.238721138568, 2.51188643151,
        2.818382931264, 3.162277660168, 3.548133892336, 3.981071705535, 4.46683592151, 5.011872336273, 5.623413251903, 6.309573444802, 7.079457843841,
        7.943282347243, 8.912509381337, 10.0,
    ]
    var x = value, scale = 1.0
    while x >= 10 { x /= 10; scale *= 10 }
    while x < 1 { x *= 10; scale /= 10 }
    var j = 0
    while j < 9 && x >= powers[2 * j + 2] { j += 1 }
    return powers[2 * j + 1] * scale
}

/// Median of integer values (mean of the two middle ones for an even count).
func median(_ values: [Int64]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
}
