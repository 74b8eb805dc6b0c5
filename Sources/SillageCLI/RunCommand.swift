import Foundation
import SillageCore
import SillagePipeline

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

func runCommand(_ words: [String]) async throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, runSpec)
    if args.wantsHelp { say(runSpec.help); return 0 }
    let progress = TerminalProgress.isTerminal ? TerminalProgress() : nil
    let report: RunReport
    do throws(SillageError) {
        let runner = Runner(pipeline: try runPipeline(args), options: try runOptions(args))
        runner.progress = progress
        runner.onNotice = { notice($0) }
        report = try await runner.run()
        progress?.clear()
    } catch {
        progress?.clear()
        // A script reading --json gets a report whatever happens: the error, as on stderr.
        if args.has("--json") {
            let failure = JSONValue.object([
                ("status", .string("failed")),
                ("error", .object([("message", .string(error.description)), ("exitCode", .int(Int64(error.exitCode)))])),
            ])
            FileHandle.standardOutput.write(Data(failure.serialized().utf8))
        }
        throw error
    }
    if args.has("--json") {
        FileHandle.standardOutput.write(Data(RunSummary.json(report).serialized().utf8))
    } else {
        say(RunSummary.text(report))
    }
    return 0
}

/// The pipeline file, or the defaults, with the command line's inputs and paths.
func runPipeline(_ args: ParsedArguments) throws(SillageError) -> PipelineDefinition {
    var pipeline = try args.positionals.first.map { (path) throws(SillageError) in try PipelineDefinition.load(path: path) } ?? PipelineDefinition()
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
    return pipeline
}

func runOptions(_ args: ParsedArguments) throws(SillageError) -> RunOptions {
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
    return options
}
