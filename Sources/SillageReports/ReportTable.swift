import SillageCore
import SillagePrivacy
import SillageMetrics
import SillageExport

/// One value a report shows, typed so that the page and its CSV write the same figure each
/// in its own way (`12,5 %` on the page, `12,5` in French Excel, `12.5` in RFC 4180).
public enum ReportValue: Sendable, Equatable {
    /// A value from the inputs (a course, an activity, a page): only ever one the gate admitted.
    case value(Publishable)
    /// A label the code writes (a bucket, a status class, a pseudonym, a word of the page).
    case label(String)
    case count(Int64)
    case number(Double, digits: Int)
    /// A share (0…1), shown as a percentage with one decimal.
    case share(Double)
    case day(Int32)
    /// A local day in short form (`30/03/2026`, `2026-03-30`), for tables of many rows.
    case shortDay(Int32)
    /// A number of bytes: `12,5 Mo` on the page, the number in the CSV.
    case bytes(Int)
    /// Withheld by disclosure control (a public report): shown as a dash, empty in the CSV.
    case withheld
    /// Not defined (a rate without a denominator): empty on the page and in the CSV.
    case none

    /// The value of a published table's cell, as the report shows it.
    public init(_ cell: Cell) {
        switch cell {
        case .value(let p): self = .value(p)
        case .text(let s): self = .label(s)
        case .integer(let i): self = .count(i)
        case .decimal(let d, let digits): self = .number(d, digits: digits)
        case .empty: self = .withheld
        }
    }

    /// The text on the page.
    func text(_ language: ReportLanguage) -> String {
        switch self {
        case .value(let p): p.text
        case .label(let s): s
        case .count(let n): language.integer(Int(n))
        case .number(let d, let digits): language.decimal(d, digits: digits)
        case .share(let s): language.percent(s)
        case .day(let d): language.date(d)
        case .shortDay(let d): language.shortDate(d)
        case .bytes(let n): language.bytes(n)
        case .withheld: "–"
        case .none: ""
        }
    }

    /// The text in the CSV companion.
    func csv(_ dialect: ReportCSV.Dialect) -> String {
        let comma = dialect == .excelFr
        func decimal(_ d: Double, _ digits: Int) -> String {
            let text = Cell.formatDecimal(d, digits: digits)
            return comma ? String(text.map { $0 == "." ? "," : $0 }) : text
        }
        // A spreadsheet runs a cell that starts like a formula: text that does gets a quote.
        func text(_ s: String) -> String {
            guard comma, let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return s }
            return "'" + s
        }
        switch self {
        case .value(let p): return text(p.text)
        case .label(let s): return text(s)
        case .count(let n): return String(n)
        case .number(let d, let digits): return decimal(d, digits)
        case .share(let s): return decimal(s * 100, 1)
        case .day(let d), .shortDay(let d): return CivilTime.isoDate(days: Int(d))
        case .bytes(let n): return String(n)
        case .withheld, .none: return ""
        }
    }

    var isNumeric: Bool {
        switch self {
        case .count, .number, .share, .bytes, .withheld: true
        default: false
        }
    }
}

/// A table of a report page: the same rows make the HTML table and the CSV companion.
public struct ReportTable: Sendable {
    /// A stable name for the CSV (`funnel`, `weekly_active`).
    public var id: String
    public var caption: String
    public var headers: [String]
    public var rows: [[ReportValue]]
    /// Per row, the page its header links to (the page only: the CSV has no links).
    public var links: [String?] = []
    /// Columns written to the CSV only (a key the page shows another way).
    public var csvOnly: Set<Int> = []

    public init(id: String, caption: String, headers: [String], rows: [[ReportValue]], links: [String?] = []) {
        self.id = id
        self.caption = caption
        self.headers = headers
        self.rows = rows
        self.links = links
    }

    /// Columns whose values are numbers (right-aligned on the page).
    var numericColumns: Set<Int> {
        Set(headers.indices.filter { c in rows.contains { c < $0.count && $0[c].isNumeric } && c > 0 })
    }

    /// Puts the table on `page`; a table without rows is a sentence saying so.
    func add(to page: inout HTMLPage) {
        let language = page.language
        guard !rows.isEmpty else {
            page.paragraph(caption + language.words(" : aucune donnée.", ": none."))
            return
        }
        let shown = headers.indices.filter { !csvOnly.contains($0) }
        let numeric = Set(shown.enumerated().filter { numericColumns.contains($0.element) }.map(\.offset))
        page.table(
            caption: caption, headers: shown.map { headers[$0] },
            rows: rows.map { row in shown.map { $0 < row.count ? row[$0].text(language) : "" } },
            numeric: numeric, links: links)
    }
}

extension ReportCSV {
    /// The tables of a page as one CSV: a single table as it is (its headers, its rows); several
    /// in long form, one line per figure (`table`, `row`, `column`, `value`), so that every
    /// figure of the page is in the file and a spreadsheet can filter them.
    public static func encode(_ tables: [ReportTable], language: ReportLanguage, dialect: Dialect = .excelFr) -> [UInt8] {
        let french = dialect == .excelFr
        var out = french ? byteOrderMark : []
        let delimiter = french ? UInt8(ascii: ";") : UInt8(ascii: ",")
        if tables.count == 1, let table = tables.first {
            CSVWriter.appendRecord(table.headers, delimiter: delimiter, to: &out)
            for row in table.rows { CSVWriter.appendRecord(row.map { $0.csv(dialect) }, delimiter: delimiter, to: &out) }
            return out
        }
        let header = language == .fr ? ["tableau", "ligne", "colonne", "valeur"] : ["table", "row", "column", "value"]
        CSVWriter.appendRecord(header, delimiter: delimiter, to: &out)
        for table in tables {
            for row in table.rows {
                let label = row.first?.csv(dialect) ?? ""
                for (c, value) in row.enumerated().dropFirst() where c < table.headers.count {
                    CSVWriter.appendRecord([table.id, label, table.headers[c], value.csv(dialect)], delimiter: delimiter, to: &out)
                }
            }
        }
        return out
    }
}
