import Foundation
import SillageCore
import SillagePrivacy
import SillageIngest
import SillageDisclosure
import SillageStore
import SillagePipeline

// The `sillage` command: parses arguments, calls the library, prints. No logic lives here.

let version = "0.1.0"

func printError(_ error: SillageError) {
    FileHandle.standardError.write(Data("sillage: error: \(error.description)\n".utf8))
}

func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func notice(_ text: String) {
    FileHandle.standardError.write(Data("sillage: \(text)\n".utf8))
}

let topHelp = """
    usage: sillage COMMAND [ARGUMENTS]

    Sillage turns learning-platform logs into pseudonymised sessions and anonymised statistics.

    commands:
      run [PIPELINE]        read inputs, update the store, publish exports
      validate PIPELINE     check a pipeline file and its inputs without running it
      keys init             create a new master key (mode 0600)
      purge [PIPELINE]      enforce the retention policy now, and journal what it removed
      journal [PIPELINE]    list what was purged, erased, accessed and exported, and when
      budget [PIPELINE]     show each recipient's differential-privacy budget: spent and left
      forget [PIPELINE]     erase people from the store and drop their records from later runs
      access [PIPELINE]     write everything the store holds about one person (JSON and CSV)

    `sillage COMMAND --help` describes each command. Exit codes: 0 success, 1 run failure,
    2 usage or configuration error, 3 data error (reject rate over the limit, PII guard hit).
    """

/// The pipeline positional and `--store` option of the commands that work on a pipeline's store.
let optionalPipeline = ("PIPELINE", true, "pipeline file (JSON); without it the built-in defaults apply")
let storeOption = OptionSpec("--store", value: "PATH", help: "SQLite store (default: the pipeline's)")

let runSpec = CommandSpec(
    path: "sillage run",
    summary: "Reads the inputs, pseudonymises them at the parser, sessionises, commits to the store and publishes the exports.",
    positionals: [optionalPipeline],
    options: [
        OptionSpec(
            "--input", value: "FORMAT:GLOB", repeatable: true,
            help: "read GLOB as FORMAT (an input type below); replaces the pipeline's inputs"),
        OptionSpec("--log-format", value: "STRING", help: "the LogFormat / log_format string for apache and nginx --input"),
        OptionSpec("--store", value: "PATH", help: "SQLite store (default var/sillage.sqlite)"),
        OptionSpec("--out", value: "DIR", help: "export root directory (default out)"),
        OptionSpec("--key-file", value: "PATH", help: "master key file (default var/sillage.key)"),
        OptionSpec("--threads", value: "N", help: "parsing threads (default: all cores)"),
        OptionSpec("--since", value: "DATE", help: "read only records from this local day on (YYYY-MM-DD)"),
        OptionSpec("--until", value: "DATE", help: "read only records up to this local day (YYYY-MM-DD, inclusive)"),
        OptionSpec(
            "--reprocess", value: "FILE", repeatable: true,
            help: "remove what FILE (one of the inputs) contributed before, then read it again"),
        OptionSpec("--batch-mb", value: "N", help: "commit every N MB of input (default 256); bounds memory"),
        OptionSpec("--dry-run", help: "read and count everything; commit and publish nothing"),
        OptionSpec("--json", help: "print the run report as JSON on standard output"),
    ],
    details:
        "Progress is shown on standard error when it is a terminal. The summary lists events, skips and rejects by reason, sessions and the files written.\n\ninput types (a pipeline's inputs[].type, or FORMAT of --input):\n"
        + inputTypeList()
)

/// The registry's input types, one per line with its summary.
func inputTypeList() -> String {
    let width = StageRegistry.ingestList.map(\.name.count).max() ?? 0
    return StageRegistry.ingestList.map { "  \($0.name.padding(toLength: width + 1, withPad: " ", startingAt: 0)) \($0.summary)" }
        .joined(separator: "\n")
}

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
        OptionSpec("--action", value: "NAME", help: "only retention, erasure, access, export or reprocess entries"),
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
    let store = try Store(path: pipeline.store)
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
    var names = pipeline.recipients.map(\.name)
    for l in ledger where !names.contains(l.recipient) { names.append(l.recipient) }
    let rows = names.map { name -> (name: String, budget: Double?, spent: Double, releases: Int, last: String) in
        let l = ledger.first { $0.recipient == name }
        return (name, pipeline.recipient(named: name)?.epsilonBudget, l?.spent ?? 0, l?.releases ?? 0, l?.last ?? "")
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
    return 0
}

func journalCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, journalSpec)
    if args.wantsHelp { say(journalSpec.help); return 0 }
    let pipeline = try pipelineAndStore(args)
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

let forgetSpec = CommandSpec(
    path: "sillage forget",
    summary:
        "Deletes everything the store derived from the people named, adds their keyed hash to the opt-out list so that later runs drop their records as they are parsed, and journals it (counts only). Asking twice is harmless.",
    positionals: [optionalPipeline],
    options: [
        OptionSpec(
            "--namespace", value: "NS",
            help: "how the identifiers name people: " + PersonIdentifier.namespaces.map(\.name).joined(separator: ", ")
                + ", or an identity the pipeline declares"),
        OptionSpec("--id", value: "ID", repeatable: true, help: "an identifier (repeatable)"),
        OptionSpec("--file", value: "PATH", help: "a file of identifiers, one per line"),
        storeOption,
        OptionSpec("--key-file", value: "PATH", help: "master key file (default: the pipeline's)"),
    ])

let accessSpec = CommandSpec(
    path: "sillage access",
    summary:
        "Writes everything the store holds about one person — sessions, learner-day summaries, courses, completions, content views, searches — as person.json and CSV files in a private directory (mode 0700), for access and portability requests, and journals it.",
    positionals: [optionalPipeline],
    options: [
        OptionSpec("--namespace", value: "NS", help: "how the identifier names the person (see `sillage forget --help`)"),
        OptionSpec("--id", value: "ID", help: "the person's identifier"),
        OptionSpec("--out", value: "DIR", help: "the directory to write (replaced atomically if it exists)"),
        storeOption,
        OptionSpec("--key-file", value: "PATH", help: "master key file (default: the pipeline's)"),
    ])

/// The people a `forget` or `access` names, read in the pipeline's declared namespaces.
func people(_ args: ParsedArguments, _ pipeline: PipelineDefinition, allowFile: Bool) throws(SillageError) -> [(PersonIdentifier, String)] {
    guard let namespace = args.value("--namespace") else {
        throw SillageError.usage("--namespace is required", hint: "namespaces: " + PersonIdentifier.namespaces.map(\.name).joined(separator: ", "))
    }
    var texts = args.all("--id")
    if allowFile, let file = args.value("--file") { texts += try PersonIdentifier.lines(ofFile: file) }
    guard !texts.isEmpty else { throw SillageError.usage("name someone: --id ID" + (allowFile ? " or --file PATH" : "")) }
    let declared = pipeline.inputs.compactMap(\.identity)
    var out: [(PersonIdentifier, String)] = []
    for text in texts { out.append((try PersonIdentifier(namespace: namespace, text, declared: declared), text)) }
    return out
}

func forgetCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, forgetSpec)
    if args.wantsHelp { say(forgetSpec.help); return 0 }
    var pipeline = try pipelineAndStore(args)
    if let key = args.value("--key-file") { pipeline.keyFile = key }
    let named = try people(args, pipeline, allowFile: true)
    let key = try MasterKey.load(path: pipeline.keyFile)
    let store = try Store(path: pipeline.store)
    let outcome = try Erasure.forget(named.map(\.0), store: store, pseudonymiser: Pseudonymiser(key: key.bytes))
    say(
        "forgot \(outcome.people) person(s): \(outcome.rows) row(s) deleted from \(pipeline.store)\(outcome.alreadyOptedOut > 0 ? " (\(outcome.alreadyOptedOut) already on the opt-out list)" : ""); later runs drop their records"
    )
    return 0
}

func accessCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, accessSpec)
    if args.wantsHelp { say(accessSpec.help); return 0 }
    var pipeline = try pipelineAndStore(args)
    if let key = args.value("--key-file") { pipeline.keyFile = key }
    guard let out = args.value("--out") else { throw SillageError.usage("--out DIR is required") }
    let named = try people(args, pipeline, allowFile: false)
    guard named.count == 1 else { throw SillageError.usage("an access request names one person") }
    let key = try MasterKey.load(path: pipeline.keyFile)
    let store = try Store(path: pipeline.store)
    let outcome = try AccessRequest.answer(
        named[0].0, identifier: named[0].1, store: store, pseudonymiser: Pseudonymiser(key: key.bytes),
        zone: try ZoneRules(identifier: pipeline.timezone), to: out)
    let rows = outcome.rows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    say("wrote \(outcome.files.count) files to \(out)/ (private, mode 0700): \(rows)")
    return 0
}

let validateSpec = CommandSpec(
    path: "sillage validate",
    summary: "Checks a pipeline file (every key, with its JSON path), that its inputs exist and that its key file is usable.",
    positionals: [("PIPELINE", false, "pipeline file (JSON)")])

let keysInitSpec = CommandSpec(
    path: "sillage keys init",
    summary: "Creates a new random 32-byte master key with mode 0600. An existing key is never overwritten.",
    options: [OptionSpec("--key-file", value: "PATH", help: "where to write the key (default var/sillage.key)")])

func runCommand(_ words: [String]) async throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, runSpec)
    if args.wantsHelp { say(runSpec.help); return 0 }
    var pipeline: PipelineDefinition
    if let path = args.positionals.first {
        pipeline = try PipelineDefinition.load(path: path)
    } else {
        pipeline = PipelineDefinition()
    }
    let inputs = args.all("--input")
    if !inputs.isEmpty {
        pipeline.inputs = []
        for spec in inputs { pipeline.inputs.append(try InputDefinition.commandLine(spec, logFormat: args.value("--log-format"))) }
    }
    if pipeline.inputs.isEmpty {
        throw SillageError.usage(
            "nothing to read: give a pipeline file or --input FORMAT:GLOB",
            hint: "for example `sillage run Pipelines/sample.json` or `sillage run --input combined:'access.log*'`")
    }
    if let store = args.value("--store") { pipeline.store = store }
    if let out = args.value("--out") { pipeline.output = out }
    if let key = args.value("--key-file") { pipeline.keyFile = key }
    var options = RunOptions()
    if let t = args.value("--threads") {
        guard let n = Int(t), n >= 1, n <= 256 else { throw SillageError.usage("--threads takes a number from 1 to 256") }
        options.threads = n
    }
    if args.value("--since") != nil || args.value("--until") != nil {
        var bounds: [Int] = []
        for (name, fallback) in [("--since", Int(Int32.min)), ("--until", Int(Int32.max))] {
            guard let text = args.value(name) else { bounds.append(fallback); continue }
            guard let day = CivilTime.parseISODate(text) else {
                throw SillageError.usage("\(name) takes a date as YYYY-MM-DD, not \"\(text)\"")
            }
            bounds.append(day)
        }
        guard bounds[0] <= bounds[1] else { throw SillageError.usage("--since is after --until") }
        options.window = Int32(bounds[0])...Int32(bounds[1])
    }
    if let b = args.value("--batch-mb") {
        guard let n = Int(b), n >= 1, n <= 1 << 20 else { throw SillageError.usage("--batch-mb takes a number of megabytes from 1 to 1048576") }
        options.batchBytes = Int64(n) << 20
    }
    options.reprocess = args.all("--reprocess")
    options.dryRun = args.has("--dry-run")
    if options.dryRun && !options.reprocess.isEmpty {
        throw SillageError.usage("--dry-run and --reprocess cannot be combined", hint: "a dry run changes nothing in the store")
    }
    let runner = Runner(pipeline: pipeline, options: options)
    let progress = TerminalProgress.isTerminal ? TerminalProgress() : nil
    runner.progress = progress
    runner.onNotice = { notice($0) }
    let report: RunReport
    do throws(SillageError) {
        report = try await runner.run()
        progress?.clear()
    } catch {
        progress?.clear()
        throw error
    }
    if args.has("--json") {
        FileHandle.standardOutput.write(Data(RunSummary.json(report).serialized().utf8))
    } else {
        say(RunSummary.text(report))
    }
    return 0
}

func validateCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, validateSpec)
    if args.wantsHelp { say(validateSpec.help); return 0 }
    let path = args.positionals[0]
    let pipeline = try PipelineDefinition.load(path: path)
    var fileCount = 0
    for input in pipeline.inputs {
        do throws(SillageError) {
            fileCount += try InputPlan.files(of: input).count
        } catch {
            throw SillageError(error.kind, error.message, at: "\(path) at \(error.location ?? input.location)", hint: error.hint)
        }
    }
    var keyState = "present"
    if access(pipeline.keyFile, F_OK) == 0 {
        _ = try MasterKey.load(path: pipeline.keyFile)
    } else if pipeline.createKey {
        keyState = "will be created on the first run"
    } else {
        _ = try MasterKey.load(path: pipeline.keyFile)
    }
    say(
        "\(path): valid — \(pipeline.inputs.count) input(s) matching \(fileCount) file(s), \(pipeline.exports.count) export(s), key \(pipeline.keyFile) \(keyState)"
    )
    return 0
}

func keysCommand(_ words: [String]) throws(SillageError) -> Int32 {
    guard let sub = words.first else {
        throw SillageError.usage("missing keys subcommand", hint: "`sillage keys init`")
    }
    switch sub {
    case "init":
        let args = try ArgumentParser.parse(Array(words.dropFirst()), keysInitSpec)
        if args.wantsHelp { say(keysInitSpec.help); return 0 }
        let path = args.value("--key-file") ?? PipelineDefinition().keyFile
        try MasterKey.create(path: path)
        say("created \(path) (32 bytes, mode 0600). Keep it private and back it up.")
        return 0
    case "--help", "-h", "help":
        say(keysInitSpec.help)
        return 0
    default:
        throw SillageError.usage("unknown keys subcommand \"\(sub)\"", hint: "`sillage keys init`")
    }
}

func main() async -> Int32 {
    let words = Array(CommandLine.arguments.dropFirst())
    guard let command = words.first else {
        FileHandle.standardError.write(Data((topHelp + "\n").utf8))
        return 2
    }
    let rest = Array(words.dropFirst())
    do throws(SillageError) {
        switch command {
        case "run": return try await runCommand(rest)
        case "validate": return try validateCommand(rest)
        case "keys": return try keysCommand(rest)
        case "purge": return try purgeCommand(rest)
        case "journal": return try journalCommand(rest)
        case "budget": return try budgetCommand(rest)
        case "forget": return try forgetCommand(rest)
        case "access": return try accessCommand(rest)
        case "--help", "-h", "help": say(topHelp); return 0
        case "--version", "version": say("sillage \(version)"); return 0
        default:
            throw SillageError.usage(
                "unknown command \"\(command)\"", hint: "commands: run, validate, keys init, purge, journal, budget, forget, access")
        }
    } catch {
        printError(error)
        return error.exitCode
    }
}

exit(await main())
