import Foundation
import SillageCore
import SillagePrivacy
import SillageIngest
import SillageStore
import SillagePipeline

let forgetSpec = CommandSpec(
    path: "sillage forget",
    summary:
        "Deletes everything the store derived from the person named (under every namespace given, in one act), adds their keyed hash to the opt-out list so that later runs drop their records as they are parsed, and journals it (counts only). Asking twice is harmless.",
    positionals: [optionalPipeline],
    options: [
        OptionSpec(
            "--id", value: "NS:ID", repeatable: true,
            help: "the person in one namespace (" + PersonIdentifier.namespaces.map(\.name).joined(separator: ", ")
                + ", or an identity the pipeline declares); repeat it for every namespace the person is known in"),
        OptionSpec("--namespace", value: "NS", help: "read every --id and --file line as a plain ID in this namespace"),
        OptionSpec("--file", value: "PATH", help: "a file of NS:ID lines (blank and # lines skipped), forgotten with the --id ones"),
        storeOption,
        OptionSpec("--key-file", value: "PATH", help: "master key file (default: the pipeline's)"),
    ])

let accessSpec = CommandSpec(
    path: "sillage access",
    summary:
        "Writes everything the store holds about one person — under each identity named, never merged — sessions, learner-day summaries, courses, completions, content views, searches — as person.json and CSV files in a private directory (mode 0700), for access and portability requests, and journals it.",
    positionals: [optionalPipeline],
    options: [
        OptionSpec(
            "--id", value: "NS:ID", repeatable: true,
            help: "the person in one namespace (see `sillage forget --help`); repeat it for every namespace they are known in"),
        OptionSpec("--namespace", value: "NS", help: "read every --id as a plain ID in this namespace"),
        OptionSpec("--out", value: "DIR", help: "a new or empty directory to write the answer to (mode 0700)"),
        storeOption,
        OptionSpec("--key-file", value: "PATH", help: "master key file (default: the pipeline's)"),
    ])

/// The identifiers a `forget` or `access` names, read in the pipeline's declared namespaces:
/// `--id NS:ID` (repeatable, one person known under several namespaces), or `--namespace NS`
/// with plain `--id ID`s.
func people(_ args: ParsedArguments, _ pipeline: PipelineDefinition, allowFile: Bool) throws(SillageError) -> [(PersonIdentifier, String)] {
    var texts = args.all("--id")
    if allowFile, let file = args.value("--file") { texts += try PersonIdentifier.lines(ofFile: file) }
    guard !texts.isEmpty else { throw SillageError.usage("name someone: --id NS:ID" + (allowFile ? " or --file PATH" : "")) }
    let declared = pipeline.inputs.compactMap(\.identity)
    var out: [(PersonIdentifier, String)] = []
    for text in texts {
        if let namespace = args.value("--namespace") {
            out.append((try PersonIdentifier(namespace: namespace, text, declared: declared), text))
        } else {
            let person = try PersonIdentifier(qualified: text, declared: declared)
            out.append((person, String(text.drop { $0 != ":" }.dropFirst())))
        }
    }
    return out
}

func forgetCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, forgetSpec)
    if args.wantsHelp { say(forgetSpec.help); return 0 }
    var pipeline = try pipelineAndStore(args)
    if let key = args.value("--key-file") { pipeline.keyFile = key }
    let named = try people(args, pipeline, allowFile: true)
    let key = try MasterKey.load(path: pipeline.keyFile)
    // A mistyped store path must not become a new store that takes the opt-out, while the
    // real one keeps the person.
    let store = try existingStore(pipeline)
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
    let key = try MasterKey.load(path: pipeline.keyFile)
    let store = try existingStore(pipeline)
    try store.checkKey(key, keyFile: pipeline.keyFile)
    let outcome = try AccessRequest.answer(
        named, store: store, pseudonymiser: Pseudonymiser(key: key.bytes), zone: try ZoneRules(identifier: pipeline.timezone), to: out)
    let rows = outcome.rows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    say("wrote \(outcome.files.count) files to \(out)/ (private, mode 0700): \(rows)")
    return 0
}
