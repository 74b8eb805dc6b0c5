import Foundation
import SillageCore
import SillagePrivacy
import SillageIngest
import SillagePipeline

let validateSpec = CommandSpec(
    path: "sillage validate",
    summary: "Checks a pipeline file (every key, with its JSON path), that its inputs exist and that its key file is usable.",
    positionals: [("PIPELINE", false, "pipeline file (JSON)")])

let keysInitSpec = CommandSpec(
    path: "sillage keys init",
    summary: "Creates a new random 32-byte master key with mode 0600. An existing key is never overwritten.",
    options: [OptionSpec("--key-file", value: "PATH", help: "where to write the key (default var/sillage.key)")])

func validateCommand(_ words: [String]) throws(SillageError) -> Int32 {
    let args = try ArgumentParser.parse(words, validateSpec)
    if args.wantsHelp { say(validateSpec.help); return 0 }
    let path = args.positionals[0]
    let pipeline = try PipelineDefinition.load(path: path)
    var fileCount = 0
    var detected: [String] = []
    let zone = try ZoneRules(identifier: pipeline.timezone)
    for input in pipeline.inputs {
        do throws(SillageError) {
            fileCount += try InputPlan.files(of: input).count
        } catch {
            throw SillageError(error.kind, error.message, at: "\(path) at \(error.location ?? input.location)", hint: error.hint)
        }
        detected += try FormatSniffer.describe(input, zone: zone)
    }
    if let list = pipeline.crawlerList { _ = try CrawlerList.load(list) }
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
    for line in detected { say("  " + line) }
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
