import Foundation
import SillageCore
import SillagePrivacy
import SillageMetrics

/// How a report is written: its language, its CSV dialect, and whether it shows exact figures.
public struct ReportSettings: Sendable, Equatable {
    public var language: ReportLanguage = .fr
    public var dialect: ReportCSV.Dialect = .excelFr
    /// Days without activity after which a learner who started is at risk.
    public var atRiskDays = 7
    /// Exact figures (the platform team, an organisation about its own learners); false for
    /// a public report, whose figures went through the export's disclosure control.
    public var exact = true

    public init() {}
}

/// One report page and its CSV companion, ready to be written next to each other.
public struct ReportDocument: Sendable {
    /// The file name without extension (`completion`, `server-2026-03-30`).
    public var name: String
    public var title: String
    public var html: String
    /// The CSV companion (none for the index page).
    public var csv: [UInt8]?

    /// The page's tables as they are on the page and in the CSV.
    public var tables: [ReportTable]

    package init(name: String, page: HTMLPage, tables: [ReportTable], settings: ReportSettings, companion: Bool = true) {
        self.name = name
        title = page.title
        html = page.render()
        self.tables = tables
        csv = companion ? ReportCSV.encode(tables, language: settings.language, dialect: settings.dialect) : nil
    }

    /// The files: `<name>.html` and `<name>.csv`.
    public var files: [(name: String, bytes: [UInt8])] {
        [(name + ".html", Array(html.utf8))] + (csv.map { [(name + ".csv", $0)] } ?? [])
    }
}

/// A table's rows read by column name.
struct NamedRows {
    let table: Table
    private let index: [String: Int]

    init(_ table: Table?) {
        self.table = table ?? Table(name: "", title: "", description: "", columns: [], primaryKey: [])
        index = Dictionary(uniqueKeysWithValues: self.table.columns.enumerated().map { ($0.element.name, $0.offset) })
    }

    /// The rows whose `column` holds `value` (all rows with no column given).
    func rows(_ column: String? = nil, is value: Publishable? = nil) -> [[Cell]] {
        guard let column, let value, let c = index[column] else { return table.rows }
        return table.rows.filter { $0[c] == .value(value) }
    }

    func cell(_ row: [Cell], _ column: String) -> Cell {
        guard let c = index[column], c < row.count else { return .empty }
        return row[c]
    }

    func count(_ row: [Cell], _ column: String) -> Int64? {
        if case .integer(let n) = cell(row, column) { return n }
        return nil
    }

    func publishable(_ row: [Cell], _ column: String) -> Publishable {
        if case .value(let p) = cell(row, column) { return p }
        return .none
    }
}

/// Words of a page in French or English.
extension ReportLanguage {
    func words(_ fr: String, _ en: String) -> String { self == .fr ? fr : en }
}

/// File names made from gated keys: lower-case letters, digits and dashes only, so that a
/// course key never becomes a path, with a short digest of the key when two keys would
/// give the same name.
public enum ReportFileName {
    public static func slug(_ key: String) -> String {
        var out = ""
        for c in key.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased().unicodeScalars {
            let keep = (c >= "a" && c <= "z") || (c >= "0" && c <= "9")
            if keep { out.unicodeScalars.append(c) } else if !out.hasSuffix("-") && !out.isEmpty { out += "-" }
            if out.count >= 48 { break }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "x" : out
    }

    /// One name per key, distinct: `stem-<slug>`, or `stem-<slug>-<digest>` for keys that collide.
    public static func names(stem: String, keys: [String]) -> [String: String] {
        let slugs = Dictionary(grouping: keys, by: slug)
        var out: [String: String] = [:]
        for (s, group) in slugs {
            for key in group {
                let digest = hexString(SHA256.hash(Array(key.utf8)).prefix(3))
                out[key] = group.count == 1 ? "\(stem)-\(s)" : "\(stem)-\(s)-\(digest)"
            }
        }
        return out
    }
}
