import SillageMetrics
import SillageExport

/// The CSV companion of a report, in the `excel-fr` dialect that French Excel opens as it is
/// (SPEC §8): a UTF-8 byte order mark, `;` between fields, a decimal comma, CRLF line ends,
/// fields quoted only when needed. Exports keep RFC 4180 (`CSVWriter`); reports are read by
/// people, often in a spreadsheet set to French.
public enum ReportCSV {
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// How a companion CSV is written: `excel-fr` (the default) or `rfc4180` (a comma, a
    /// decimal point, no byte order mark: what programs read).
    public enum Dialect: String, Sendable, CaseIterable {
        case excelFr = "excel-fr"
        case rfc4180
    }

    /// The table as CSV bytes in `dialect`: (the mark,) the header row, then the rows.
    public static func encode(_ table: Table, dialect: Dialect = .excelFr) -> [UInt8] {
        let french = dialect == .excelFr
        var out = french ? byteOrderMark : []
        let delimiter = french ? UInt8(ascii: ";") : UInt8(ascii: ",")
        CSVWriter.appendRecord(table.columns.map(\.name), delimiter: delimiter, to: &out)
        for row in table.rows { CSVWriter.appendRecord(row.map { french ? text($0) : $0.csvText }, delimiter: delimiter, to: &out) }
        return out
    }

    /// A cell's text, numbers with a decimal comma.
    public static func text(_ cell: Cell) -> String {
        guard case .decimal = cell else { return cell.csvText }
        return String(cell.csvText.map { $0 == "." ? "," : $0 })
    }
}
