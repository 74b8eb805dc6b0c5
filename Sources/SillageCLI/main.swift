import Foundation
import SillageCore

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
      report KIND [PIPELINE]  write a completion, organisation or server report (HTML and CSV)

    `sillage COMMAND --help` describes each command. Exit codes: 0 success, 1 run failure,
    2 usage or configuration error, 3 data error (reject rate over the limit, PII guard hit).
    """

/// The pipeline positional and `--store` option of the commands that work on a pipeline's store.
let optionalPipeline = ("PIPELINE", true, "pipeline file (JSON); without it the built-in defaults apply")
let storeOption = OptionSpec("--store", value: "PATH", help: "SQLite store (default: the pipeline's)")

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
        case "report": return try reportCommand(rest)
        case "--help", "-h", "help": say(topHelp); return 0
        case "--version", "version": say("sillage \(version)"); return 0
        default:
            throw SillageError.usage(
                "unknown command \"\(command)\"", hint: "commands: run, validate, keys init, purge, journal, budget, forget, access, report")
        }
    } catch {
        printError(error)
        return error.exitCode
    }
}

exit(await main())
