import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageMetrics
@testable import SillageStore
@testable import SillagePipeline
@testable import SillageReports

private let cfa = "CFA Métiers du Numérique"

/// The sample's user ids per organisation, read from its organisations file by this test.
private func members() throws -> [String: [String]] {
    let text = try String(contentsOfFile: TestSupport.packageRoot + "/SampleLogs/lms/organisations.csv", encoding: .utf8)
    let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", maxSplits: 1).map(String.init) }
    return Dictionary(grouping: rows, by: { $0[1] }).mapValues { $0.map { $0[0] } }
}

/// An organisation's report follows its own learners only: with the operator's list, the
/// organisation's learners get their names and a learner of another organisation on the
/// list appears nowhere; the names are read, not stored; the journal says who made the
/// report, for how many learners, and how many were named.
@Test func anOrganisationReportNamesItsOwnLearnersOnly() throws {
    let dir = try runSampleWithReports()
    defer { TestSupport.remove(dir) }
    let all = try members()
    let own = try #require(all[cfa])
    let other = try #require(all["Mission locale Est"]?.first)
    var list = "# the organisation's own list\n"
    for (i, id) in own.enumerated() { list += "moodle-userid:\(id);Stagiaire \(i + 1) Zéphyrin\n" }
    list += "moodle-userid:\(other);Intrus Quelconque\n"
    try list.write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
    let r = try TestSupport.run(
        TestSupport.binary,
        ["report", "organisation", "Pipelines/sample.json", "--organisation", cfa, "--learners", "list.txt", "--out", "named"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOfFile: dir + "/named/organisation-cfa-metiers-du-numerique.html", encoding: .utf8)
    let csv = try String(contentsOfFile: dir + "/named/organisation-cfa-metiers-du-numerique.csv", encoding: .utf8)
    #expect(html.contains("Stagiaire 1 Zéphyrin") && csv.contains("Stagiaire 1 Zéphyrin"))
    #expect(!html.contains("Intrus") && !csv.contains("Intrus"))
    #expect(!html.contains("apprenant\u{00A0}"), "every learner of the organisation is on the list")
    #expect(html.contains("\(own.count) apprenants inscrits par \(cfa)"))
    var storeBytes = Data()
    for name in try FileManager.default.contentsOfDirectory(atPath: dir + "/var") where name.hasPrefix("sample.sqlite") {
        storeBytes.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/var/" + name)))
    }
    #expect(storeBytes.count > 100_000)
    let stored = String(decoding: storeBytes, as: UTF8.self)
    #expect(!stored.contains("Zéphyrin") && !stored.contains("Stagiaire"), "the list is read, never stored")
    let journal = try TestSupport.run(TestSupport.binary, ["journal", "Pipelines/sample.json", "--action", "report", "--json"], in: dir)
    let entries = try JSONParser.parse(Array(journal.stdout.utf8), source: "journal")
    guard case .array(let list_) = entries else { Issue.record("the journal is a list"); return }
    let last = try #require(list_.last)
    #expect(last["details"]?["organisation"] == .string(cfa))
    #expect(last["details"]?["learners"] == .int(Int64(own.count)) && last["details"]?["named"] == .int(Int64(own.count)))
    #expect(last["details"]?["by"] != nil)
}

/// Without a list, a learner is shown under a label made for this organisation's reports:
/// the same from one report to the next, different for another organisation, and neither
/// a research pseudonym nor anything a partner's export holds.
@Test func learnerLabelsAreMadeForOneOrganisation() throws {
    let key = try TestSupport.testKey
    let phase = ReportPhase(pipeline: PipelineDefinition(), key: key)
    let people = Set((1...50).map { ActorKey(high: 3, low: UInt64($0)) })
    let a = phase.pseudonymLabels(people, organisation: PublishableGate.reference(cfa), language: .fr)
    let again = phase.pseudonymLabels(people, organisation: PublishableGate.reference(cfa), language: .fr)
    let b = phase.pseudonymLabels(people, organisation: PublishableGate.reference("Lycée Jean Moulin"), language: .fr)
    #expect(a == again)
    #expect(Set(a.values).count == people.count, "labels are distinct")
    #expect(Set(a.values).isDisjoint(with: Set(b.values)), "another organisation cannot match labels")
    let research = RecipientPseudonyms(master: key, recipient: "partner-lab", period: "all")
    for p in people { #expect(!research.pseudonym(p).contains(a[p]!.split(separator: "\u{00A0}").last!)) }
}

/// The organisation's figures are those of its learners: on generated cohorts restricted
/// to every other learner, completers and at-risk counts equal an independent count over
/// those learners.
@Test func anOrganisationsFiguresCountItsLearnersOnly() {
    let scenario = CompletionScenario(seed: 11)
    var gate = PublishableGate()
    let (events, strings) = scenario.events(&gate)
    let chosen = Set(scenario.learners.indices.filter { $0 % 2 == 0 })
    let actors = Set(chosen.map { ActorKey(high: 1, low: UInt64($0 + 1)) })
    var input = MetricInput(sessions: [], actorDays: [], facts: ActivityFacts.collect(sorted: events, strings: strings).restricted(to: actors))
    input.atRiskDays = 7
    let labels = Dictionary(uniqueKeysWithValues: actors.map { ($0, "L\($0.low)") })
    let rows = OrganisationReport.rows(input, labels: labels)
    for (c, key) in scenario.courseKeys.enumerated() {
        let mine = rows.filter { $0.course.text == key }
        let cohort = scenario.cohort(c).filter(chosen.contains)
        #expect(mine.count == cohort.count)
        #expect(mine.filter(\.completed).count == cohort.filter { scenario.learners[$0].completed != nil }.count)
    }
    #expect(rows.allSatisfy { labels.values.contains($0.learner) })
    #expect(rows.contains { $0.atRisk } && rows.first?.atRisk == true, "those at risk come first")
}

/// The sample's organisation report, in French (written by the run) and English, as the
/// golden files say.
@Test func theSampleOrganisationReportMatchesItsGoldenFiles() throws {
    let dir = try runSampleWithReports()
    defer { TestSupport.remove(dir) }
    let en = try TestSupport.run(
        TestSupport.binary,
        ["report", "organisation", "Pipelines/sample.json", "--organisation", "cfa-metiers-du-numerique", "--lang", "en", "--out", "en"],
        in: dir)
    #expect(en.status == 0, "\(en.stderr)")
    for (language, folder) in [("fr", "/out/reports"), ("en", "/en")] {
        for ext in ["html", "csv"] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)\(folder)/organisation-cfa-metiers-du-numerique.\(ext)")))
            try golden("sample/\(language)/organisation-cfa-metiers-du-numerique.\(ext)", bytes)
        }
    }
    let unknown = try TestSupport.run(TestSupport.binary, ["report", "organisation", "Pipelines/sample.json", "--organisation", "Nowhere"], in: dir)
    #expect(unknown.status == 2 && unknown.stderr.contains("no organisation \"Nowhere\" in the store's memberships"), "\(unknown.stderr)")
}
