import SillageCore
import SillagePrivacy

/// What the daily server report reads from the store: counts per local day, and the
/// requests per object of the days it shows. No request, address or agent: counts only.
public struct ServerLog: Sendable {
    public struct Day: Sendable, Equatable {
        public var tally = ServerDay()
        public var pageViews = 0
        public var visitors = 0
        public var botRequests = 0
        public init() {}
    }

    public struct ObjectCount: Sendable, Equatable {
        public var object: Publishable
        public var statusClass: Int
        public var requests: Int
        /// The distinct people behind the requests.
        public var people: Int
        public init(object: Publishable, statusClass: Int, requests: Int, people: Int) {
            self.object = object
            self.statusClass = statusClass
            self.requests = requests
            self.people = people
        }
    }

    public var days: [Int32: Day] = [:]
    /// Per day, requests per object and status class (page views, and 4xx and 5xx of people).
    public var objects: [Int32: [ObjectCount]] = [:]
    /// The fewest people behind a path the rankings name (those below were left out).
    public var minPeople = 11

    public init() {}

    /// Days with requests that a later day with requests follows: the last day may still be
    /// written to by the servers.
    public var completedDays: [Int32] {
        guard let last = days.keys.max() else { return [] }
        return days.keys.filter { $0 < last }.sorted()
    }
}

/// The daily server-log report for the platform team (`server-YYYY-MM-DD.html`): requests,
/// page views, visitors, bot share, bytes, status classes, busiest hours, top pages and
/// 4xx and 5xx hot spots, compared with the day before and the median of the 7 days before.
public enum ServerReport {
    /// How many objects each ranking lists.
    public static let topCount = 20
    /// People behind a path are counted up to this many (`100+` beyond).
    public static let peopleShown = 100

    public static func document(_ log: ServerLog, day: Int32, settings: ReportSettings) -> ReportDocument {
        let l = settings.language
        var page = HTMLPage(title: l.words("Journaux des serveurs — \(l.date(day))", "Server logs — \(l.date(day))"), language: l)
        page.paragraph(
            l.words(
                "Toutes les requêtes du jour (heure locale), robots et fichiers statiques compris ; les pages vues et visiteurs sont ceux des personnes. Comparaison avec la veille et la médiane des 7 jours précédents. Chiffres exacts, pour l’équipe de la plateforme.",
                "Every request of the day (local time), bots and static files included; page views and visitors are people's. Compared with the day before and the median of the 7 days before. Exact figures, for the platform team."
            ))
        let summary = summaryTable(log, day: day, l)
        let today = log.days[day] ?? ServerLog.Day()
        page.figures(summary.rows.map { (label: $0[0].text(l), value: $0[1].text(l)) })
        var tables = [summary]
        summary.add(to: &page)
        page.heading(l.words("Classes de statut", "Status classes"))
        tables.append(chart(statusTable(today, l), on: &page, id: "status", line: false, l))
        page.heading(l.words("Heures les plus chargées", "Busiest hours"))
        tables.append(chart(hoursTable(today, l), on: &page, id: "hours", line: true, l))
        let objects = (log.objects[day] ?? []).filter { $0.people >= log.minPeople }
        page.paragraph(
            l.words(
                "Les pages et les erreurs ci-dessous sont celles d’au moins \(log.minPeople) personnes ce jour-là : un chemin que peu de personnes ont demandé (un profil, un fichier déposé) n’est pas nommé.",
                "The pages and errors below are those at least \(log.minPeople) people met that day: a path few people requested (a profile, an uploaded file) is not named."
            ))
        for (id, classes, fr, en) in [
            ("top_pages", [1, 2], "Pages les plus vues", "Most viewed pages"), ("errors_4xx", [3], "Erreurs 4xx (personnes)", "4xx errors (people)"),
            ("errors_5xx", [4], "Erreurs 5xx (personnes)", "5xx errors (people)"),
        ] {
            page.heading(l.words(fr, en))
            let table = ranking(objects, classes: Set(classes), id: id, caption: l.words(fr, en), l)
            table.add(to: &page)
            tables.append(table)
        }
        page.link(l.words("Tous les rapports", "All reports"), to: "index.html")
        return ReportDocument(name: "server-" + CivilTime.isoDate(days: Int(day)), page: page, tables: tables, settings: settings)
    }

    /// The day's figures beside the day before's and the median of the 7 days before.
    static func summaryTable(_ log: ServerLog, day: Int32, _ l: ReportLanguage) -> ReportTable {
        let previous = log.days[day - 1]
        let week = (1...7).compactMap { log.days[day - Int32($0)] }
        enum Kind { case count, share, bytes }
        let measures: [(String, Kind, (ServerLog.Day) -> Double)] = [
            (l.words("Requêtes", "Requests"), .count, { Double($0.tally.requests) }),
            (l.words("Pages vues", "Page views"), .count, { Double($0.pageViews) }),
            (l.words("Visiteurs", "Visitors"), .count, { Double($0.visitors) }),
            (l.words("Part des robots", "Bot share"), .share, { share($0.botRequests, $0.tally.requests) }),
            (l.words("Octets servis", "Bytes served"), .bytes, { Double($0.tally.bytes) }),
            (l.words("Erreurs 4xx", "4xx errors"), .count, { Double($0.tally.statusClasses[3]) }),
            (l.words("Erreurs 5xx", "5xx errors"), .count, { Double($0.tally.statusClasses[4]) }),
        ]
        func show(_ v: Double, _ kind: Kind, median: Bool) -> ReportValue {
            switch kind {
            case .count: median ? .number(v, digits: 1) : .count(Int64(v))
            case .share: .share(v)
            case .bytes: .bytes(Int(v.rounded()))
            }
        }
        let today = log.days[day] ?? ServerLog.Day()
        let rows = measures.map { (label, kind, value) -> [ReportValue] in
            [
                .label(label), show(value(today), kind, median: false), previous.map { show(value($0), kind, median: false) } ?? .none,
                median(week.map(value)).map { show($0, kind, median: true) } ?? .none,
            ]
        }
        return ReportTable(
            id: "summary", caption: l.words("Chiffres du jour", "The day's figures"),
            headers: [
                l.words("Mesure", "Measure"), l.words("Jour", "Day"), l.words("Veille", "Day before"), l.words("Médiane 7 jours", "7-day median"),
            ],
            rows: rows)
    }

    static func statusTable(_ day: ServerLog.Day, _ l: ReportLanguage) -> ReportTable {
        let rows = ServerDay.classNames.enumerated().map { (i, name) -> [ReportValue] in
            [
                .label(name == "other" ? l.words("autre", "other") : name), .share(share(day.tally.statusClasses[i], day.tally.requests)),
                .count(Int64(day.tally.statusClasses[i])),
            ]
        }
        return ReportTable(
            id: "status_classes", caption: l.words("Requêtes par classe de statut", "Requests per status class"),
            headers: [l.words("Classe", "Class"), l.words("Part", "Share"), l.words("Requêtes", "Requests")], rows: rows)
    }

    static func hoursTable(_ day: ServerLog.Day, _ l: ReportLanguage) -> ReportTable {
        let rows = (0..<24).map { h -> [ReportValue] in [.label(h < 10 ? "0\(h)" : "\(h)"), .count(Int64(day.tally.hours[h]))] }
        return ReportTable(
            id: "hours", caption: l.words("Requêtes par heure (heure locale)", "Requests per hour (local time)"),
            headers: [l.words("Heure", "Hour"), l.words("Requêtes", "Requests")], rows: rows)
    }

    /// The objects of `classes` by requests, most first, ties in key order.
    static func ranking(_ objects: [ServerLog.ObjectCount], classes: Set<Int>, id: String, caption: String, _ l: ReportLanguage) -> ReportTable {
        let top = objects.filter { classes.contains($0.statusClass) }
            .sorted { $0.requests != $1.requests ? $0.requests > $1.requests : ($0.object, $0.statusClass) < ($1.object, $1.statusClass) }
            .prefix(topCount)
        return ReportTable(
            id: id, caption: caption,
            headers: [l.words("Page ou fichier", "Page or file"), l.words("Personnes", "People"), l.words("Requêtes", "Requests")],
            rows: top.map {
                [
                    .value($0.object), $0.people >= peopleShown ? .label("\(l.integer(peopleShown))+") : .count(Int64($0.people)),
                    .count(Int64($0.requests)),
                ]
            })
    }

    /// A bar (or line) chart of the table's last column, then the table.
    static func chart(_ table: ReportTable, on page: inout HTMLPage, id: String, line: Bool, _ l: ReportLanguage) -> ReportTable {
        let points = table.rows.compactMap { row -> (label: String, value: Double)? in
            guard case .count(let n) = row.last, let first = row.first else { return nil }
            return (first.text(l), Double(n))
        }
        let description = points.map { "\($0.label) : \(l.integer(Int($0.value)))" }.joined(separator: "; ")
        let svg =
            line
            ? SVGChart.line(id: id, title: table.caption, description: description, points: points) { l.integer(Int($0)) }
            : SVGChart.bars(id: id, title: table.caption, description: description, items: points) { l.integer(Int($0)) }
        page.chart(svg, caption: table.caption)
        table.add(to: &page)
        return table
    }

    static func share(_ part: Int, _ whole: Int) -> Double { whole > 0 ? Double(part) / Double(whole) : 0 }

    /// The median of `values` (the mean of the two middle ones for an even count); nil for none.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
