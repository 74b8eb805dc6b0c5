import Foundation
import SillageCore
import SillagePrivacy
import SillageMetrics

/// The completion report for pedagogical teams: an index across courses (`completion.html`)
/// and one page per course (`completion-<course>.html`), each with its CSV.
///
/// It is made from published tables only (`tables`), built by the pipeline from the store:
/// exact for the platform's own teams, or protected by the export's disclosure control for
/// a public report. Every figure it shows is a cell of one of them, so the report and an
/// export with `perturbation: none` agree to the unit.
public enum CompletionReport {
    /// The tables the report reads.
    public static let tables = [
        CourseCompletion.name, ActivityCompletion.name, CourseProgress.name, CourseWeeks.name, CourseConnectionDays.name,
        ActivityEngagement.name,
    ]

    /// The index page and the course pages, in that order; `course` keeps one course only.
    public static func documents(
        _ tables: [String: Table], asOf: Int32?, settings: ReportSettings, course: String? = nil
    ) -> [ReportDocument] {
        let data = CourseData(tables)
        let courses = data.courses.filter { course == nil || $0.text == course }.sorted {
            data.label($0).compare(data.label($1), options: [.numeric, .caseInsensitive]) == .orderedAscending
        }
        let names = ReportFileName.names(stem: "completion", keys: courses.map(\.text))
        let l = settings.language
        var page = HTMLPage(title: l.words("Complétion des cours", "Course completion"), language: l)
        page.paragraph(preamble(asOf: asOf, settings: settings))
        var index = data.indexTable(courses, settings: settings)
        index.links = courses.map { (names[$0.text] ?? "completion") + ".html" }
        index.add(to: &page)
        page.paragraph(definitions(settings))
        var out = [ReportDocument(name: "completion", page: page, tables: [index], settings: settings)]
        for c in courses {
            var coursePage = HTMLPage(title: data.label(c), language: l)
            coursePage.paragraph(preamble(asOf: asOf, settings: settings))
            let sections = data.addCourse(c, to: &coursePage, settings: settings, level: 2)
            coursePage.link(l.words("Toutes les formations", "All courses"), to: "completion.html")
            coursePage.paragraph(definitions(settings))
            out.append(ReportDocument(name: names[c.text] ?? "completion-x", page: coursePage, tables: sections, settings: settings))
        }
        return out
    }

    /// What the figures are and who may read them.
    static func preamble(asOf: Int32?, settings: ReportSettings) -> String {
        let l = settings.language
        let when = asOf.map { l.words("Situation au \(l.date($0)).", "As of \(l.date($0)).") } ?? l.words("Aucune activité.", "No activity.")
        let who =
            settings.exact
            ? l.words(
                "Chiffres exacts, pour l’équipe de la plateforme et les équipes pédagogiques : à ne pas diffuser.",
                "Exact figures, for the platform's and the pedagogical teams: not for circulation.")
            : l.words(
                "Chiffres protégés comme ceux des exports de recherche : les effectifs de moins de quelques personnes sont masqués (–) et les autres légèrement perturbés.",
                "Figures protected like those of research exports: counts of fewer than a few people are withheld (–), the others slightly perturbed."
            )
        return when + " " + who
    }

    /// The definitions a reader needs to read the figures right.
    static func definitions(_ settings: ReportSettings) -> String {
        settings.language.words(
            "Taux de complétion : achevés ÷ inscrits (ou ÷ actifs dans le cours quand la plateforme ne transmet pas les inscriptions ; la colonne « base » le dit). Commencé : une activité au-delà de la page d’accueil du cours. À risque : commencé, non achevé, sans activité dans le cours depuis \(settings.atRiskDays) jours. Semaines du lundi au dimanche.",
            "Completion rate: completers ÷ enrolled learners (or ÷ learners active in the course when the platform sends no enrolments; the \"base\" column says which). Started: activity beyond the course home page. At risk: started, not completed, no activity in the course for \(settings.atRiskDays) days. Weeks run Monday to Sunday."
        )
    }
}

/// The report's tables, read by course.
struct CourseData {
    let completion: NamedRows, funnel: NamedRows, progress: NamedRows
    let weeks: NamedRows, days: NamedRows, engagement: NamedRows

    init(_ tables: [String: Table]) {
        completion = NamedRows(tables[CourseCompletion.name])
        funnel = NamedRows(tables[ActivityCompletion.name])
        progress = NamedRows(tables[CourseProgress.name])
        weeks = NamedRows(tables[CourseWeeks.name])
        days = NamedRows(tables[CourseConnectionDays.name])
        engagement = NamedRows(tables[ActivityEngagement.name])
    }

    /// Courses in key order, as `course_completion` lists them.
    var courses: [Publishable] { completion.rows().map { completion.publishable($0, "course") } }

    /// The course's catalogue name, or its key.
    func shortName(_ course: Publishable) -> Publishable {
        let name = completion.rows("course", is: course).first.map { completion.publishable($0, "course_name") } ?? .none
        return name.isEmpty ? course : name
    }

    /// The course's catalogue name with its key, or its key alone.
    func label(_ course: Publishable) -> String {
        let name = shortName(course)
        return name == course ? course.text : "\(name.text) (\(course.text))"
    }
}
