import SillageMetrics

/// Writes RFC 4180 CSV: comma-separated, CRLF line ends, fields quoted only when needed.
public enum CSVWriter {
    /// Appends one record; `delimiter` is `,` except in the reports' `excel-fr` dialect (`;`).
    public static func appendRecord(_ fields: [String], delimiter: UInt8 = UInt8(ascii: ","), to out: inout [UInt8]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(delimiter) }
            appendField(field, delimiter: delimiter, to: &out)
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    /// Appends one field, quoted when it holds the delimiter, a quote, CR, LF, or edge spaces.
    public static func appendField(_ field: String, delimiter: UInt8 = UInt8(ascii: ","), to out: inout [UInt8]) {
        let bytes = Array(field.utf8)
        let needsQuotes =
            bytes.contains { $0 == delimiter || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }
            || bytes.first == 0x20 || bytes.last == 0x20
        guard needsQuotes else { out.append(contentsOf: bytes); return }
        out.append(0x22)
        for b in bytes {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }

    /// The whole table as CSV bytes: header row, then rows.
    public static func encode(_ table: Table) -> [UInt8] {
        var out: [UInt8] = []
        appendRecord(table.columns.map(\.name), to: &out)
        for row in table.rows { appendRecord(row.map(\.csvText), to: &out) }
        return out
    }
}
