import Foundation
import SillageCore
import SillageDisclosure
import SillageStore
import SillagePipeline

let purgeSpec = CommandSpec(
    path: "sillage purge",
    summary:
        "Enforces the pipeline's retention policy now (every run also does): purges sessions and learner-day summaries older than their period, anonymises inactive learners, deletes old reject samples, and journals it.",
    positionals: [optionalPipeline],
    options: [
        storeOption,
        OptionSpec("--json", help: "print what was removed as JSON"),
    ],
    details: "SILLAGE_NOW=YYYY-MM-DD judges retention as on that day (for audits and tests).")

let journalSpec = CommandSpec(
    path: "sillage journal",
    summary: "Lists the store's journal: every retention purge, erasure, access request and export, with when, by which run, and how many.",
    positionals: [optionalPipeline],
    options: [
        storeOption,
        OptionSpec("--action", value: "NAME", help: "only retention, erasure, access, export, reprocess or report entries"),
        OptionSpec("--json", help: "print the entries as JSON"),
    ])

let budgetSpec = CommandSpec(
    path: "sillage budget",
    summary:
        "Shows, for each recipient, the ε budget the pipeline grants, the ε its differentially private releases have spent (kept in the store across exports and runs), and what is left.",
    positionals: [optionalPipeline],
    options: [
        storeOption,
        OptionSpec("--json", help: "print the figures as JSON"),
    ])

/// The pipeline named by the first positional (or the defaults), with `--store` applied.
func pipelineAndStore(_ args: ParsedArguments) throws(SillageError) -> PipelineDefinition {
    var pipeline = try args.positionals.first.map { p throws(SillageError) in try PipelineDefinition.load(path: p) } ?? PipelineDefinition()
    if let store = args.value("--store") { pipeline.store = store }
    return pipeline
}

/// The pipeline's store, which must exist already (reading commands never create one).
func existingStore(_ pipeline: PipelineDefinition) throws(SillageError) -> Store {
    guard FileManager.default.fileExists(atPath: pipeline.store) else {
        throw SillageError.configuration("no store here yet", at: pipeline.store, hint: "run the pipeline first")
    }
    return try Store(path: pipeline.store)
}

func purgeCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, purgeSpec)
    if args.wantsHelp { say(purgeSpec.help); return 0 }
    let pipeline = try pipelineAndStore(args)
    let store = try existingStore(pipeline)
    let t = try Retention.enforce(
        pipeline.retention, store: store, zone: try ZoneRules(identifier: pipeline.timezone),
        now: Clock.nowSeconds(), run: nil)
    if args.has("--json") {
        say(
            JSONValue.object([
                ("keptFromDay", .string(t.keptFromDay)),
                ("purged", .object(t.purged.sorted(by: { $0.key < $1.key }).map { ($0.key, .int(Int64($0.value))) })),
                ("anonymisedLearners", .int(Int64(t.anonymisedLearners))), ("rejectFilesDeleted", .int(Int64(t.rejectFilesDeleted))),
            ]).serialized())
    } else {
        let purged = t.purged.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        say(
            "retention on \(pipeline.store): kept from \(t.keptFromDay); purged \(purged); \(t.anonymisedLearners) inactive learner(s) anonymised; \(t.rejectFilesDeleted) reject file(s) deleted"
        )
    }
    return 0
}

func budgetCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, budgetSpec)
    if args.wantsHelp { say(budgetSpec.help); return 0 }
    let pipeline = try pipelineAndStore(args)
    let ledger = try existingStore(pipeline).budgetLedger()
    // The ledger keys recipients by id; a ledger id no recipient declares is shown as such.
    var ids = pipeline.recipients.map(\.id)
    for l in ledger where !ids.contains(l.recipient) { ids.append(l.recipient) }
    let rows = ids.map { id -> (name: String, budget: Double?, spent: Double, releases: Int, last: String) in
        let l = ledger.first { $0.recipient == id }
        let recipient = pipeline.recipients.first { $0.id == id }
        return (recipient?.name ?? id, recipient?.epsilonBudget, l?.spent ?? 0, l?.releases ?? 0, l?.last ?? "")
    }
    if args.has("--json") {
        say(
            JSONValue.array(
                rows.map { r in
                    .object([
                        ("recipient", .string(r.name)), ("epsilonBudget", r.budget.map { .double($0) } ?? .null), ("epsilonSpent", .double(r.spent)),
                        ("epsilonLeft", r.budget.map { .double(max(0, $0 - r.spent)) } ?? .null), ("releases", .int(Int64(r.releases))),
                        ("lastRelease", r.last.isEmpty ? .null : .string(r.last)),
                    ])
                }
            ).serialized())
        return 0
    }
    func column(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
    say("recipient            budget   spent    left     releases  last release")
    for r in rows {
        let left = r.budget.map { max(0, $0 - r.spent) }
        say(
            "\(column(r.name, 20)) \(column(r.budget.map(formatEpsilon) ?? "-", 8)) \(column(formatEpsilon(r.spent), 8)) \(column(left.map(formatEpsilon) ?? "-", 8)) \(column(String(r.releases), 9)) \(r.last.isEmpty ? "-" : r.last)"
        )
    }
    let total = ledger.reduce(0) { $0 + $1.spent }
    say(
        "\(column("(all, store cap)", 20)) \(column(formatEpsilon(pipeline.storeBudget), 8)) \(column(formatEpsilon(total), 8)) \(column(formatEpsilon(max(0, pipeline.storeBudget - total)), 8))"
    )
    return 0
}

func journalCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, journalSpec)
    if args.wantsHelp { say(journalSpec.help); return 0 }
    let pipeline = try pipelineAndStore(args)
    let actions = ["retention", "erasure", "access", "export", "reprocess", "report"]
    if let action = args.value("--action"), !actions.contains(action) {
        // `purge` writes retention entries: the word people type for them.
        let close = action.hasPrefix("purg") ? ["retention"] : actions.filter { editDistance($0, action) <= 2 || $0.hasPrefix(action) }
        throw SillageError.usage(
            "--action is \(actions.joined(separator: ", ")), not \"\(action)\"",
            hint: close.isEmpty ? "see `sillage journal --help`" : "did you mean \(close.joined(separator: " or "))?")
    }
    let entries = try existingStore(pipeline).journalEntries(action: args.value("--action"))
    if args.has("--json") {
        say(
            JSONValue.array(
                entries.map { e in
                    .object([
                        ("id", .int(e.id)), ("at", .string(e.at)), ("run", e.run.map { .int($0) } ?? .null), ("action", .string(e.action)),
                        ("subject", .string(e.subject)), ("count", .int(e.count)),
                        ("details", (try? JSONParser.parse(Array(e.details.utf8), source: "journal")) ?? .string(e.details)),
                    ])
                }
            ).serialized())
        return 0
    }
    say("id    at                    run   action      count  subject")
    for e in entries {
        let run = e.run.map(String.init) ?? "-"
        say(
            "\(e.id.description.padding(toLength: 5, withPad: " ", startingAt: 0)) \(e.at)  \(run.padding(toLength: 5, withPad: " ", startingAt: 0)) \(e.action.padding(toLength: 10, withPad: " ", startingAt: 0)) \(String(e.count).padding(toLength: 6, withPad: " ", startingAt: 0)) \(e.subject)"
        )
    }
    return 0
}

/// Levenshtein distance, for suggestions on mistyped option values (short words only).
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    var row = Array(0...b.count)
    for (i, x) in a.enumerated() {
        var diagonal = row[0]
        row[0] = i + 1
        for (j, y) in b.enumerated() {
            let above = row[j + 1]
            row[j + 1] = min(above + 1, row[j] + 1, diagonal + (x == y ? 0 : 1))
            diagonal = above
        }
    }
    return row[b.count]
}
