/// What one published export contains.
public struct ExportOutcome: Sendable {
    public var directory: String
    /// An earlier export of the same name, recipient and period was replaced.
    public var replaced = false
    public var files: [String]
    public var suppression: [SuppressionReport]
    /// Tables published with differential privacy, and where the recipient's ε budget stands.
    public var noise: [NoiseReport] = []
    public var budget: BudgetPosition? = nil
    /// The k-anonymised `sessions` microdata, when the export asks for it.
    public var microdata: MicrodataReport? = nil
}

/// Builds one export from the store: tables, disclosure control, PII guard, files, publication.
public enum Exporter {
    public static func run(_ export: ExportDefinition, store: Store, outputRoot: String, pipeline: PipelineDefinition,
                           key: MasterKey, scanner: PIIScanner, run: Int64? = nil) throws(SillageError) -> ExportOutcome {
        let days = export.period.dayRange
        let zone = try ZoneRules(identifier: pipeline.timezone)
        var input = MetricInput(sessions: try store.sessions(days: days), actorDays: try store.actorDays(days: days),
                                facts: try store.facts(), days: days, zone: zone)
        input.catalogue = try store.catalogue()
        let suppression = SmallCellSuppression(minCount: export.minCount)
        let period = export.period.directoryName
        var tables: [Table] = []
        var reports: [SuppressionReport] = []
        var noise: [NoiseReport] = []
        var cellsScanned = 0
        for name in export.tables {
            guard let stage = StageRegistry.tables[name] else {
                throw SillageError.configuration("unknown table \"\(name)\"")
            }
            if let settings = export.noise(for: name) {
                var noisyInput = input
                noisyInput.recordContributions = true
                var table = stage.build(noisyInput)
                let tableKey = DifferentialPrivacy.tableKey(master: key, recipient: export.recipient, export: export.name, period: period, table: name)
                let (report, noiseReport) = DifferentialPrivacy(settings: settings, minCount: export.minCount).apply(&table, key: tableKey)
                reports.append(report)
                noise.append(noiseReport)
                tables.append(table)
                continue
            }
            var table = stage.build(input)
            var report = suppression.apply(&table)
            DominanceRule(maxShare: export.dominance).apply(&table, report: &report)
            reports.append(report)
            tables.append(table)
        }
        LinkedTotals.protect(&tables, reports: &reports, exempt: Set(export.noisyTables.map(\.table)))
        let rounding = Rounding(base: export.roundTo)
        for t in tables.indices { reports[t].cellsRounded = rounding.apply(&tables[t]) }
        var microdata: MicrodataReport? = nil
        if let definition = export.microdata {
            let (table, report) = SessionMicrodata.build(sessions: input.sessions, zone: zone, definition: definition, k: export.minCount,
                                                         pseudonyms: RecipientPseudonyms(master: key, recipient: export.recipient, period: period))
            tables.append(table)
            microdata = report
        }
        // Dates, streams and buckets repeat on every row: each distinct text is scanned once.
        var verdicts: [String: String?] = [:]
        for table in tables {
            for (r, row) in table.rows.enumerated() {
                for (c, cell) in row.enumerated() {
                    cellsScanned += 1
                    guard case .text(let text) = cell else { continue }
                    let finding: String?
                    if table.columns[c].isPseudonym {
                        finding = isPseudonymText(text) ? nil : "a value that is not a pseudonym"
                    } else if let known = verdicts[text] {
                        finding = known
                    } else {
                        finding = scanner.finding(in: text)
                        verdicts[text] = .some(finding)
                    }
                    guard let finding else { continue }
                    throw SillageError.data(
                        "PII guard: table \(table.name), row \(r + 1), column \(table.columns[c].name) holds \(finding); nothing was published",
                        at: "\(outputRoot)/\(export.name)",
                        hint: "find the input value that reaches this column (a catalogue name, a URL, an object id) and correct it at its source, or scrub it with the input's profile; nothing is published until then")
                }
            }
        }
        var files: [(name: String, bytes: [UInt8])] = []
        for table in tables {
            let csv = CSVWriter.encode(table)
            if let n = noise.firstIndex(where: { $0.table == table.name }) { noise[n].release = hexString(SHA256.hash(csv)) }
            files.append((table.fileName, try GzipWriter.compress(csv)))
        }
        // Charged before anything is published: a failure after this over-counts, never under-counts.
        var budget: BudgetPosition? = nil
        if !noise.isEmpty {
            let recipientIndex = pipeline.recipients.firstIndex { $0.name == export.recipient } ?? 0
            guard let limit = pipeline.recipient(named: export.recipient)?.epsilonBudget else {
                throw SillageError.configuration("recipient \(export.recipient) has no epsilonBudget", at: "$.recipients[\(recipientIndex)]")
            }
            budget = try store.charge(noise.map { BudgetCharge(export: export.name, period: period, table: $0.table, epsilon: $0.epsilon, release: $0.release) },
                                      recipient: export.recipient, budget: limit, run: run,
                                      location: "$.recipients[\(recipientIndex)].epsilonBudget")
        }
        let scopes = Array(Set(pipeline.inputs.map(\.visitorScope.rawValue))).sorted()
        files.append(("datapackage.json", Array(DataPackage.descriptor(export: export, tables: tables).serialized().utf8)))
        files.append(("README.md", Array(Codebook.markdown(export: export, tables: tables, reports: reports,
                                                            timezone: pipeline.timezone,
                                                            inactivityMinutes: pipeline.inactivityMinutes,
                                                            noise: noise, budget: budget, microdata: microdata).utf8)))
        files.append(("privacy-report.json", Array(PrivacyReport.json(export: export, reports: reports, cellsScanned: cellsScanned,
                                                                      visitorScopes: scopes, noise: noise, budget: budget,
                                                                      microdata: microdata).serialized().utf8)))
        var sums = ""
        for file in files.sorted(by: { $0.name < $1.name }) {
            sums += "\(hexString(SHA256.hash(file.bytes)))  \(file.name)\n"
        }
        files.append(("SHA256SUMS", Array(sums.utf8)))
        let directory = "\(outputRoot)/\(export.name)/\(export.recipient)/\(export.period.directoryName)"
        let replaced = try Publisher.publish(files: files, to: directory)
        return ExportOutcome(directory: directory, replaced: replaced, files: files.map(\.name).sorted(), suppression: reports,
                             noise: noise, budget: budget, microdata: microdata)
    }
}

/// 32 lower-case hex digits: the only form a published pseudonym takes.
func isPseudonymText(_ text: String) -> Bool {
    text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
}
