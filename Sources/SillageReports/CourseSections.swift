import SillageCore
import SillagePrivacy
import SillageMetrics

/// The sections of a course in a report: headline figures, the activity funnel, weekly
/// active learners, days of activity per learner and engagement per activity.
extension CourseData {
    /// One row per course: the index of the completion report.
    func indexTable(_ courses: [Publishable], settings: ReportSettings) -> ReportTable {
        let l = settings.language
        let rows = courses.map { c -> [ReportValue] in
            let done = completion.rows("course", is: c).first ?? []
            let state = progress.rows("course", is: c).first ?? []
            let name = completion.publishable(done, "course_name")
            return [
                .value(name.isEmpty ? c : name), .value(c), base(completion.cell(done, "denominator"), l),
                value(completion.cell(done, "learners"), settings), value(completion.cell(done, "completers"), settings),
                rate(completion.cell(done, "completion_rate"), settings), value(completion.cell(done, "median_days_to_complete"), settings),
                value(progress.cell(state, "active_last_7_days"), settings), value(progress.cell(state, "at_risk"), settings),
            ]
        }
        var table = ReportTable(
            id: "courses", caption: l.words("Formations", "Courses"),
            headers: [
                l.words("Formation", "Course"), l.words("Clé", "Key"), l.words("Base", "Base"), l.words("Apprenants", "Learners"),
                l.words("Achevé", "Completed"), l.words("Taux de complétion", "Completion rate"),
                l.words("Jours médians", "Median days"), l.words("Actifs 7 j", "Active 7 d"), l.words("À risque", "At risk"),
            ], rows: rows)
        // The page names the course; the key stays in the CSV, for programs to join on.
        table.csvOnly = [1]
        return table
    }

    /// Adds the course's sections to `page` under headings of `level`; returns their tables.
    func addCourse(_ course: Publishable, to page: inout HTMLPage, settings: ReportSettings, level: Int, id: String = "c") -> [ReportTable] {
        let l = settings.language
        let summary = summaryTable(course, settings: settings)
        page.figures(summary.rows.map { (label: $0[0].text(l), value: $0[1].text(l)) })
        var tables = [summary]
        page.heading(l.words("Parcours des activités", "Activity funnel"), level: level)
        tables.append(chartAndTable(funnelTable(course, settings), chart: .bars, id: id + "-funnel", on: &page, settings: settings))
        page.heading(l.words("Apprenants actifs par semaine", "Weekly active learners"), level: level)
        tables.append(chartAndTable(weeksTable(course, settings), chart: .line, id: id + "-weekly", on: &page, settings: settings))
        page.heading(l.words("Jours d’activité par apprenant", "Days of activity per learner"), level: level)
        tables.append(chartAndTable(daysTable(course, settings), chart: .bars, id: id + "-days", on: &page, settings: settings))
        page.heading(l.words("Consultation des activités", "Engagement per activity"), level: level)
        let engaged = engagementTable(course, settings)
        engaged.add(to: &page)
        return tables + [engaged]
    }

    enum ChartKind { case bars, line }

    /// The table's chart (label: first column, value: last), then the table itself.
    func chartAndTable(_ table: ReportTable, chart: ChartKind, id: String, on page: inout HTMLPage, settings: ReportSettings) -> ReportTable {
        let l = settings.language
        let points = table.rows.compactMap { row -> (label: String, value: Double)? in
            guard let first = row.first, let last = row.last else { return nil }
            switch last {
            case .count(let n): return (first.shortText(l), Double(n))
            default: return nil
            }
        }
        if !points.isEmpty {
            let header = table.headers.last ?? ""
            let description = points.map { "\($0.label) : \(l.integer(Int($0.value)))" }.joined(separator: "; ")
            let svg =
                chart == .bars
                ? SVGChart.bars(id: id, title: table.caption, description: header + ". " + description, items: points) { l.integer(Int($0)) }
                : SVGChart.line(id: id, title: table.caption, description: header + ". " + description, points: points) {
                    l.integer(Int($0))
                }
            page.chart(svg, caption: table.caption)
        }
        table.add(to: &page)
        return table
    }

    func summaryTable(_ course: Publishable, settings: ReportSettings) -> ReportTable {
        let l = settings.language
        let done = completion.rows("course", is: course).first ?? []
        let state = progress.rows("course", is: course).first ?? []
        let enrolled = completion.cell(done, "denominator") == .text("enrolled")
        let rows: [[ReportValue]] = [
            [
                .label(enrolled ? l.words("Inscrits", "Enrolled") : l.words("Actifs (pas d’inscriptions)", "Active (no enrolments)")),
                value(completion.cell(done, "learners"), settings),
            ],
            [.label(l.words("Ont commencé", "Started")), value(progress.cell(state, "started"), settings)],
            [.label(l.words("Ont achevé", "Completed")), value(completion.cell(done, "completers"), settings)],
            [.label(l.words("Taux de complétion", "Completion rate")), rate(completion.cell(done, "completion_rate"), settings)],
            [
                .label(l.words("Jours médians pour achever", "Median days to complete")),
                value(completion.cell(done, "median_days_to_complete"), settings),
            ],
            [.label(l.words("Actifs sur 7 jours", "Active in the last 7 days")), value(progress.cell(state, "active_last_7_days"), settings)],
            [.label(l.words("À risque", "At risk")), value(progress.cell(state, "at_risk"), settings)],
        ]
        return ReportTable(
            id: "summary", caption: l.words("Chiffres clés", "Key figures"), headers: [l.words("Mesure", "Measure"), l.words("Valeur", "Value")],
            rows: rows)
    }

    func funnelTable(_ course: Publishable, _ settings: ReportSettings) -> ReportTable {
        let l = settings.language
        let rows = funnel.rows("course", is: course).map { r -> [ReportValue] in
            let name = funnel.publishable(r, "activity_name")
            return [
                .value(name.isEmpty ? funnel.publishable(r, "activity") : name), value(funnel.cell(r, "rank"), settings),
                rate(funnel.cell(r, "share_of_learners"), settings), value(funnel.cell(r, "completers"), settings),
            ]
        }
        return ReportTable(
            id: "funnel", caption: l.words("Apprenants ayant achevé chaque activité", "Learners who completed each activity"),
            headers: [
                l.words("Activité", "Activity"), l.words("Rang", "Rank"), l.words("Part des apprenants", "Share of learners"),
                l.words("Ont achevé", "Completed"),
            ], rows: rows)
    }

    func weeksTable(_ course: Publishable, _ settings: ReportSettings) -> ReportTable {
        let l = settings.language
        let rows = weeks.rows("course", is: course).map { r -> [ReportValue] in
            [weekValue(weeks.cell(r, "week")), value(weeks.cell(r, "active_learners"), settings)]
        }
        return ReportTable(
            id: "weekly_active", caption: l.words("Apprenants actifs par semaine (lundi)", "Active learners per week (Monday)"),
            headers: [l.words("Semaine du", "Week of"), l.words("Apprenants actifs", "Active learners")], rows: rows)
    }

    func daysTable(_ course: Publishable, _ settings: ReportSettings) -> ReportTable {
        let l = settings.language
        let rows = days.rows("course", is: course).map { r -> [ReportValue] in
            let bucket = days.cell(r, "days_bucket").csvText
            return [.label(bucket.replacingOccurrences(of: "-", with: "–")), value(days.cell(r, "learners"), settings)]
        }
        return ReportTable(
            id: "activity_days", caption: l.words("Apprenants selon le nombre de jours d’activité", "Learners by days of activity"),
            headers: [l.words("Jours d’activité", "Days of activity"), l.words("Apprenants", "Learners")], rows: rows)
    }

    func engagementTable(_ course: Publishable, _ settings: ReportSettings) -> ReportTable {
        let l = settings.language
        let rows = engagement.rows("course", is: course).map { r -> [ReportValue] in
            let name = engagement.publishable(r, "activity_name")
            return [
                .value(name.isEmpty ? engagement.publishable(r, "activity") : name), value(engagement.cell(r, "viewers"), settings),
                value(engagement.cell(r, "views"), settings),
            ]
        }
        return ReportTable(
            id: "engagement", caption: l.words("Consultations par activité", "Consultations per activity"),
            headers: [l.words("Activité", "Activity"), l.words("Apprenants", "Learners"), l.words("Consultations", "Consultations")],
            rows: rows)
    }

    /// A cell as shown: an empty cell is withheld in a protected report, undefined in an exact one.
    func value(_ cell: Cell, _ settings: ReportSettings) -> ReportValue {
        if cell == .empty { return settings.exact ? .none : .withheld }
        return ReportValue(cell)
    }

    func rate(_ cell: Cell, _ settings: ReportSettings) -> ReportValue {
        if case .decimal(let d, _) = cell { return .share(d) }
        return value(cell, settings)
    }

    func base(_ cell: Cell, _ l: ReportLanguage) -> ReportValue {
        .label(cell == .text("enrolled") ? l.words("inscrits", "enrolled") : l.words("actifs", "active"))
    }

    func weekValue(_ cell: Cell) -> ReportValue {
        guard case .text(let iso) = cell, let day = CivilTime.parseISODate(iso) else { return ReportValue(cell) }
        return .day(Int32(day))
    }
}

extension ReportValue {
    /// The text under a chart's point: a day in short form.
    func shortText(_ l: ReportLanguage) -> String {
        if case .day(let d) = self { return l.shortDate(d) }
        return text(l)
    }
}
