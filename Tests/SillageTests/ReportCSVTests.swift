import Foundation
import Testing
@testable import SillagePrivacy
@testable import SillageMetrics
@testable import SillageReports

@Test(arguments: [
    (Cell.decimal(0.425, digits: 3), "0,425"), (.decimal(-1.5, digits: 1), "-1,5"), (.decimal(12, digits: 2), "12"),
    (.integer(1200), "1200"), (.text("2026-03-29"), "2026-03-29"), (.value("Cours 1.2"), "Cours 1.2"), (.empty, ""),
])
func reportCellsUseADecimalComma(cell: Cell, expected: String) {
    #expect(ReportCSV.text(cell) == expected)
}

/// The excel-fr file as French Excel reads it: BOM, semicolons, CRLF, quotes only where needed;
/// Python's csv module (semicolon dialect, utf-8-sig) reads back every field.
@Test func aReportCSVIsExcelFrenchAndReadsBack() throws {
    var table = Table(
        name: "t", title: "", description: "",
        columns: [Column("cours", .string, ""), Column("taux", .number, "", role: .measure), Column("n", .integer, "", role: .people)],
        primaryKey: ["cours"])
    table.append([.value("Statistique; niveau 1"), .decimal(0.5, digits: 3), .integer(12)], actors: 12)
    table.append([.value("Lecture \"rapide\"\nen ligne"), .decimal(1.25, digits: 2), .integer(11)], actors: 11)
    let bytes = ReportCSV.encode(table)
    #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
    let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
    #expect(text.hasPrefix("cours;taux;n\r\n\"Statistique; niveau 1\";0,5;12\r\n"))
    let dir = TestSupport.temporaryDirectory("report-csv")
    defer { TestSupport.remove(dir) }
    try Data(bytes).write(to: URL(fileURLWithPath: dir + "/t.csv"))
    let script = "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline=''), delimiter=';'))))"
    let r = try TestSupport.run("/usr/bin/env", ["python3", "-c", script, dir + "/t.csv"])
    #expect(r.status == 0, "\(r.stderr)")
    let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String]]
    #expect(rows == [["cours", "taux", "n"], ["Statistique; niveau 1", "0,5", "12"], ["Lecture \"rapide\"\nen ligne", "1,25", "11"]])
}

/// On request the same table is RFC 4180: commas, a decimal point, no byte order mark; the
/// figures are the same.
@Test func aReportCSVCanBeRFC4180() {
    var table = Table(
        name: "t", title: "", description: "",
        columns: [Column("cours", .string, ""), Column("taux", .number, "", role: .measure)], primaryKey: ["cours"])
    table.append([.value("Statistique, niveau 1"), .decimal(0.5, digits: 3)], actors: 12)
    let text = String(decoding: ReportCSV.encode(table, dialect: .rfc4180), as: UTF8.self)
    #expect(text == "cours,taux\r\n\"Statistique, niveau 1\",0.5\r\n")
    #expect(ReportCSV.Dialect(rawValue: "excel-fr") == .excelFr && ReportCSV.Dialect(rawValue: "rfc4180") == .rfc4180)
}
