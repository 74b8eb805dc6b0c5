import SillageCore

/// The `index.html` of a report directory: a link to every report in it, the completion
/// report first, then the organisations, then the server days, newest first.
public enum ReportIndex {
    /// The index page for the report files `names` (file names in the directory).
    public static func document(listing names: [String], settings: ReportSettings) -> ReportDocument {
        let l = settings.language
        var page = HTMLPage(title: l.words("Rapports Sillage", "Sillage reports"), language: l)
        let entries = names.compactMap { entry($0, l) }.sorted { ($0.order, $0.sortKey) < ($1.order, $1.sortKey) }
        if entries.isEmpty { page.paragraph(l.words("Aucun rapport pour l’instant.", "No report yet.")) }
        var section = -1
        for e in entries {
            if e.order != section {
                section = e.order
                page.heading(e.section)
            }
            page.link(e.title, to: e.file)
        }
        return ReportDocument(name: "index", page: page, tables: [], settings: settings, companion: false)
    }

    struct Entry {
        var order: Int
        var sortKey: String
        var section: String
        var title: String
        var file: String
    }

    /// What a report file is, from its name; nil for a file that is no report's page.
    static func entry(_ file: String, _ l: ReportLanguage) -> Entry? {
        guard file.hasSuffix(".html"), !file.hasPrefix(".") else { return nil }
        let stem = String(file.dropLast(5))
        if stem == "completion" {
            return Entry(
                order: 0, sortKey: "", section: l.words("Formations", "Courses"), title: l.words("Complétion des cours", "Course completion"),
                file: file)
        }
        if stem.hasPrefix("organisation-") {
            let org = String(stem.dropFirst("organisation-".count))
            return Entry(
                order: 1, sortKey: org, section: l.words("Organisations", "Organisations"),
                title: l.words("Suivi des apprenants de \(org)", "Progress of \(org)'s learners"), file: file)
        }
        if stem.hasPrefix("server-"), let day = CivilTime.parseISODate(String(stem.dropFirst("server-".count))) {
            // Newest first: the key sorts days in reverse.
            return Entry(
                order: 2, sortKey: String(99_999_999 - day), section: l.words("Journaux des serveurs", "Server logs"),
                title: l.words("Journée du \(l.date(Int32(day)))", "\(l.date(Int32(day)))"), file: file)
        }
        return nil
    }
}
