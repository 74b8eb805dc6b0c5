import SillageMetrics
import SillageExport

/// The CSV companion of a report, in the `excel-fr` dialect that French Excel opens as it is
/// (SPEC §8): a UTF-8 byte order mark, `;` between fields, a decimal comma, CRLF line ends,
/// fields quoted only when needed. Exports keep RFC 4180 (`CSVWriter`); reports are read by
/// people, often in a spreadsheet set to French.
public enum ReportCSV {
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The table as excel-fr CSV bytes: the mark, the header row, then the rows.
    public static func encode(_ table: Table) -> [UInt8] {
        var out = byteOrderMark
        CSVWriter.appendRecord(table.columns.map(\.name), delimiter: UInt8(ascii: ";"), to: &out)
        for row in table.rows { CSVWriter.appendRecord(row.map(text), delimiter: UInt8(ascii: ";"), to: &out) }
        return out
    }

    /// A cell's text, numbers with a decimal comma.
    public static func text(_ cell: Cell) -> String {
        guard case .decimal = cell else { return cell.csvText }
        return String(cell.csvText.map { $0 == "." ? "," : $0 })
    }
}
