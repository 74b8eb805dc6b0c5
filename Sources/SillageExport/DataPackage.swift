import SillageCore
import SillageMetrics

/// Builds `datapackage.json`: a Frictionless Tabular Data Package describing every table.
public enum DataPackage {
    public static func descriptor(export: ExportDefinition, tables: [Table]) -> JSONValue {
        let resources: [JSONValue] = tables.map { table in
            var fields: [JSONValue] = []
            for column in table.columns {
                var field: [(String, JSONValue)] = [
                    ("name", .string(column.name)),
                    ("type", .string(column.type.rawValue)),
                    ("description", .string(column.description)),
                ]
                var constraints: [(String, JSONValue)] = []
                if !column.isMeasure && !column.isOptional { constraints.append(("required", .bool(true))) }
                if column.type == .integer || column.type == .number { constraints.append(("minimum", .int(0))) }
                if let allowed = column.allowedValues { constraints.append(("enum", .array(allowed.map { .string($0) }))) }
                if !constraints.isEmpty { field.append(("constraints", .object(constraints))) }
                fields.append(.object(field))
            }
            return .object([
                ("name", .string(table.name)),
                ("path", .string(table.fileName)),
                ("profile", .string("tabular-data-resource")),
                ("title", .string(table.title)),
                ("description", .string(table.description)),
                ("format", .string("csv")),
                ("mediatype", .string("text/csv")),
                ("encoding", .string("utf-8")),
                ("compression", .string("gz")),
                (
                    "dialect",
                    .object([
                        ("delimiter", .string(",")),
                        ("lineTerminator", .string("\r\n")),
                        ("quoteChar", .string("\"")),
                        ("doubleQuote", .bool(true)),
                        ("header", .bool(true)),
                    ])
                ),
                (
                    "schema",
                    .object(
                        [("fields", .array(fields))]
                            + (table.primaryKey.isEmpty ? [] : [("primaryKey", .array(table.primaryKey.map { .string($0) }))])
                            + [("missingValues", .array([.string("")]))])
                ),
            ])
        }
        return .object([
            ("profile", .string("tabular-data-package")),
            ("name", .string(packageName(export))),
            ("title", .string("Sillage export \(export.name) for \(export.recipient), period \(export.period.directoryName)")),
            (
                "description",
                .string(
                    "Anonymised learning-analytics statistics. Cells computed from fewer than \(export.minCount) distinct people are empty; see README.md and privacy-report.json."
                )
            ),
            ("resources", .array(resources)),
        ])
    }

    static func packageName(_ export: ExportDefinition) -> String {
        "\(export.name)-\(export.recipient)-\(export.period.directoryName)".lowercased()
            .map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? String($0) : "-" }.joined()
    }
}
