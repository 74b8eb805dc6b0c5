import SillageMetrics
import SillageDisclosure

/// Writes the export's `README.md`: what each table and column means and what was withheld.
public enum Codebook {
    public static func markdown(
        export: ExportDefinition, tables: [Table], reports: [SuppressionReport],
        timezone: String, inactivityMinutes: Int, noise: [NoiseReport] = [], budget: BudgetPosition? = nil,
        microdata: MicrodataReport? = nil, streams: [String: String] = [:]
    ) -> String {
        var md = """
            # Sillage export `\(export.name)` — recipient `\(export.recipient)`, period `\(export.period.directoryName)`

            Anonymised statistics computed by Sillage from platform logs. No file here holds an
            identifier: people are counted, never listed\(microdata?.linkable == true ? " — except in `sessions.csv.gz`, where each learner appears under a pseudonym made for this recipient and period only" : "").

            - Days, weeks and months are local to **\(timezone)**.
            - A **session** is a run of one person's events in one stream with no gap over \(inactivityMinutes) minutes;
              its duration is last event minus first; a session of one event lasts 0 s and is a **bounce**.
              A session belongs to the day on which it starts.
            - Streams: \(streamLine(tables, streams)).
            - Anonymous web visitors (no login in the access log) are recognised within one day only.

            ## Disclosure control

            Every row computed from fewer than **\(export.minCount)** distinct people (and more than none) has all
            its measures left **empty**; the row's dimensions stay so that the gap is visible. An empty
            cell therefore means *withheld*, except where a measure is undefined (`median_session_seconds`
            and `mean_pages_per_session` on a day-stream where no session started, a median with no
            completer). In `course_completion` the smallest of learners, completers and non-completers
            decides, and in `activity_completion` the smaller of the activity's completers and the
            course's learners who did not complete it. Rows in which one person holds more than **\(Cell.formatDecimal(export.dominance * 100, digits: 1)) %** of a sum
            (sessions, page views, views, failed searches; session durations follow their sessions)
            are withheld the same way (dominance rule). `failed_searches` leaves such rows out
            instead. The sessions of `daily_activity` and of `session_lengths` add up, per stream,
            to the same total: where only one of them is withheld, the smallest published one is
            withheld too, so that none can be recovered by subtraction (complementary suppression);
            the same holds for the day's bounces and the `0s` bucket of `session_lengths`.

            The export is checked as a whole, on the figures as published: a row is also withheld
            when a group a reader can compute from it holds fewer than \(export.minCount) people (a
            published count of people, or learners minus completers, within the row or against the
            course's published learners). Rates, shares and ranks are computed from the published
            counts, never from exact ones: a share whose course row is withheld is empty, and ranks
            put withheld rows last. `privacy-report.json` gives the counts per table (rows
            withheld by this check count with those under minCount, whichever group was small).

            | table | rows | rows under minCount or revealing a small group | rows dominated | rows withheld with them | cells suppressed |
            |---|---|---|---|---|---|

            """
        for r in reports {
            if noise.contains(where: { $0.table == r.table }) {
                md += "| `\(r.table)` | withheld (differential privacy) | | | | |\n"
            } else {
                md +=
                    "| `\(r.table)` | \(r.rows) | \(r.rowsSuppressed) | \(r.rowsDominated) | \(r.rowsComplementary) | \(r.cellsSuppressed) |\n"
            }
        }
        if let t = export.perturbation {
            md +=
                "\nCounts are **perturbed** (cell-key method): each published count is the true count moved by at most \(t.maxDeviation), up or down, with an average move of zero (variance \(Cell.formatDecimal(t.variance, digits: 2))). The move depends only on who is counted, so the same people give the same figure in every table and every release, and comparing two releases shows noise, not a person. Sums of perturbed cells need not equal a perturbed total, and a small count may be published as 0: read counts under \(t.maxDeviation * 2) as noise. Counts of people move by at most \(t.maxDeviation); sums (sessions, page views, views, failed searches) by at most \(t.maxDeviation) steps of their largest single contribution ÷ \(t.maxDeviation), so that no one person’s part shows. A median is published only when at least \(export.minCount) people have a value within 10 % of it: it then describes a group, not the person in the middle.\n"
        }
        if export.roundTo > 1 {
            md +=
                "\nCounts (integer measures) are rounded to the nearest multiple of **\(export.roundTo)**, halves up, after suppression; rates and shares are computed from the rounded counts, medians are not rounded.\n"
        }
        if let budget, !noise.isEmpty {
            md += """

                ## Differential privacy

                The counts of the tables below carry random noise (two-sided geometric, mean 0), so
                that no single person's presence can be inferred from them, whatever else is known.
                Each person counts in at most *rows per person* rows of a table and adds at most
                *cap per cell* to a sum (1 to a count of people); the noise is scaled to that bound
                (the sensitivity) divided by ε. Negative noisy counts are published as 0; medians,
                rates and shares are left empty. Which rows exist (a day, a course, a search term)
                follows the data too, so a row is published only when its noisy count of people
                reaches the table's *threshold*, chosen so that a row only one person is behind
                appears with probability at most *δ* (partition selection); never under
                \(export.minCount). The dominance rule and complementary suppression are not needed: no
                noisy value, nor a difference of them, gives an exact figure. The same data exported
                again gives the same values.
                This export uses ε \(formatEpsilon(budget.exportEpsilon)); the recipient has used
                ε \(formatEpsilon(budget.spentThrough)) of a budget of \(formatEpsilon(budget.budget)) so far, and all
                recipients of this store together ε \(formatEpsilon(budget.storeSpentThrough)) of \(formatEpsilon(budget.storeBudget)).

                | table | ε | δ | rows per person | cap per cell | sensitivity | noise standard deviation | threshold |
                |---|---|---|---|---|---|---|---|

                """
            for n in noise {
                md +=
                    "| `\(n.table)` | \(formatEpsilon(n.epsilon)) | \(n.delta) | \(n.maxRowsPerActor) | \(n.maxPerCell) | \(n.sensitivity) | \(Cell.formatDecimal(n.noiseVariance.squareRoot(), digits: 2)) | \(n.threshold) |\n"
            }
        }
        if let m = microdata {
            let o = m.outcome
            md += """

                ## Session microdata (k-anonymity)

                `sessions.csv.gz` lists sessions one per row. Its quasi-identifiers
                (\(m.quasiIdentifiers.map { "`\($0.attribute.rawValue)`" }.joined(separator: ", "))) were generalised together,
                then rare combinations removed (at most \(Cell.formatDecimal(m.maxSuppression * 100, digits: 1)) % of sessions), so that every
                combination published is shared by at least \(m.k) sessions of at least \(m.k) distinct learners.
                Published: \(m.records - m.recordsSuppressed) of \(m.records) sessions in \(o.groups) groups;
                smallest group \(o.smallestGroup.map(String.init) ?? "—") sessions, \(o.smallestGroupPeople.map(String.init) ?? "—") learners\(m.sensitive.map { s in "; at least \(o.lDiversity.map(String.init) ?? "—") distinct `\(s.rawValue)` values per group (l-diversity)" } ?? "").
                Re-identification risk (1 / learners in the group): at most \(Cell.formatDecimal(o.maxRisk, digits: 4)), \(Cell.formatDecimal(o.averageRisk, digits: 4)) on average.

                | column | published as |
                |---|---|

                """
            for a in MicrodataAttribute.allCases {
                let level = m.quasiIdentifiers.first { $0.attribute == a }?.level ?? 0
                md += "| `\(a.rawValue)` | \(SessionMicrodata.levels(a)[level]) |\n"
            }
            md += linking(m)
            if !o.feasible {
                md += "\nNo generalisation reached k within the suppression allowance (too few sessions): no session is published.\n"
            }
        }
        md += """

            ## Files

            Each table is an RFC 4180 CSV file (UTF-8, comma, header row, `.` decimals, ISO 8601
            dates), gzip-compressed. `datapackage.json` describes them as a Frictionless Data Package;
            `SHA256SUMS` lists the checksum of every file (`sha256sum -c SHA256SUMS`).

            Reading them: R `read.csv("daily_activity.csv.gz")`; pandas `pd.read_csv("daily_activity.csv.gz")`;
            DuckDB `SELECT * FROM 'daily_activity.csv.gz'`; LibreOffice opens the file after `gunzip`.

            """
        for table in tables {
            md += "\n## `\(table.fileName)` — \(table.title)\n\n\(table.description)\n\n"
            md += "Key: \(table.primaryKey.map { "`\($0)`" }.joined(separator: ", ")).\n\n"
            if table.omitSuppressedRows {
                md +=
                    "Rows computed from fewer than \(export.minCount) distinct people are left out entirely, since their key itself could identify someone.\n\n"
            }
            // The columns that hold values from the inputs (not code labels), as `KVocabulary` checks them.
            let valued = table.columns.indices.filter { c in
                let column = table.columns[c]
                guard column.role == .dimension, !column.isReference else { return false }
                return table.rows.contains { if case .value = $0[c] { return true } else { return false } }
            }.map { table.columns[$0] }
            if !valued.isEmpty && !table.omitSuppressedRows {
                md +=
                    "A row whose \(valued.map { "`\($0.name)`" }.joined(separator: " or ")) was produced by fewer than \(export.minCount) distinct people in all the data kept is left out entirely (k-vocabulary), since such a value itself could identify someone; `privacy-report.json` counts those rows (`rowsBelowVocabulary`).\n\n"
            }
            md += "| column | type | meaning |\n|---|---|---|\n"
            for c in table.columns {
                var meaning = c.description
                if let allowed = c.allowedValues { meaning += " Values: " + allowed.map { "`\($0)`" }.joined(separator: ", ") + "." }
                if c.isMeasure { meaning += " Empty when suppressed." }
                md += "| `\(c.name)` | \(c.type.rawValue) | \(meaning) |\n"
            }
        }
        return md
    }
}

extension Codebook {
    /// What the microdata's linking means for a reader, with the measured single-out rates.
    static func linking(_ m: MicrodataReport) -> String {
        let rates = m.singleOutRates.map { Cell.formatDecimal($0 * 100, digits: 1) + " %" }
        if m.linkable, let known = m.m {
            return
                "\nThe `learner` column links a learner's sessions (a pseudonym for this recipient and period only). So that this link does not single anyone out, every column counts as known: any \(known) of a learner's sessions, as published, are shared by at least \(m.k) learners (k^m-anonymity), by coarser values and by leaving out a learner's rarest sessions. Measured on the file: a reader who knows 1, 2 or 3 of a learner's sessions finds them alone for \(rates[0]), \(rates[1]) and \(rates[2]) of learners.\n"
        }
        return
            "\nRows carry no learner column and are in the order of their values: nothing says which sessions are one learner's, so knowing several sessions of someone narrows nothing beyond one row's group. Measured on the file: a reader who knows 1, 2 or 3 of a learner's sessions finds them alone for \(rates[0]), \(rates[1]) and \(rates[2]) of learners. The pipeline can ask for a linkable file (`\"linkable\": true`), protected for any m of a learner's sessions.\n"
    }
}

extension Codebook {
    /// The streams the tables really hold, each with the inputs that feed it: an access-log
    /// stream counts page views (bots, static assets and error responses excluded), an
    /// activity-log stream counts activity events.
    static func streamLine(_ tables: [Table], _ inputs: [String: String]) -> String {
        var present = Set<String>()
        for table in tables {
            guard let c = table.columns.firstIndex(where: { $0.name == "stream" }) else { continue }
            for row in table.rows { if case .text(let s) = row[c], s != "*" { present.insert(s) } }
        }
        guard !present.isEmpty else { return "none in these tables" }
        return present.sorted().map { stream in inputs[stream].map { "`\(stream)` (\($0))" } ?? "`\(stream)`" }
            .joined(separator: "; ") + "; page views exclude bots, static assets and error responses"
    }
}
