/// Builds `privacy-report.json`: the rules applied to this export and what they withheld.
public enum PrivacyReport {
    public static func json(export: ExportDefinition, reports: [SuppressionReport], cellsScanned: Int,
                            visitorScopes: [String]) -> JSONValue {
        .object([
            ("export", .string(export.name)),
            ("recipient", .string(export.recipient)),
            ("period", .string(export.period.directoryName)),
            ("minCount", .int(Int64(export.minCount))),
            ("suppressionRule", .string("a row whose measures come from 1 to \(export.minCount - 1) distinct actors has all its measures emptied")),
            ("rounding", export.roundTo > 1 ? .object([("base", .int(Int64(export.roundTo))),
                                                        ("applies", .string("integer measures (counts), after suppression; halves round up"))]) : .null),
            ("dominanceRule", .string("a row in which one actor holds more than \(Cell.formatDecimal(export.dominance * 100, digits: 1)) % of a sum (sessions, page views, views, failed searches; durations follow their sessions) has all its measures emptied")),
            ("dominanceMaxShare", .double(export.dominance)),
            ("complementarySuppression", .string("per stream, the sessions of daily_activity and of session_lengths add up to the same total: a lone withheld cell among them is never left, the smallest published one is withheld with it")),
            ("differentialPrivacy", .object([
                ("enabled", .bool(false)),
                ("epsilonSpent", .int(0)),
                ("epsilonLeft", .null),
            ])),
            ("microdata", .null),
            ("pseudonymisation", .object([
                ("method", .string("HMAC-SHA256(key, namespace || 0x00 || identifier), truncated to 128 bits")),
                ("webVisitorScope", .array(visitorScopes.map { .string($0) })),
                ("identifiersPublished", .bool(false)),
            ])),
            ("piiGuard", .object([
                ("cellsScanned", .int(Int64(cellsScanned))),
                ("findings", .int(0)),
                ("checks", .array(["e-mail", "IPv4", "IPv6", "French phone number", "raw identifiers met in the run"].map { .string($0) })),
            ])),
            ("tables", .array(reports.map { r in
                .object([
                    ("name", .string(r.table)),
                    ("rows", .int(Int64(r.rows))),
                    ("rowsSuppressed", .int(Int64(r.rowsSuppressed))),
                    ("rowsDominated", .int(Int64(r.rowsDominated))),
                    ("rowsComplementary", .int(Int64(r.rowsComplementary))),
                    ("cellsRounded", .int(Int64(r.cellsRounded))),
                    ("cellsSuppressed", .int(Int64(r.cellsSuppressed))),
                ])
            })),
        ])
    }
}
