import Foundation
import Testing
@testable import SillageCore
@testable import SillageIngest

// The built-in crawler rules measured against lists this project does not maintain, read
// from the PyPI packages `.ci/run` installs (never copied into the project):
// `crawler-user-agents` (patterns with example agents), `fake-useragent` (real browser
// agents seen on the web), `device-detector` (Matomo's bots.yml and its test fixtures).

/// The directory of an installed Python package, or nil.
private func pythonPackage(_ module: String) -> String? {
    guard let python = TestSupport.findOnPath("python3"),
        let r = try? TestSupport.run(python, ["-c", "import importlib.util as u; print(u.find_spec('\(module)').submodule_search_locations[0])"]),
        r.status == 0
    else { return nil }
    let dir = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    return dir.isEmpty ? nil : dir
}

private let crawlerPackage = pythonPackage("crawleruseragents")
private let browserPackage = pythonPackage("fake_useragent")
private let matomoPackage = pythonPackage("device_detector")

private var crawlerListPath: String { crawlerPackage! + "/crawler-user-agents.json" }

/// The example agents the crawler-user-agents package ships with its patterns.
private func crawlerExamples() throws -> [String] {
    let list = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: crawlerListPath))), source: "crawler-user-agents.json")
    guard case .array(let entries) = list else { return [] }
    var out = Set<String>()
    for entry in entries {
        if case .array(let instances)? = entry["instances"] {
            for case .string(let agent) in instances { out.insert(agent) }
        }
    }
    return out.sorted()
}

/// Distinct real browser agents (fake-useragent's data, collected from browsing traffic).
private func browserAgents() throws -> [String] {
    let text = try String(contentsOfFile: browserPackage! + "/data/browsers.jsonl", encoding: .utf8)
    var out = Set<String>()
    for line in text.split(separator: "\n") {
        if case .string(let agent)? = try JSONParser.parse(Array(line.utf8), source: "browsers.jsonl")["useragent"] { out.insert(agent) }
    }
    return out.sorted()
}

private func botShare(_ agents: [String], _ classifier: UserAgentClassifier) -> Double {
    let bots = agents.filter { agent in Array(agent.utf8).withUnsafeBytes { classifier.classify($0) } == .bot }
    return Double(bots.count) / Double(max(agents.count, 1))
}

@Test(.enabled(if: crawlerPackage != nil && browserPackage != nil, "needs pip install crawler-user-agents fake-useragent"))
func theBuiltInRulesAgreeWithTheCommunityCrawlerList() throws {
    let builtIn = UserAgentClassifier()
    let crawlers = try crawlerExamples(), browsers = try browserAgents()
    #expect(crawlers.count > 1500 && browsers.count > 500)
    let caught = botShare(crawlers, builtIn), falsePositives = botShare(browsers, builtIn)
    print("built-in rules: \(crawlers.count) crawler examples, \(caught * 100)% bots; \(browsers.count) browsers, \(falsePositives * 100)% bots")
    #expect(caught >= 0.95)
    #expect(falsePositives <= 0.005)
    // With the package's own list, every example is a bot, and browsers stay people.
    let listed = UserAgentClassifier(crawlerPatterns: try CrawlerList.load(crawlerListPath))
    let listedFalse = botShare(browsers, listed)
    print("with crawlerList: \(botShare(crawlers, listed) * 100)% bots; browsers \(listedFalse * 100)% bots")
    #expect(botShare(crawlers, listed) == 1)
    #expect(listedFalse <= 0.005)
}

/// The pattern engine agrees with Python's `re` on every pattern of the list, over its
/// examples and the browser agents: the set of agents some pattern matches is the same.
@Test(.enabled(if: crawlerPackage != nil && browserPackage != nil, "needs pip install crawler-user-agents fake-useragent"))
func crawlerPatternsMatchAsPythonsReDoes() throws {
    let agents = try crawlerExamples() + browserAgents()
    let dir = TestSupport.temporaryDirectory("patterns")
    defer { TestSupport.remove(dir) }
    try agents.joined(separator: "\n").write(toFile: dir + "/agents.txt", atomically: true, encoding: .utf8)
    let script = """
        import json, re, sys
        patterns = [re.compile(e["pattern"]) for e in json.load(open(sys.argv[1]))]
        for agent in open(sys.argv[2], encoding="utf-8").read().split("\\n"):
            print(sum(1 for p in patterns if p.search(agent)))
        """
    let python = try #require(TestSupport.findOnPath("python3"))
    let r = try TestSupport.run(python, ["-c", script, crawlerListPath, dir + "/agents.txt"])
    #expect(r.status == 0, "\(r.stderr)")
    let expected = r.stdout.split(separator: "\n").map { Int($0) ?? -1 }
    let patterns = try CrawlerList.load(crawlerListPath)
    let ours = agents.map { agent in patterns.filter { $0.matches(agent) }.count }
    #expect(expected.count == agents.count)
    let differing = zip(agents, zip(ours, expected)).filter { $1.0 != $1.1 }
    #expect(differing.isEmpty, "\(differing.prefix(5))")
}

/// Matomo's bots.yml is read too (843 patterns with lookbehinds, case-insensitive), and
/// catches the bot agents of Matomo's own test fixtures.
@Test(.enabled(if: matomoPackage != nil, "needs pip install device-detector"))
func matomosBotsFileIsRead() throws {
    let patterns = try CrawlerList.load(matomoPackage! + "/regexes/upstream/bots.yml")
    #expect(patterns.count > 800)
    let fixtures = try String(contentsOfFile: matomoPackage! + "/tests/fixtures/upstream/bots.yml", encoding: .utf8)
    let agents = fixtures.split(separator: "\n").compactMap { line -> String? in
        guard let at = line.range(of: "user_agent: ") else { return nil }
        var value = line[at.upperBound...]
        if let q = value.first, q == "'" || q == "\"", value.count >= 2 { value = value.dropFirst().dropLast() }
        return String(value).replacingOccurrences(of: "''", with: "'")
    }
    let classifier = UserAgentClassifier(crawlerPatterns: patterns)
    let share = botShare(agents, classifier)
    print("Matomo bots.yml: \(agents.count) fixture bots, \(share * 100)% caught")
    #expect(agents.count > 500)
    #expect(share >= 0.99)
}

@Test(arguments: [
    ("Googlebot\\/", "Mozilla/5.0 (compatible; Googlebot/2.1)", true), ("Googlebot\\/", "googlebot/2.1", false),
    ("[wW]get", "Wget/1.21", true), ("AdsBot-Google([^-]|$)", "AdsBot-Google", true),
    ("AdsBot-Google([^-]|$)", "AdsBot-Google-Mobile", false), ("(^| )sentry\\/", "sentry/1.0", true),
    ("(^| )sentry\\/", "xsentry/1.0", false), ("^Mozilla\\/5\\.0$", "Mozilla/5.0", true), ("^Mozilla\\/5\\.0$", "Mozilla/5.0 x", false),
    ("Daum(?!(?:Apps|Device))", "DaumApps/1", false), ("Daum(?!(?:Apps|Device))", "Daumoa/1", true),
    ("(?<!cu|power[ _])bot", "cubot phone", false), ("(?<!cu|power[ _])bot", "power bot", false), ("(?<!cu|power[ _])bot", "mybot", true),
    ("\\d{3,}x", "ab12x", false), ("\\d{3,}x", "ab123x", true), ("a.*?b", "axxxb", true), ("colou?r", "color", true),
    ("\\bcat\\b", "a cat here", true), ("\\bcat\\b", "concat", false), ("(ab)+c", "ababc", true), ("x{2}", "x", false),
])
func bytePatternsMatchAsRegularExpressionsDo(pattern: String, text: String, matches: Bool) throws {
    #expect(try BytePattern(pattern).matches(text) == matches, "\(pattern) on \(text)")
}

@Test func aBadPatternIsRefusedWithItsPosition() {
    #expect(throws: SillageError.self) { try BytePattern("(unclosed") }
    #expect(throws: SillageError.self) { try BytePattern("*lead") }
    #expect(throws: SillageError.self) { try BytePattern("[z-a]") }
}

@Test func aPathologicalPatternStopsAtItsBudget() throws {
    let p = try BytePattern("(a|aa)*(a|aa)*(a|aa)*b")
    let start = Date()
    #expect(!p.matches(String(repeating: "a", count: 60)))
    #expect(Date().timeIntervalSince(start) < 5)
}
