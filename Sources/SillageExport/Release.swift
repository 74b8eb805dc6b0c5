import SillageCore
import SillagePrivacy
import SillageMetrics
import SillageDisclosure

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

/// What the codebook and privacy report say about the pipeline that produced an export.
public struct ReleaseContext: Sendable {
    public var timezone: String
    public var inactivityMinutes: Int
    /// The inputs' web-visitor scopes (`day`, `persistent`), distinct and sorted.
    public var visitorScopes: [String]
    /// Per stream, what feeds it and what it counts (`combined: page views from access
    /// logs`), for the codebook.
    public var streams: [String: String] = [:]

    public init(timezone: String, inactivityMinutes: Int, visitorScopes: [String], streams: [String: String] = [:]) {
        self.timezone = timezone
        self.inactivityMinutes = inactivityMinutes
        self.visitorScopes = visitorScopes
        self.streams = streams
    }
}

/// An export's tables after disclosure control and the PII guard, encoded but not yet published.
public struct PreparedRelease: Sendable {
    public var export: ExportDefinition
    public var tables: [Table]
    public var reports: [SuppressionReport]
    public var noise: [NoiseReport]
    public var microdata: MicrodataReport?
    public var cellsScanned: Int
    /// The gzip CSV files, in table order.
    public var files: [(name: String, bytes: [UInt8])]
    /// SHA-256 (hex) of the microdata's rows without their learner column: what two
    /// releases of the same sessions share whatever their pseudonyms (the microdata ledger).
    public var microdataDigest: String? = nil

    /// The ε charges the noisy tables make (empty without differential privacy).
    public var charges: [BudgetCharge] {
        noise.map {
            BudgetCharge(
                export: export.name, period: export.period.directoryName, table: $0.table, epsilon: $0.epsilon,
                release: $0.release)
        }
    }
}

/// Builds an export's files from the metrics' input: tables, disclosure control, PII guard,
/// encoding, then (once the caller has charged the privacy budget) publication.
///
/// It reads nothing itself: the pipeline gives it the store's rows and charges the budget in
/// between, so this layer never sees the store.
public enum Release {
    public static func prepare(
        _ export: ExportDefinition, input: MetricInput, key: MasterKey, scanner: PIIScanner,
        outputRoot: String
    ) throws(SillageError) -> PreparedRelease {
        let period = export.period.directoryName
        var tables: [Table] = []
        var reports: [SuppressionReport] = []
        var noise: [NoiseReport] = []
        let vocabulary = KVocabulary(facts: input.facts, minCount: export.minCount)
        var perturbation = export.perturbation.map { CellKeyPerturbation(table: $0, master: key) }
        var exact: [String: Table] = [:]
        for name in export.tables {
            guard let stage = TableRegistry.tables[name] else {
                throw SillageError.configuration("unknown table \"\(name)\"")
            }
            if let settings = export.noise(for: name) {
                var noisyInput = input
                noisyInput.recordContributions = true
                var table = stage.build(noisyInput)
                let belowVocabulary = vocabulary.apply(&table)
                let tableKey = DifferentialPrivacy.tableKey(
                    master: key, recipient: export.recipientKey, export: export.name, period: period, table: name)
                var (report, noiseReport) = DifferentialPrivacy(settings: settings, minCount: export.minCount).apply(&table, key: tableKey)
                report.rowsBelowVocabulary = belowVocabulary
                reports.append(report)
                noise.append(noiseReport)
                tables.append(table)
                continue
            }
            let (table, report, built) = protected(stage, input: input, export: export, vocabulary: vocabulary, perturbation: &perturbation)
            reports.append(report)
            tables.append(table)
            exact[name] = built
        }
        // Shares divide by another table's published counts; a table the export leaves out
        // is built and protected the same way, and not published.
        var aside: [Table] = []
        for name in Set(tables.flatMap { $0.columns.compactMap(\.share?.table) }).sorted()
        where !tables.contains(where: { $0.name == name }) {
            guard let stage = TableRegistry.tables[name] else { continue }
            let (table, _, built) = protected(stage, input: input, export: export, vocabulary: vocabulary, perturbation: &perturbation)
            aside.append(table)
            exact[name] = built
        }
        let catalogue = input.catalogue
        if export.releaseCheck {
            ReleaseCheck.apply(
                &tables, reports: &reports, aside: aside, exact: exact, minCount: export.minCount, roundTo: export.roundTo,
                perturbed: perturbation != nil, exempt: Set(export.noisyTables.map(\.table)),
                pinned: { catalogue[$0]?.position != nil })
        } else {
            for t in tables.indices { reports[t].cellsRounded = Rounding(base: export.roundTo).apply(&tables[t]) }
        }
        var microdata: MicrodataReport? = nil
        if let definition = export.microdata {
            let (table, report) = SessionMicrodata.build(
                sessions: input.sessions, zone: input.zone, definition: definition, k: export.minCount,
                pseudonyms: RecipientPseudonyms(master: key, recipient: export.recipientKey, period: period))
            tables.append(table)
            microdata = report
        }
        let location = "\(outputRoot)/\(export.name)"
        var cellsScanned = try guardCells(of: &tables, scanner: scanner, location: location)
        if export.tables.contains(where: { TableRegistry.tables[$0]?.reads.contains(.catalogue) == true }) {
            cellsScanned += try guardCatalogue(input.catalogue, scanner: scanner, location: location)
        }
        var files: [(name: String, bytes: [UInt8])] = []
        for table in tables {
            let csv = CSVWriter.encode(table)
            if let n = noise.firstIndex(where: { $0.table == table.name }) { noise[n].release = hexString(SHA256.hash(csv)) }
            files.append((table.fileName, try GzipWriter.compress(csv)))
        }
        var prepared = PreparedRelease(
            export: export, tables: tables, reports: reports, noise: noise, microdata: microdata,
            cellsScanned: cellsScanned, files: files)
        if var sessions = tables.first(where: { $0.name == SessionMicrodata.name }) {
            if let learner = sessions.columns.firstIndex(where: \.isPseudonym) {
                sessions.columns.remove(at: learner)
                for r in sessions.rows.indices { sessions.rows[r].remove(at: learner) }
            }
            prepared.microdataDigest = hexString(SHA256.hash(CSVWriter.encode(sessions)))
        }
        return prepared
    }

    /// A table built and protected without noise: k-vocabulary, cell-key perturbation when
    /// the export asks for it, small-cell suppression, the dominance rule. Also returns the
    /// table as built (after the k-vocabulary, with exact counts) when the release-level
    /// check needs it (`ReleaseCheck.partsOfWholes`), nil otherwise.
    static func protected(
        _ stage: TableStage, input: MetricInput, export: ExportDefinition, vocabulary: KVocabulary,
        perturbation: inout CellKeyPerturbation?
    ) -> (Table, SuppressionReport, Table?) {
        var tableInput = input
        tableInput.recordContributions = perturbation != nil
        if perturbation != nil { tableInput.medianSupport = export.minCount }
        var table = stage.build(tableInput)
        let belowVocabulary = vocabulary.apply(&table)
        var built: Table? = nil
        if ReleaseCheck.partsOfWholes.contains(stage.name) {
            built = table
            built?.contributions = []
        }
        let perturbed = perturbation?.apply(&table) ?? 0
        table.contributions = []
        var report = SmallCellSuppression(minCount: export.minCount).apply(&table)
        report.rowsBelowVocabulary = belowVocabulary
        report.cellsPerturbed = perturbed
        DominanceRule(maxShare: export.dominance).apply(&table, report: &report)
        return (table, report, built)
    }

    /// The PII guard of a release, for tables published another way (a report): every cell,
    /// and every catalogue name when `catalogue` is given; returns the cells scanned.
    public static func guardTables(
        _ tables: inout [Table], catalogue: [Publishable: CatalogueEntry]?, scanner: PIIScanner, location: String
    ) throws(SillageError) -> Int {
        var scanned = try guardCells(of: &tables, scanner: scanner, location: location)
        if let catalogue { scanned += try guardCatalogue(catalogue, scanner: scanner, location: location) }
        return scanned
    }

    /// Checks every published value with the PII guard; returns the number of cells scanned.
    ///
    /// A value from the logs passed the gate at its parser: whatever the guard still finds in
    /// it (a name learnt since) is replaced here, never a reason to stop, so a learner cannot
    /// stop a release. A reference value (a catalogue name) is the
    /// operator's: any hit stops the release, on this run and every later one, until the
    /// source is fixed. The message names the table, row and column, never the value. Code
    /// labels (`.text`: days, buckets, streams) are not data and are not scanned.
    static func guardCells(of tables: inout [Table], scanner: PIIScanner, location: String) throws(SillageError) -> Int {
        var cellsScanned = 0
        var verdicts: [Publishable: (value: Publishable, finding: String?)] = [:]
        for t in tables.indices {
            let table = tables[t]
            for (r, row) in table.rows.enumerated() {
                for (c, cell) in row.enumerated() {
                    guard case .value(let value) = cell else { continue }
                    cellsScanned += 1
                    let column = table.columns[c]
                    let finding: String?
                    if column.isPseudonym {
                        finding = isPseudonymText(value.text) ? nil : "a value that is not a pseudonym"
                    } else if let known = verdicts[value] {
                        finding = known.finding
                        if known.value != value { tables[t].rows[r][c] = .value(known.value) }
                    } else if column.isReference {
                        finding = scanner.referenceFinding(in: value.text)
                        verdicts[value] = (value, finding)
                    } else {
                        let replaced = scanner.rescrubbed(value)
                        finding = nil
                        verdicts[value] = (replaced, nil)
                        if replaced != value { tables[t].rows[r][c] = .value(replaced) }
                    }
                    guard let finding else { continue }
                    throw SillageError.data(
                        "PII guard: table \(table.name), row \(r + 1), column \(column.name) holds \(finding); nothing was published",
                        at: location,
                        hint:
                            "correct the reference file that supplies this column's values (the course catalogue), or leave the value out of it; every run stops here until the source is fixed"
                    )
                }
            }
        }
        return cellsScanned
    }

    /// Checks every catalogue name a table of the release could show, published or not (a
    /// row may be left out this time and kept the next): the operator's reference data must
    /// hold no personal data at all. Entries are numbered in key order; the message names
    /// the entry and column, never the value.
    static func guardCatalogue(
        _ catalogue: [Publishable: CatalogueEntry], scanner: PIIScanner, location: String
    ) throws(SillageError) -> Int {
        let entries = catalogue.sorted { $0.key < $1.key }
        for (i, entry) in entries.enumerated() {
            guard let finding = scanner.referenceFinding(in: entry.value.name.text) else { continue }
            throw SillageError.data(
                "PII guard: reference table course-catalogue, entry \(i + 1), column name holds \(finding); nothing was published",
                at: location,
                hint:
                    "correct the course catalogue file (entries are counted in key order) and read it again with `--reprocess FILE`; every run stops here until then"
            )
        }
        return entries.count
    }

    /// Adds the description files and publishes the directory atomically.
    public static func publish(
        _ prepared: PreparedRelease, budget: BudgetPosition?, context: ReleaseContext,
        outputRoot: String
    ) throws(SillageError) -> ExportOutcome {
        let export = prepared.export
        var files = prepared.files
        files.append(("datapackage.json", Array(DataPackage.descriptor(export: export, tables: prepared.tables).serialized().utf8)))
        files.append(
            (
                "README.md",
                Array(
                    Codebook.markdown(
                        export: export, tables: prepared.tables, reports: prepared.reports,
                        timezone: context.timezone,
                        inactivityMinutes: context.inactivityMinutes,
                        noise: prepared.noise, budget: budget, microdata: prepared.microdata, streams: context.streams
                    ).utf8)
            ))
        files.append(
            (
                "privacy-report.json",
                Array(
                    PrivacyReport.json(
                        export: export, reports: prepared.reports,
                        cellsScanned: prepared.cellsScanned,
                        visitorScopes: context.visitorScopes, noise: prepared.noise,
                        budget: budget, microdata: prepared.microdata
                    ).serialized().utf8)
            ))
        var sums = ""
        for file in files.sorted(by: { $0.name < $1.name }) {
            sums += "\(hexString(SHA256.hash(file.bytes)))  \(file.name)\n"
        }
        files.append(("SHA256SUMS", Array(sums.utf8)))
        let directory = "\(outputRoot)/\(export.name)/\(export.recipient)/\(export.period.directoryName)"
        let replaced = try Publisher.publish(files: files, to: directory)
        return ExportOutcome(
            directory: directory, replaced: replaced, files: files.map(\.name).sorted(), suppression: prepared.reports,
            noise: prepared.noise, budget: budget, microdata: prepared.microdata)
    }
}

/// 32 lower-case hex digits: the only form a published pseudonym takes.
func isPseudonymText(_ text: String) -> Bool {
    text.utf8.count == 32 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
}
