import Foundation
import Testing
@testable import SillageCore
@testable import SillageReports

private let nnbsp = "\u{202F}"
private let march30 = Int32(CivilTime.days(year: 2026, month: 3, day: 30))

@Test(arguments: [
    (ReportLanguage.fr, "integer", 12345.0, "12\(nnbsp)345"), (.en, "integer", 12345, "12,345"),
    (.fr, "integer", 1_234_567, "1\(nnbsp)234\(nnbsp)567"), (.en, "integer", 999, "999"), (.fr, "integer", -1200, "−1\(nnbsp)200"),
    (.fr, "decimal", 12.5, "12,5"), (.en, "decimal", 12.5, "12.5"), (.fr, "decimal", 12.0, "12"), (.en, "decimal", 0.04, "0"),
    (.fr, "decimal", 1234.56, "1\(nnbsp)234,6"), (.en, "decimal", -0.5, "−0.5"),
    (.fr, "percent", 0.125, "12,5\(nnbsp)%"), (.en, "percent", 0.125, "12.5%"), (.fr, "percent", 1, "100\(nnbsp)%"),
    (.en, "percent", 0.3333, "33.3%"),
])
func numbersAreWrittenTheWayEachLanguageWritesThem(language: ReportLanguage, kind: String, value: Double, expected: String) {
    let text =
        switch kind {
        case "integer": language.integer(Int(value))
        case "decimal": language.decimal(value)
        default: language.percent(value)
        }
    #expect(text == expected)
}

@Test func datesAreWrittenOutPerLanguage() {
    #expect(ReportLanguage.fr.date(march30) == "30 mars 2026")
    #expect(ReportLanguage.en.date(march30) == "30 March 2026")
    #expect(ReportLanguage.fr.shortDate(march30) == "30/03/2026")
    #expect(ReportLanguage.en.shortDate(march30) == "2026-03-30")
    #expect(ReportLanguage.fr.date(Int32(CivilTime.days(year: 2026, month: 8, day: 1))) == "1er août 2026")
    #expect(ReportLanguage.en.date(Int32(CivilTime.days(year: 2026, month: 8, day: 1))) == "1 August 2026")
    #expect(ReportLanguage.fr.date(Int32(CivilTime.days(year: 2026, month: 8, day: 2))) == "2 août 2026")
}

@Test(arguments: [
    (ReportLanguage.fr, 0, "0\u{202F}o"), (.en, 999, "999 B"), (.fr, 1000, "1\u{202F}ko"), (.en, 12_500_000, "12.5 MB"),
    (.fr, 70_912_345, "70,9\u{202F}Mo"), (.en, 3_000_000_000_000_000, "3,000 TB"),
])
func bytesAreWrittenInDecimalUnits(language: ReportLanguage, bytes: Int, expected: String) {
    #expect(language.bytes(bytes) == expected)
}

/// Ticks start at 0, are 1, 2 or 5 times a power of ten apart, and reach the maximum:
/// checked against the definition on maxima from 0.3 to 9 million.
@Test func chartTicksAreRoundAndReachTheMaximum() {
    var rng = SplitMix(state: 11)
    for _ in 0..<2000 {
        let maximum = Double(rng.below(9_000_000) + 1) / Double([1, 10, 1000][rng.below(3)])
        let ticks = SVGChart.ticks(upTo: maximum)
        #expect(ticks.first == 0)
        #expect((ticks.last ?? 0) >= maximum)
        #expect(ticks.count >= 2 && ticks.count <= 12, "\(maximum): \(ticks)")
        let step = ticks[1]
        var mantissa = step
        while mantissa >= 10 { mantissa /= 10 }
        while mantissa < 1 { mantissa *= 10 }
        #expect([1.0, 2.0, 5.0].contains { abs($0 - mantissa) < 1e-9 }, "\(maximum): step \(step)")
        #expect(zip(ticks, ticks.dropFirst()).allSatisfy { abs(($1 - $0) - step) < step * 1e-9 })
        #expect(ticks.count < 3 || ticks[ticks.count - 2] < maximum, "no tick past the one that reaches the maximum")
    }
}

/// A value shown in a report is text: markup in it is escaped, never run.
@Test func textInAPageIsEscaped() {
    var page = HTMLPage(title: "Cours <b>1</b>", language: .fr)
    page.heading("\"Quiz\" & <script>alert(1)</script>")
    page.table(caption: "Activités", headers: ["Activité", "Terminée"], rows: [["<img src=x onerror=alert(1)>", "3"]], numeric: [1])
    let html = page.render()
    #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"))
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("&quot;Quiz&quot; &amp;"))
    #expect(html.contains("<html lang=\"fr\">") && html.contains("<th scope=\"col\">Activité</th>"))
    #expect(html.contains("<th scope=\"row\">&lt;img src=x onerror=alert(1)&gt;</th><td class=\"num\">3</td>"))
    // Nothing the browser would fetch: no script, no source, no style sheet or font link.
    for fetch in ["<script", " src=\"", "<link", "@import", "url("] { #expect(!html.contains(fetch), "\(fetch)") }
}

func golden(_ name: String, _ produced: String) throws {
    try golden(name, Array(produced.utf8))
}

/// Compares `produced` with `Golden/reports/<name>` (written instead with SILLAGE_UPDATE_GOLDEN=1).
func golden(_ name: String, _ produced: [UInt8]) throws {
    let path = TestSupport.packageRoot + "/Tests/SillageTests/Golden/reports/" + name
    if ProcessInfo.processInfo.environment["SILLAGE_UPDATE_GOLDEN"] == "1" {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(produced).write(to: URL(fileURLWithPath: path))
        return
    }
    let expected = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(produced == expected, "\(name) differs from Golden/reports/\(name)")
}

@Test(arguments: ReportLanguage.allCases)
func chartsMatchTheirGoldenFiles(language: ReportLanguage) throws {
    let funnel: [(label: String, value: Double)] = [
        ("Présentation du cours", 128), ("Quiz 1 : les bases", 97), ("Vidéo <cours 2>", 64.5), ("Devoir final", 12),
    ]
    let bars = SVGChart.bars(
        id: "funnel", title: language == .fr ? "Entonnoir des activités" : "Activity funnel",
        description: language == .fr ? "Apprenants ayant terminé chaque activité" : "Learners who completed each activity",
        items: funnel, format: { language.decimal($0) })
    try golden("funnel-\(language.rawValue).svg", bars)
    let weeks: [(label: String, value: Double)] = [("S10", 40), ("S11", 52), ("S12", 0), ("S13", 61), ("S14", 1234)]
    let line = SVGChart.line(
        id: "weekly", title: language == .fr ? "Apprenants actifs par semaine" : "Weekly active learners",
        description: language == .fr ? "Nombre d’apprenants actifs chaque semaine" : "Number of learners active each week",
        points: weeks, format: { language.integer(Int($0)) })
    try golden("weekly-\(language.rawValue).svg", line)
    #expect(bars.contains("Vidéo &lt;cours 2&gt;") && bars.contains("role=\"img\"") && bars.contains("<title id=\"funnel-title\">"))
}

/// Renders `html` in headless Chromium: the screenshot's path, the URLs the page asked for
/// (the browser's own background requests, initiated by no origin, left out), and the
/// console lines it printed.
func renderInChromium(_ html: String, name: String) throws -> (png: String, requests: [String], console: [String]) {
    let work = TestSupport.temporaryDirectory("page")
    defer { TestSupport.remove(work) }
    try html.write(toFile: work + "/\(name).html", atomically: true, encoding: .utf8)
    return try renderInChromium(file: work + "/\(name).html", name: name)
}

/// Renders the page `file` where it is (its links to the files beside it stay true).
func renderInChromium(file: String, name: String, height: Int = 1400) throws -> (png: String, requests: [String], console: [String]) {
    let chromium = try #require(TestSupport.findOnPath("chromium"))
    let dir = TestSupport.packageRoot + "/out/screenshots"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let work = TestSupport.temporaryDirectory("render")
    defer { TestSupport.remove(work) }
    let png = dir + "/\(name).png"
    let r = try TestSupport.run(
        chromium,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-sync",
            "--user-data-dir=\(work)/profile", "--window-size=1000,\(height)", "--screenshot=\(png)", "--log-net-log=\(work)/net.json",
            "--enable-logging=stderr", "--v=0", "file://\(file)",
        ])
    #expect(r.status == 0, "\(r.stderr)")
    let log = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: work + "/net.json"))), source: "net.json")
    var requests: [String] = []
    if case .array(let events)? = log["events"] {
        for event in events {
            guard case .string(let url)? = event["params"]?["url"], case .string(let initiator)? = event["params"]?["initiator"],
                initiator != "not an origin", !url.hasPrefix("file://")
            else { continue }
            requests.append(url)
        }
    }
    let console = r.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
    return (png, requests, console)
}

/// The page and its charts render in a real browser with no network request and no
/// console message; the screenshot is kept under out/screenshots/ to be looked at. The
/// check itself is shown to fail on a page that fetches an image and logs an error.
@Test(.enabled(if: TestSupport.findOnPath("chromium") != nil, "needs the Debian package chromium"))
func aReportPageRendersOfflineInABrowser() throws {
    let language = ReportLanguage.fr
    var page = HTMLPage(title: "Achèvement — Statistique descriptive", language: language)
    page.figures([("Inscrits", language.integer(1284)), ("Taux d’achèvement", language.percent(0.425))])
    page.chart(
        SVGChart.bars(
            id: "funnel", title: "Entonnoir", description: "Apprenants ayant terminé chaque activité",
            items: [("Présentation", 128), ("Quiz 1", 97), ("Devoir final", 12)], format: { language.integer(Int($0)) }),
        caption: "Activités dans l’ordre du catalogue")
    page.table(caption: "Activités", headers: ["Activité", "Terminée par"], rows: [["Présentation", "128"], ["Quiz 1", "97"]], numeric: [1])
    let good = try renderInChromium(page.render(), name: "page-building-blocks")
    #expect(good.requests.isEmpty, "\(good.requests)")
    #expect(good.console.isEmpty, "\(good.console)")
    #expect(((try? FileManager.default.attributesOfItem(atPath: good.png)[.size] as? Int) ?? 0) > 5000)
    let bad = try renderInChromium(
        page.render().replacingOccurrences(of: "<main>", with: "<main><img src=\"https://example.org/x.png\"><script>console.error('x')</script>"),
        name: "page-that-fetches")
    #expect(bad.requests == ["https://example.org/x.png"] || bad.requests.contains("https://example.org/x.png"))
    #expect(!bad.console.isEmpty)
    try? FileManager.default.removeItem(atPath: bad.png)
}
