/// Writes the export's `README.md`: what each table and column means and what was withheld.
public enum Codebook {
    public static func markdown(export: ExportDefinition, tables: [Table], reports: [SuppressionReport],
                                timezone: String, inactivityMinutes: Int) -> String {
        var md = """
        # Sillage export `\(export.name)` — recipient `\(export.recipient)`, period `\(export.period.directoryName)`

        Anonymised statistics computed by Sillage from platform logs. No file here holds an
        identifier: people are counted, never listed.

        - Days, weeks and months are local to **\(timezone)**.
        - A **session** is a run of one person's events in one stream with no gap over \(inactivityMinutes) minutes;
          its duration is last event minus first; a session of one event lasts 0 s and is a **bounce**.
          A session belongs to the day on which it starts.
        - Streams: `web` counts page views from access logs (bots, static assets and error
          responses excluded); `lms` counts activity-log events.
        - Anonymous web visitors (no login in the access log) are recognised within one day only.

        ## Disclosure control

        Every row computed from fewer than **\(export.minCount)** distinct people (and more than none) has all
        its measures left **empty**; the row's dimensions stay so that the gap is visible. An empty
        cell therefore means *withheld*, except where a measure is undefined (`median_session_seconds`
        and `mean_pages_per_session` on a day-stream where no session started, a median with no
        completer). In `course_completion` the smallest of learners, completers and non-completers
        decides. Rows in which one person holds more than **\(Cell.formatDecimal(export.dominance * 100, digits: 1)) %** of a sum
        (sessions, page views, views, failed searches; session durations follow their sessions)
        are withheld the same way (dominance rule). `failed_searches` leaves such rows out
        instead. The sessions of `daily_activity` and of `session_lengths` add up, per stream,
        to the same total: where only one of them is withheld, the smallest published one is
        withheld too, so that none can be recovered by subtraction (complementary suppression).
        `privacy-report.json` gives the counts per table.

        | table | rows | rows under minCount | rows dominated | rows withheld with them | cells suppressed |
        |---|---|---|---|---|---|

        """
        for r in reports {
            md += "| `\(r.table)` | \(r.rows) | \(r.rowsSuppressed) | \(r.rowsDominated) | \(r.rowsComplementary) | \(r.cellsSuppressed) |\n"
        }
        if export.roundTo > 1 {
            md += "\nCounts (integer measures) are rounded to the nearest multiple of **\(export.roundTo)**, halves up, after suppression; medians, rates and shares are not.\n"
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
                md += "Rows computed from fewer than \(export.minCount) distinct people are left out entirely, since their key itself could identify someone.\n\n"
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
