import Foundation
import SillageCore
import SillagePrivacy
import SillageReports
import SillageStore
import SillagePipeline

let reportOptions = [
    OptionSpec("--lang", value: "fr|en", help: "language of the pages (default fr)"),
    OptionSpec("--csv", value: "DIALECT", help: "CSV companions in excel-fr (default: ;, decimal comma, BOM) or rfc4180"),
    OptionSpec("--out", value: "DIR", help: "directory of the reports (default: OUTPUT/reports of the pipeline)"),
    OptionSpec(
        "--audience", value: "WHO",
        help: "team (exact figures, the default), organisation, or public (figures protected like an export's: minCount, cell-key perturbation)"),
    OptionSpec("--min-count", value: "K", help: "a public report's smallest published group (default 11)"),
    storeOption,
    OptionSpec("--key-file", value: "PATH", help: "master key file (default: the pipeline's)"),
]

let reportSpec = CommandSpec(
    path: "sillage report completion|organisation|server",
    summary:
        "Writes a report as a self-contained HTML page (no network access needed, French by default) with its CSV companion, from what the store holds, and rewrites the directory's index.html.",
    positionals: [optionalPipeline],
    options: [
        OptionSpec("--course", value: "KEY", help: "completion: one course only"),
        OptionSpec(
            "--at-risk-days", value: "N", help: "completion, organisation: days without activity after which a started learner is at risk (default 7)"
        ),
        OptionSpec("--organisation", value: "ORG", help: "organisation: the organisation whose learners the report follows"),
        OptionSpec(
            "--learners", value: "FILE",
            help: "organisation: the organisation's own list (NS:ID[;label] per line), read now and never stored, to show its names"),
        OptionSpec("--day", value: "YYYY-MM-DD", help: "server: the local day of the report"),
    ] + reportOptions,
    details: "Reports declared under `reports` in the pipeline are refreshed by every run.")

func reportCommand(_ words: [String]) throws(SillageError) -> Int32 {
    guard let kind = words.first, !kind.hasPrefix("-") else {
        if words.contains("--help") || words.contains("-h") { say(reportSpec.help); return 0 }
        throw SillageError.usage("name the report: sillage report completion|organisation|server", hint: "sillage report --help")
    }
    let args = try ArgumentParser.parse(Array(words.dropFirst()), reportSpec)
    if args.wantsHelp { say(reportSpec.help); return 0 }
    var pipeline = try pipelineAndStore(args)
    if let key = args.value("--key-file") { pipeline.keyFile = key }
    var values: [String: String] = [:]
    for name in ["lang", "csv", "out", "audience", "min-count", "course", "at-risk-days", "organisation", "learners", "day"] {
        if let v = args.value("--" + name) { values[name] = v }
    }
    let definition = try ReportDefinition.command(kind, values: values)
    let store = try existingStore(pipeline)
    let key = try MasterKey.load(path: pipeline.keyFile)
    try store.checkKey(key, keyFile: pipeline.keyFile)
    let outcome = try ReportPhase(pipeline: pipeline, key: key).make(definition, store: store, run: nil)
    say("wrote \(outcome.files.count) files to \(outcome.directory)/: \(outcome.files.joined(separator: ", "))")
    return 0
}
