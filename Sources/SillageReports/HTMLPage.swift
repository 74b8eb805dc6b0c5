/// One self-contained HTML page: inline CSS, no script, no external resource, so a report
/// opens offline and asks for nothing over the network.
///
/// Text is escaped where it is put in (`HTMLPage.escape`), so a value that passed the gate
/// is shown as text, never as markup. Tables carry a caption and column headers
/// (`<th scope="col">`); the style reads on a phone, in print and in high contrast.
public struct HTMLPage: Sendable {
    public var title: String
    public var language: ReportLanguage
    private var body: [String] = []

    public init(title: String, language: ReportLanguage) {
        self.title = title
        self.language = language
    }

    /// `text` with `& < > " '` escaped, for element content and attribute values alike.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A heading of level 1 to 3.
    public mutating func heading(_ text: String, level: Int = 2) {
        let l = min(max(level, 1), 3)
        body.append("<h\(l)>\(HTMLPage.escape(text))</h\(l)>")
    }

    public mutating func paragraph(_ text: String) {
        body.append("<p>\(HTMLPage.escape(text))</p>")
    }

    /// Figures as a definition list (label, value), for the key numbers of a section.
    public mutating func figures(_ items: [(label: String, value: String)]) {
        let rows = items.map { "<div><dt>\(HTMLPage.escape($0.label))</dt><dd>\(HTMLPage.escape($0.value))</dd></div>" }
        body.append("<dl class=\"figures\">" + rows.joined() + "</dl>")
    }

    /// A table with a caption and column headers; `numeric` columns are right-aligned, and
    /// a row's header links to `links[row]` when there is one (a file of the same directory).
    public mutating func table(caption: String, headers: [String], rows: [[String]], numeric: Set<Int> = [], links: [String?] = []) {
        var html = "<div class=\"scroll\"><table><caption>\(HTMLPage.escape(caption))</caption><thead><tr>"
        for (i, h) in headers.enumerated() {
            html += "<th scope=\"col\"\(numeric.contains(i) ? " class=\"num\"" : "")>\(HTMLPage.escape(h))</th>"
        }
        html += "</tr></thead><tbody>"
        for (r, row) in rows.enumerated() {
            html += "<tr>"
            for (i, cell) in row.enumerated() {
                let tag = i == 0 ? "th scope=\"row\"" : "td"
                let close = i == 0 ? "th" : "td"
                var text = HTMLPage.escape(cell)
                if i == 0, r < links.count, let link = links[r] { text = "<a href=\"\(HTMLPage.escape(link))\">\(text)</a>" }
                html += "<\(tag)\(numeric.contains(i) ? " class=\"num\"" : "")>\(text)</\(close)>"
            }
            html += "</tr>"
        }
        body.append(html + "</tbody></table></div>")
    }

    /// A chart, drawn by `SVGChart`, in a figure with its caption.
    public mutating func chart(_ svg: String, caption: String) {
        body.append("<figure>\(svg)<figcaption>\(HTMLPage.escape(caption))</figcaption></figure>")
    }

    /// A link to another file of the same report directory.
    public mutating func link(_ text: String, to file: String) {
        body.append("<p><a href=\"\(HTMLPage.escape(file))\">\(HTMLPage.escape(text))</a></p>")
    }

    /// The whole page.
    public func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="\(language.rawValue)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLPage.escape(title))</title>
        <style>\(HTMLPage.style)</style>
        </head>
        <body>
        <main>
        <h1>\(HTMLPage.escape(title))</h1>
        \(body.joined(separator: "\n"))
        </main>
        </body>
        </html>

        """
    }

    /// The one style sheet: system fonts, dark text on white (contrast above 7:1), tables
    /// that scroll sideways on a phone, nothing printed in colour only.
    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;margin:0;line-height:1.45}\
        main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}\
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}\
        caption{text-align:left;font-weight:600;padding:.25rem 0}th,td{border-bottom:1px solid #bbb;padding:.3rem .5rem;text-align:left}\
        thead th{border-bottom:2px solid #1a1a1a}tbody th{font-weight:normal}.num{text-align:right;font-variant-numeric:tabular-nums}\
        .figures{display:flex;flex-wrap:wrap;gap:1rem;margin:0}.figures div{border:1px solid #bbb;padding:.5rem .75rem;min-width:9rem}\
        dt{font-size:.85rem}dd{margin:0;font-size:1.4rem;font-weight:600}figure{margin:1rem 0}svg{max-width:100%;height:auto}\
        figcaption{font-size:.9rem}a{color:#0645ad}@media print{main{max-width:none}.scroll{overflow:visible}a{color:#1a1a1a}}
        """
}
