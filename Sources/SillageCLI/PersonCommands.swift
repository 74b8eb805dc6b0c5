import Foundation
import SillageCore
import SillagePrivacy
import SillageIngest
import SillageStore
import SillagePipeline

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
        OptionSpec("--file", value: "PATH", help: "a file of identifiers, one per line (blank and # lines skipped)"),
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
        OptionSpec("--out", value: "DIR", help: "a new or empty directory to write the answer to (mode 0700)"),
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
    try store.checkKey(key, keyFile: pipeline.keyFile)
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
    try store.checkKey(key, keyFile: pipeline.keyFile)
    let outcome = try AccessRequest.answer(
        named[0].0, identifier: named[0].1, store: store, pseudonymiser: Pseudonymiser(key: key.bytes),
        zone: try ZoneRules(identifier: pipeline.timezone), to: out)
    let rows = outcome.rows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    say("wrote \(outcome.files.count) files to \(out)/ (private, mode 0700): \(rows)")
    return 0
}
