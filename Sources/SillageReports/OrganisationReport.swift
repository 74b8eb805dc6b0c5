import Foundation
import SillageCore
import SillagePrivacy
import SillageMetrics

/// The report an inviting organisation reads about its own learners
/// (`organisation-<org>.html`): the completion report's figures over its learners only, and
/// one row per learner and course (started, completed, activities completed, last activity,
/// at risk).
///
/// The store holds no names: a learner's row shows the label the operator's list gave them
/// for this report (`labels`), or else a pseudonym made for this organisation's reports
/// only, which no export, other organisation or research partner ever sees.
public enum OrganisationReport {
    /// One learner in one course, as the progress table shows them.
    public struct LearnerRow: Sendable, Equatable {
        public var learner: String
        public var course: Publishable
        public var started: Bool
        public var completed: Bool
        public var activitiesCompleted: Int
        public var lastDay: Int32?
        public var atRisk: Bool
    }

    /// The page; `input` holds the organisation's learners' facts only, `tables` the
    /// completion tables built from it, `labels` each learner's label, `fileName` the page's
    /// name without extension (distinct among the organisations, `ReportFileName.names`).
    public static func document(
        organisation: Publishable, input: MetricInput, tables: [String: Table], labels: [ActorKey: String], settings: ReportSettings,
        fileName: String
    ) -> ReportDocument {
        let l = settings.language
        let data = CourseData(tables)
        var page = HTMLPage(title: l.words("Suivi des apprenants — \(organisation.text)", "Learners' progress — \(organisation.text)"), language: l)
        let when = input.asOfDay.map { l.words("Situation au \(l.date($0)).", "As of \(l.date($0)).") } ?? ""
        page.paragraph(
            when + " "
                + l.words(
                    "\(l.integer(labels.count)) apprenants inscrits par \(organisation.text) ; ce rapport ne montre qu’eux, avec des chiffres exacts, pour \(organisation.text) seulement : à ne pas diffuser.",
                    "\(l.integer(labels.count)) learners enrolled by \(organisation.text); this report shows them only, with exact figures, for \(organisation.text) alone: not for circulation."
                ))
        let courses = data.courses.sorted { data.label($0).compare(data.label($1), options: [.numeric]) == .orderedAscending }
        let index = data.indexTable(courses, settings: settings)
        index.add(to: &page)
        let progress = progressTable(rows(input, labels: labels), data: data, settings: settings)
        page.heading(l.words("Progression de chaque apprenant", "Each learner's progress"))
        progress.add(to: &page)
        var tables = [index, progress]
        for (i, c) in courses.enumerated() {
            page.heading(data.label(c))
            tables += data.addCourse(c, to: &page, settings: settings, level: 3, id: "c\(i)").map { table in
                var t = table
                t.id = "\(c.text) \(t.id)"
                return t
            }
        }
        page.paragraph(CompletionReport.definitions(settings))
        return ReportDocument(name: fileName, page: page, tables: tables, settings: settings)
    }

    /// Every learner of `labels` in every course they belong to, by label then course.
    public static func rows(_ input: MetricInput, labels: [ActorKey: String]) -> [LearnerRow] {
        var done: [ActivityFacts.ActorCourse: Int] = [:]
        for (k, c) in input.facts.activityCompletions where c.time < input.periodEnd {
            done[ActivityFacts.ActorCourse(actor: k.actor, course: c.course), default: 0] += 1
        }
        var out: [LearnerRow] = []
        for (course, states) in CourseProgress.learners(input) {
            for (actor, s) in states {
                guard let label = labels[actor] else { continue }
                out.append(
                    LearnerRow(
                        learner: label, course: course, started: s.started, completed: s.completed,
                        activitiesCompleted: done[ActivityFacts.ActorCourse(actor: actor, course: course)] ?? 0, lastDay: s.lastDay,
                        atRisk: s.atRisk))
            }
        }
        // Those at risk first: they are whom the organisation reads the report for.
        return out.sorted { ($0.atRisk ? 0 : 1, $0.learner, $0.course) < ($1.atRisk ? 0 : 1, $1.learner, $1.course) }
    }

    static func progressTable(_ rows: [LearnerRow], data: CourseData, settings: ReportSettings) -> ReportTable {
        let l = settings.language
        let yes = l.words("oui", "yes"), no = l.words("non", "no")
        return ReportTable(
            id: "learners", caption: l.words("Apprenants et formations", "Learners and courses"),
            headers: [
                l.words("Apprenant", "Learner"), l.words("Formation", "Course"), l.words("Commencé", "Started"),
                l.words("Achevé", "Completed"), l.words("Activités achevées", "Activities completed"),
                l.words("Dernière activité", "Last activity"), l.words("À risque", "At risk"),
            ],
            rows: rows.map { r in
                [
                    .label(r.learner), .value(data.shortName(r.course)), .label(r.started ? yes : no), .label(r.completed ? yes : no),
                    .count(Int64(r.activitiesCompleted)), r.lastDay.map { .shortDay($0) } ?? .none, .label(r.atRisk ? yes : no),
                ]
            })
    }
}
