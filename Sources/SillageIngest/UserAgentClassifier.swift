import SillageCore

/// Sorts user agents into desktop, mobile, tablet, bot or unknown (SPEC §4, §7).
///
/// The full user agent is an identifier in its own right (it narrows a person down), so
/// only its class leaves the parser. Matching is by lower-case tokens; callers memoise the
/// result per distinct user agent, so this runs once per distinct string, not per line.
public struct UserAgentClassifier: Sendable {
    /// Tokens that mark automated clients (case-insensitive substrings).
    public static let builtInCrawlerTokens: [String] = [
        "bot", "crawl", "spider", "slurp", "curl", "wget", "python-requests", "python-urllib",
        "aiohttp", "httpx", "go-http-client", "libwww", "lwp::", "java/", "httpclient",
        "okhttp", "axios", "node-fetch", "undici", "scrapy", "headless", "phantomjs",
        "puppeteer", "playwright", "selenium", "feedfetcher", "feedparser", "feedly", "rss",
        "newsblur", "inoreader", "facebookexternalhit", "mediapartners", "bingpreview",
        "ia_archiver", "archive.org", "nutch", "heritrix", "lighthouse", "pingdom",
        "uptimerobot", "statuscake", "monitor", "check_http", "nagios", "zabbix", "zgrab",
        "masscan", "nmap", "nikto", "sqlmap", "semrush", "ahrefs", "mj12", "dotbot",
        "petalsearch", "yandex", "baiduspider", "sogou", "exabot", "seznam", "qwant",
        "apache-httpclient", "postman", "insomnia", "preview", "validator", "scanner",
        "scraper", "linkcheck", "checker", "scan", "synthetic", "inspector", "favicon", "ips-agent",
        "imageproxy", "siteimprove", "netcraft", "headonly", "uptime", "fetcher", "feed", "reader",
        "archiver", "indexer", "prerender",
    ]

    /// Apps of the platforms Sillage reads, whose agents are people's whatever their shape.
    static let learnerApps: [[UInt8]] = ["moodlemobile", "org.edx.mobile", "openedx"].map { Array($0.utf8) }

    /// Operating systems and devices: an agent that is no browser (no `Mozilla/` or
    /// `Opera/`) but names one is an app on a person's device, not a tool.
    static let platforms: [[UInt8]] = [
        "android", "iphone", "ipad", "ipod", "windows", "linux", "mac os", "macintosh", "cfnetwork", "darwin", "cros",
        "x11", "symbian", "series60", "blackberry", "j2me", "midp", "kaios", "tizen", "webos", "playstation", "xbox",
        "nintendo", "smart-tv", "smarttv", "tvos", "roku", "up.browser",
    ].map { Array($0.utf8) }

    private let crawlerTokens: [[UInt8]]
    /// An operator's crawler list (`crawlerList`), applied before the built-in rules.
    private let crawlerPatterns: [BytePattern]

    /// A classifier with the built-in list plus `extraCrawlerTokens` and `crawlerPatterns`.
    public init(extraCrawlerTokens: [String] = [], crawlerPatterns: [BytePattern] = []) {
        crawlerTokens = (UserAgentClassifier.builtInCrawlerTokens + extraCrawlerTokens)
            .map { Array($0.lowercased().utf8) }
        self.crawlerPatterns = crawlerPatterns
    }

    /// The class of the user agent in `agent` (the raw header value, `-` when absent).
    public func classify(_ agent: UnsafeRawBufferPointer) -> AgentClass {
        if agent.count == 0 || (agent.count == 1 && agent[0] == UInt8(ascii: "-")) { return .bot }
        // Lower-case a bounded prefix: classes are decided in the first few hundred bytes.
        let n = min(agent.count, 1024)
        var lower = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            let c = agent[i]
            lower[i] = (c >= 65 && c <= 90) ? c | 0x20 : c
        }
        if !crawlerPatterns.isEmpty {
            let head = UnsafeRawBufferPointer(rebasing: agent[..<n])
            let listed = lower.withUnsafeBytes { folded in
                crawlerPatterns.contains { $0.matches(folded: $0.caseInsensitive ? folded : head) }
            }
            if listed { return .bot }
        }
        if isAutomated(lower) { return .bot }
        if contains(lower, Self.ipad) || contains(lower, Self.tablet) || contains(lower, Self.kindle)
            || contains(lower, Self.silk) || contains(lower, Self.playbook)
        {
            return .tablet
        }
        if contains(lower, Self.android) {
            return contains(lower, Self.mobile) ? .mobile : .tablet
        }
        if contains(lower, Self.mobi) || contains(lower, Self.iphone) || contains(lower, Self.ipod)
            || contains(lower, Self.windowsPhone) || contains(lower, Self.blackberry) || contains(lower, Self.operaMini)
        {
            return .mobile
        }
        if contains(lower, Self.windows) || contains(lower, Self.macintosh) || contains(lower, Self.x11)
            || contains(lower, Self.linux) || contains(lower, Self.cros) || contains(lower, Self.macOS)
        {
            return .desktop
        }
        return .unknown
    }

    /// The rules, in order: a learner app is a person; a crawler token, a URL (browsers
    /// carry none), an agent that is neither a browser nor names a
    /// platform, or a "compatible" agent that is not Internet Explorer, is a tool.
    private func isAutomated(_ lower: [UInt8]) -> Bool {
        if Self.learnerApps.contains(where: { contains(lower, $0) }) { return false }
        if crawlerTokens.contains(where: { contains(lower, $0) }) { return true }
        if contains(lower, Self.httpURL) || contains(lower, Self.httpsURL) || contains(lower, Self.www) { return true }
        var start = 0
        while start < lower.count, lower[start] == 0x20 || lower[start] == 0x22 || lower[start] == 0x27 { start += 1 }
        let browserShaped = lower[start...].starts(with: Self.mozilla) || lower[start...].starts(with: Self.opera)
        if !browserShaped && !Self.platforms.contains(where: { contains(lower, $0) }) { return true }
        if browserShaped && contains(lower, Self.compatible) && !contains(lower, Self.msie) && !contains(lower, Self.trident) {
            return true
        }
        return !lower.contains(UInt8(ascii: "("))
    }

    private static let httpURL = Array("http://".utf8), httpsURL = Array("https://".utf8), www = Array("www.".utf8)
    private static let mozilla = Array("mozilla/".utf8), opera = Array("opera/".utf8), compatible = Array("compatible;".utf8)
    private static let msie = Array("msie".utf8), trident = Array("trident".utf8)
    private static let ipad = Array("ipad".utf8), tablet = Array("tablet".utf8), kindle = Array("kindle".utf8)
    private static let silk = Array("silk/".utf8), playbook = Array("playbook".utf8)
    private static let android = Array("android".utf8), mobile = Array("mobile".utf8), mobi = Array("mobi".utf8)
    private static let iphone = Array("iphone".utf8), ipod = Array("ipod".utf8)
    private static let windowsPhone = Array("windows phone".utf8), blackberry = Array("blackberry".utf8)
    private static let operaMini = Array("opera mini".utf8), windows = Array("windows".utf8)
    private static let macintosh = Array("macintosh".utf8), x11 = Array("x11".utf8), linux = Array("linux".utf8)
    private static let cros = Array("cros".utf8), macOS = Array("mac os x".utf8)

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        let n = needle.count
        guard n > 0, haystack.count >= n else { return n == 0 }
        let first = needle[0]
        var i = 0
        let last = haystack.count - n
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < n && haystack[i + j] == needle[j] { j += 1 }
                if j == n { return true }
            }
            i += 1
        }
        return false
    }
}
