import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest

// The publishable-value gate: what each entry point admits, and that nothing else can make a
// `Publishable` — code that tries does not compile.

@Test(arguments: [
    ("/user/jean.dupont@example.fr/posts?sesskey=abc&id=12", "/user/{email}/posts"),
    ("/course/view.php?id=12&sesskey=abc", "/course/view.php?id=12"),
    ("https://lms.example.fr/mod/page/view.php?id=301#top", "/mod/page/view.php?id=301"),
])
func theGateScrubsAPath(target: String, expected: String) {
    var gate = PublishableGate()
    let id = Array(target.utf8).withUnsafeBytes { gate.path($0, scrubber: URLScrubber.moodle) }
    #expect(id == 1)
    #expect(gate.values().map(\.text) == [expected])
}

@Test func theGateAdmitsEachKindByItsRuleAndOnce() {
    var gate = PublishableGate()
    let course = Array("https://lms.example.fr/course/view.php?id=12".utf8).withUnsafeBytes { gate.iri($0) }
    let block = Array("block-v1:Org+C1+2026+type@video+block@08a03292a9934d53b3e1fa8a22c1c9a21".utf8).withUnsafeBytes { gate.iri($0) }
    let term = Array("  Jean.Dupont@Example.fr ".utf8).withUnsafeBytes { gate.searchTerm($0) }
    let plain = Array("Statistique  Descriptive".utf8).withUnsafeBytes { gate.searchTerm($0) }
    let module = gate.moodleModule(45)
    let key = Array("course-v1:Org+C1+2026".utf8).withUnsafeBytes { gate.key($0) }
    let again = Array("course-v1:Org+C1+2026".utf8).withUnsafeBytes { gate.key($0) }
    let none = UnsafeRawBufferPointer(start: nil, count: 0)
    #expect(course.isCourse && !block.isCourse)
    #expect([course.id, block.id, term, plain, module, key] == [1, 2, 3, 4, 5, 6] && again == key)
    #expect(gate.key(none) == 0)
    #expect(
        gate.values().map(\.text) == [
            "12", "block-v1:Org+C1+2026+type@video+block@08a03292a9934d53b3e1fa8a22c1c9a21", "search:{email}", "search:statistique descriptive",
            "cm:45", "course-v1:Org+C1+2026",
        ])
}

@Test func anIRIIsAdmittedOnlyWhenTheParserAsks() {
    var gate = PublishableGate()
    let isCourse = Array("https://lms.example.fr/mod/quiz/view.php?id=7".utf8).withUnsafeBytes { gate.prepareIRI($0) }
    #expect(!isCourse && gate.count == 0)
    #expect(gate.admitIRI() == 1 && gate.values() == ["cm:7"])
}

/// Compiles `source` against the built modules as code of this package would be; returns
/// swiftc's status and messages.
private func typecheck(_ source: String) throws -> TestSupport.ProcessResult {
    let dir = TestSupport.temporaryDirectory("gate-compile")
    defer { TestSupport.remove(dir) }
    try source.write(toFile: dir + "/Attack.swift", atomically: true, encoding: .utf8)
    let modules = URL(fileURLWithPath: TestSupport.binary).deletingLastPathComponent().appendingPathComponent("Modules").path
    let yaml = (try? String(contentsOfFile: TestSupport.packageRoot + "/.build/debug.yaml", encoding: .utf8)) ?? ""
    let package =
        yaml.range(of: #"-package-name","[^"]+""#, options: .regularExpression)
        .map { String(yaml[$0].dropFirst(#"-package-name",""#.count).dropLast()) }
        ?? URL(fileURLWithPath: TestSupport.packageRoot).lastPathComponent.lowercased()
    let root = TestSupport.packageRoot
    return try TestSupport.run(
        "/usr/bin/env",
        [
            "swiftc", "-typecheck", "-I", modules, "-I", root + "/Sources/CZlib", "-I", root + "/Sources/CSQLite", "-package-name", package,
            dir + "/Attack.swift",
        ])
}

@Test(.enabled(if: Architecture.swiftOnPath, "needs swiftc on PATH to compile the attacks"))
func codeOutsideThePrivacyLayerCannotMakeAPublishableValue() throws {
    // The harness compiles what the gate allows …
    let allowed = try typecheck(
        """
        import SillageCore
        import SillagePrivacy
        var gate = PublishableGate()
        let id = gate.moodleModule(4)
        let name = PublishableGate.reference("Cours de statistique")
        print(id, name.text)
        """)
    #expect(allowed.status == 0, "\(allowed.stderr)")
    // … and refuses every other way of putting a text into an output.
    let attacks = [
        "import SillagePrivacy\nlet p = Publishable(admitted: \"jean.dupont@example.fr\")",
        "import SillagePrivacy\nlet p: Publishable = \"jean.dupont@example.fr\"",
        "import SillageIngest\nvar r = ChunkResult()\nr.objects.append(\"/user/jean.dupont/\")",
        "import SillageCore\nimport SillagePrivacy\nlet row = ReferenceRow.membership(actor: ActorKey(high: 1, low: 1), organisation: \"Jean Dupont\")",
        "import SillagePrivacy\nlet p = PublishableGate.stored(\"jean.dupont@example.fr\")",
        "import SillageMetrics\nlet cell = Cell.value(\"jean.dupont@example.fr\")",
    ]
    for attack in attacks {
        let r = try typecheck(attack)
        #expect(r.status != 0, "compiled: \(attack)")
        #expect(r.stderr.contains("inaccessible") || r.stderr.contains("cannot convert") || r.stderr.contains("cannot be converted"), "\(r.stderr)")
    }
}

/// No admitted value opens as a formula in a spreadsheet, however it was made.
@Test(arguments: ["=2+5", "+SUM(A1)", "-1", "-2+3", "\tx", "=cmd|' /C calc'!A0"])
func noAdmittedValueStartsAFormula(raw: String) {
    var gate = PublishableGate()
    _ = Array(raw.utf8).withUnsafeBytes { gate.key($0) }
    let term = Array(raw.utf8).withUnsafeBytes { gate.searchTerm($0) }
    let admitted = gate.values()
    let searched = admitted[Int(term) - 1].removingPrefix("search:")
    var values = admitted + [PublishableGate.reference(raw)]
    if let searched { values.append(searched) }
    let formulaStarts: [Character] = ["=", "+", "-", "@", "\t", "\r"]
    for value in values {
        #expect(!(value.text.first.map { formulaStarts.contains($0) } ?? false), "\(value.text)")
    }
    #expect(gate.values()[0].text == "'" + raw)
}
