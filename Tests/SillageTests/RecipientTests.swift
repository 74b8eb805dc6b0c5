import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageMetrics
@testable import SillageExport
@testable import SillageStore
@testable import SillagePipeline

/// Known answers computed independently (Python's `hmac`): master key 00 01 … 1f, internal
/// pseudonym 00112233445566778899aabbccddeeff.
@Test(arguments: [
    ("partner-lab", "all", "4fe39bb49ae7e15d511aca0587c49692"),
    ("partner-lab", "2026-03", "194f97a99147c30bd32d23d7f0de9258"),
    ("ministry", "all", "514282540bcb383aa21227e6c1edd06d"),
])
func recipientPseudonymsFollowTheDocumentedDerivation(recipient: String, period: String, expected: String) throws {
    let master = try MasterKey(bytes: Array(0..<32))
    let actor = ActorKey(high: 0x0011_2233_4455_6677, low: 0x8899_aabb_ccdd_eeff)
    #expect(RecipientPseudonyms(master: master, recipient: recipient, period: period).pseudonym(actor) == expected)
}

/// Sessions microdata learners of one export, as the recipient reads them.
private func learners(_ directory: String) throws -> Set<String> {
    let rows = TestSupport.csvRows(try TestSupport.gunzip(directory + "/sessions.csv.gz"))
    #expect(rows.first?.first == "learner")
    return Set(rows.dropFirst().map { $0[0] })
}

/// A generated platform with enough learners for k = 11, exported to two recipients and two periods.
private func twoRecipients(_ dir: String) throws -> PipelineDefinition {
    try TestSupport.generateLogs(into: dir + "/gen", ["--seed", "5", "--learners", "150", "--days", "40"])
    var p = try TestSupport.pipeline("combined", [dir + "/gen/access.log"], in: dir)
    p.recipients = [RecipientDefinition(name: "partner-lab"), RecipientDefinition(name: "ministry")]
    var research = ExportDefinition()
    research.recipient = "partner-lab"
    research.microdata = MicrodataDefinition()
    research.microdata?.linkable = true
    // Perturbed tables of the same sessions would be refused with microdata.
    research.tables = ["course_completion"]
    var ministry = research
    ministry.recipient = "ministry"
    var month = research
    month.period = try #require(ExportPeriod.parse(TestSupport.generatedMonth(dir + "/gen/access.log")))
    p.exports = [research, ministry, month]
    return p
}

@Test func twoRecipientsShareNoPseudonymAndTheSameRecipientGetsTheSameOnesAgain() async throws {
    let dir = TestSupport.temporaryDirectory("recipients")
    defer { TestSupport.remove(dir) }
    var p = try twoRecipients(dir)
    // The month's microdata overlaps `all`'s: one store publishes only one of them
    // (`recordMicrodata`), so it comes from a store of its own, with the same key.
    var monthly = p
    monthly.exports = [p.exports[2]]
    monthly.store = dir + "/month.sqlite"
    p.exports.removeLast()
    let first = try await Runner(pipeline: p).run()
    let dirs = first.exports.map(\.directory) + [try await Runner(pipeline: monthly).run().exports[0].directory]
    #expect(dirs.count == 3)
    let research = try learners(dirs[0]), ministry = try learners(dirs[1]), month = try learners(dirs[2])
    #expect(research.count > 50, "enough learners published to make the comparison meaningful")
    #expect(research.intersection(ministry).count == 0, "two recipients' files cannot be joined on the learner")
    #expect(research.intersection(month).count == 0, "one recipient's two periods cannot be joined either")
    let store = try Store(path: p.store)
    let stored = Set(try store.sessions().map(\.actor.hex))
    #expect(research.intersection(stored).count + ministry.intersection(stored).count == 0, "internal pseudonyms never leave")
    #expect(Set(research.map(\.count)) == [32])
    // Same recipient, same period, later run (new store, same key): the same pseudonyms, the same file.
    let before = try TestSupport.gunzip(dirs[0] + "/sessions.csv.gz")
    let again = TestSupport.temporaryDirectory("recipients-again")
    defer { TestSupport.remove(again) }
    var q = p
    q.store = again + "/store.sqlite"
    q.output = again + "/out"
    let second = try await Runner(pipeline: q).run()
    #expect(try TestSupport.gunzip(second.exports[0].directory + "/sessions.csv.gz") == before)
}

@Test(arguments: [
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "recipients": [{"name": "lab"}], "exports": [{"recipient": "other"}]}"#,
        #"$.exports[0].recipient: recipient "other" is not declared"#
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "recipients": [{"name": "lab"}, {"name": "lab"}]}"#,
        #"$.recipients[1].name: recipient "lab" is declared twice"#
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "recipients": [{"name": "../x"}]}"#,
        "a recipient name uses letters"
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "recipients": [{"name": "lab"}], "exports": [{"recipient": "lab", "differentialPrivacy": [{"table": "daily_activity", "epsilon": 0.5}]}]}"#,
        #"recipient "lab" has no epsilonBudget"#
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "recipients": [{"name": "lab", "epsilonBudget": 1}], "exports": [{"recipient": "lab", "tables": ["daily_activity"], "differentialPrivacy": [{"table": "session_lengths", "epsilon": 0.5}]}]}"#,
        #""session_lengths" is not one of this export's tables"#
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "recipients": [{"name": "lab", "epsilonBudget": 1}], "exports": [{"recipient": "lab", "differentialPrivacy": [{"table": "daily_activity"}]}]}"#,
        "$.exports[0].differentialPrivacy[0].epsilon: missing required key"
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "exports": [{"microdata": {"quasiIdentifiers": ["start", "browser"]}}]}"#,
        #"$.exports[0].microdata.quasiIdentifiers[1]: unknown microdata column "browser""#
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "exports": [{"microdata": {"quasiIdentifiers": ["start", "duration"], "sensitive": "duration"}}]}"#,
        #"the sensitive column "duration" cannot also be a quasi-identifier"#
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "exports": [{"microdata": {"maxSuppression": 0.9}}]}"#,
        "$.exports[0].microdata.maxSuppression"
    ),
])
func recipientAndReleaseSettingsAreChecked(json: String, message: String) {
    do {
        _ = try PipelineDefinition.parse(Array(json.utf8), source: "p.json")
        Issue.record("accepted: \(json)")
    } catch {
        #expect(error.description.contains(message), "\(error.description)")
    }
}
