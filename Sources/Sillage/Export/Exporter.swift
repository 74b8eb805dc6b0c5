/// What one published export contains.
public struct ExportOutcome: Sendable {
    public var directory: String
    /// An earlier export of the same name, recipient and period was replaced.
    public var replaced = false
    public var files: [String]
    public var suppression: [SuppressionReport]
}

/// Builds one export from the store: tables, disclosure control, PII guard, files, publication.
public enum Exporter {
    public static func run(_ export: ExportDefinition, store: Store, outputRoot: String,
                           pipeline: PipelineDefinition, scanner: PIIScanner) throws(SillageError) -> ExportOutcome {
        let days = export.period.dayRange
        var input = MetricInput(sessions: try store.sessions(days: days), actorDays: try store.actorDays(days: days),
                                facts: try store.facts(), days: days, zone: try ZoneRules(identifier: pipeline.timezone))
        input.catalogue = try store.catalogue()
        let suppression = SmallCellSuppression(minCount: export.minCount)
        var tables: [Table] = []
        var reports: [SuppressionReport] = []
        var cellsScanned = 0
        for name in export.tables {
            guard let stage = StageRegistry.tables[name] else {
                throw SillageError.configuration("unknown table \"\(name)\"")
            }
            var table = stage.build(input)
            var report = suppression.apply(&table)
            DominanceRule(maxShare: export.dominance).apply(&table, report: &report)
            reports.append(report)
            tables.append(table)
        }
        LinkedTotals.protect(&tables, reports: &reports)
        let rounding = Rounding(base: export.roundTo)
        for t in tables.indices { reports[t].cellsRounded = rounding.apply(&tables[t]) }
        for table in tables {
            for (r, row) in table.rows.enumerated() {
                for (c, cell) in row.enumerated() {
                    cellsScanned += 1
                    guard case .text(let text) = cell, let finding = scanner.finding(in: text) else { continue }
                    throw SillageError.data(
                        "PII guard: table \(table.name), row \(r + 1), column \(table.columns[c].name) holds \(finding); nothing was published",
                        at: "\(outputRoot)/\(export.name)",
                        hint: "find the input value that reaches this column (a catalogue name, a URL, an object id) and correct it at its source, or scrub it with the input's profile; nothing is published until then")
                }
            }
        }
        var files: [(name: String, bytes: [UInt8])] = []
        for table in tables {
            files.append((table.fileName, try GzipWriter.compress(CSVWriter.encode(table))))
        }
        let scopes = Array(Set(pipeline.inputs.map(\.visitorScope.rawValue))).sorted()
        files.append(("datapackage.json", Array(DataPackage.descriptor(export: export, tables: tables).serialized().utf8)))
        files.append(("README.md", Array(Codebook.markdown(export: export, tables: tables, reports: reports,
                                                            timezone: pipeline.timezone,
                                                            inactivityMinutes: pipeline.inactivityMinutes).utf8)))
        files.append(("privacy-report.json", Array(PrivacyReport.json(export: export, reports: reports, cellsScanned: cellsScanned,
                                                                      visitorScopes: scopes).serialized().utf8)))
        var sums = ""
        for file in files.sorted(by: { $0.name < $1.name }) {
            sums += "\(hexString(SHA256.hash(file.bytes)))  \(file.name)\n"
        }
        files.append(("SHA256SUMS", Array(sums.utf8)))
        let directory = "\(outputRoot)/\(export.name)/\(export.recipient)/\(export.period.directoryName)"
        let replaced = try Publisher.publish(files: files, to: directory)
        return ExportOutcome(directory: directory, replaced: replaced, files: files.map(\.name).sorted(), suppression: reports)
    }
}
