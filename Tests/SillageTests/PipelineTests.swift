import Foundation
import Testing
@testable import SillageCore
@testable import SillageIngest
@testable import SillageMetrics
@testable import SillageExport
@testable import SillagePipeline
@testable import SillageCLI

private func parsePipeline(_ text: String) throws(SillageError) -> PipelineDefinition {
    try PipelineDefinition.parse(Array(text.utf8), source: "p.json")
}

@Test func theSamplePipelineIsValid() throws {
    let p = try PipelineDefinition.load(path: TestSupport.packageRoot + "/Pipelines/sample.json")
    #expect(
        p.inputs.map(\.type) == [
            "combined", "moodle-logstore", "moodle-report", "moodle-course-completions",
            "course-catalogue", "organisations", "openedx-tracking", "xapi",
        ])
    #expect(p.inputs.last?.identity == "moodle-userid")
    // Relative to the pipeline file's directory, wherever the run starts.
    #expect(p.store == TestSupport.packageRoot + "/var/sample.sqlite")
    #expect(p.output == TestSupport.packageRoot + "/out")
    #expect(p.exports[0].minCount == 11)
}

@Test(arguments: [
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a.log"], "fromat": "x"}]}"#,
        #"p.json at $.inputs[0].fromat: unknown key "fromat""#
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a.log"]}], "sesions": {}}"#,
        #"did you mean "sessions"?"#
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a.log"]}], "sessions": {"inactivityMinutes": "30"}}"#,
        "p.json at $.sessions.inactivityMinutes: expected an integer, found a string"
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a.log"]}], "sessions": {"inactivityMinutes": 0}}"#,
        "out of range"
    ),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a.log"]}], "maxRejectRate": 32e700}"#,
        "p.json at $.maxRejectRate: inf is out of range 0.0...1.0"
    ),
    (#"{"inputs": []}"#, "p.json at $.version: missing required key"),
    (#"{"version": 2, "inputs": []}"#, "unsupported pipeline version 2"),
    (#"{"version": 1, "inputs": []}"#, "p.json at $.inputs: a pipeline needs at least one input"),
    (#"{"version": 1, "inputs": [{"type": "combine", "paths": ["a"]}]}"#, #"p.json at $.inputs[0].type: unknown input type "combine""#),
    (#"{"version": 1, "inputs": [{"type": "apache", "paths": ["a"]}]}"#, "p.json at $.inputs[0].logFormat: a apache input needs a logFormat"),
    (#"{"version": 1, "inputs": [{"type": "nginx", "paths": ["a"], "logFormat": "$remote_addr [$time_local]"}]}"#, "no request"),
    (#"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"], "visitorScope": "week"}]}"#, "visitorScope is \"day\" or \"persistent\""),
    (#"{"version": 1, "timezone": "Paris", "inputs": [{"type": "combined", "paths": ["a"]}]}"#, "p.json at $.timezone: unknown time zone"),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "exports": [{"tables": ["daily"]}]}"#,
        #"p.json at $.exports[0].tables[0]: unknown table "daily""#
    ),
    (#"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "exports": [{"period": "March"}]}"#, "a period is all"),
    (#"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "exports": [{"name": "../etc"}]}"#, "an export name uses"),
    (#"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "exports": [{}, {}]}"#, "two exports write to research/default/all"),
    ("{\"version\": 1,\n \"inputs\": [\n  {\"type\": \"combined\" \"paths\": []}]}", "p.json:3:23: invalid JSON: expected ',' or '}'"),
    (#"{"version": 1, "version": 1}"#, "duplicate key"),
    ("", "the document ends where a value was expected"),
    // Two recipients may compare their files: microdata for one, perturbed tables of the
    // same sessions for the other, is refused as for one recipient.
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "recipients": [{"name": "a"}, {"name": "b"}], "exports": [{"recipient": "a", "tables": [], "microdata": {}}, {"recipient": "b", "tables": ["daily_activity"]}]}"#,
        #"p.json at $.exports[0].microdata: session microdata and tables of the same sessions (daily_activity in export "research" for "b") would leave this store"#
    ),
    (#"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"]}], "exports": [{"perturbationTable": {"variance": 0.01}}]}"#, "variance"),
    (
        #"{"version": 1, "inputs": [{"type": "combined", "paths": ["a"], "clientAddress": "xff"}]}"#,
        #"clientAddress is "remote" or "x-forwarded-for", not "xff""#
    ),
])
func badPipelinesAreExplainedWithTheirJSONPath(text: String, message: String) {
    do {
        _ = try parsePipeline(text)
        Issue.record("expected an error for \(text)")
    } catch {
        #expect(error.description.contains(message), "got: \(error.description)")
        #expect(error.exitCode == 2)
    }
}

@Test(arguments: [
    ("all", "all"), ("2026", "2026"), ("2026-03", "2026-03"), ("2026-03-01..2026-03-31", "2026-03-01_2026-03-31"),
])
func periodsNameTheirDirectory(text: String, directory: String) throws {
    #expect(try #require(ExportPeriod.parse(text)).directoryName == directory)
}

@Test func periodsCoverTheirDays() throws {
    let march = try #require(ExportPeriod.parse("2026-03")?.dayRange)
    #expect(march.count == 31)
    #expect(CivilTime.isoDate(days: march.lowerBound) == "2026-03-01")
    #expect(ExportPeriod.parse("2026-02-30..2026-03-01") == nil)
    #expect(ExportPeriod.parse("2026-03-02..2026-03-01") == nil)
}

@Test func jsonParserHandlesEscapesAndNumbers() throws {
    let value = try JSONParser.parse(Array(#"{"a": "\u00e9\n\"x\"", "b": [1, -2.5e3, true, null], "c": "\ud83d\ude00"}"#.utf8), source: "t")
    #expect(value["a"] == .string("é\n\"x\""))
    #expect(value["b"] == .array([.int(1), .double(-2500), .bool(true), .null]))
    #expect(value["c"] == .string("😀"))
    #expect(value.serialized(pretty: false) == #"{"a":"é\n\"x\"","b":[1,-2500,true,null],"c":"😀"}"#)
}

@Test(arguments: [
    ["run", "--bogus"], ["run", "--store"], ["run", "--threads", "0"], ["run", "--input", "combined"],
    ["run", "--input", "fancy:x.log"], ["validate"], ["keys", "rotate"], ["launch"], ["run", "--store", "a", "--store", "b"],
])
func usageErrorsExitWithCodeTwo(arguments: [String]) throws {
    let r = try TestSupport.run(TestSupport.binary, arguments)
    #expect(r.status == 2, "\(arguments): \(r.stderr)")
    #expect(r.stderr.hasPrefix("sillage: error: "))
}

@Test(arguments: [["--help"], ["run", "--help"], ["validate", "--help"], ["keys", "init", "--help"]])
func everyCommandHasHelp(arguments: [String]) throws {
    let r = try TestSupport.run(TestSupport.binary, arguments)
    #expect(r.status == 0)
    #expect(r.stdout.contains("usage: sillage"))
}

@Test func runHelpListsEveryInputTypeOfTheRegistryWithItsSummary() throws {
    let r = try TestSupport.run(TestSupport.binary, ["run", "--help"])
    #expect(r.status == 0)
    #expect(StageRegistry.ingestList.count == 24)
    for stage in StageRegistry.ingestList {
        let line = r.stdout.split(separator: "\n").first { $0.split(separator: " ").first.map(String.init) == stage.name }
        #expect(line?.hasSuffix(stage.summary) == true, "\(stage.name) missing from run --help")
    }
}

@Test(arguments: [
    ("combined", "--input takes FORMAT:GLOB"), ("bogus:x.log", "unknown input format \"bogus\""),
    ("apache:x.log", "--input apache:… needs --log-format"),
])
func commandLineInputsAreChecked(spec: String, message: String) {
    #expect(throws: SillageError.self) { try InputDefinition.commandLine(spec, logFormat: nil) }
    do {
        _ = try InputDefinition.commandLine(spec, logFormat: nil)
    } catch {
        #expect(error.message.hasPrefix(message), "\(error.message)")
    }
}

@Test func aCommandLineInputTakesItsStagesStreamAndLogFormat() throws {
    let web = try InputDefinition.commandLine("nginx:logs/a.log", logFormat: #"$remote_addr [$time_local] "$request" $status"#)
    #expect(web.paths == ["logs/a.log"] && web.stream == "web" && web.logFormat != nil && web.location == "--input nginx:logs/a.log")
    let lms = try InputDefinition.commandLine("xapi:s.jsonl", logFormat: nil)
    #expect(lms.stream == "lms" && lms.logFormat == nil)
}

@Test func argumentParserReadsValuesFlagsAndPositionals() throws {
    let spec = CommandSpec(
        path: "t", summary: "", positionals: [("A", true, "")],
        options: [OptionSpec("--x", value: "V", repeatable: true, help: ""), OptionSpec("--f", help: "")])
    let parsed = try ArgumentParser.parse(["p.json", "--x", "1", "--x=2", "--f"], spec)
    #expect(parsed.positionals == ["p.json"])
    #expect(parsed.all("--x") == ["1", "2"])
    #expect(parsed.has("--f"))
    do {
        _ = try ArgumentParser.parse(["--y"], spec)
        Issue.record("expected an error")
    } catch {
        #expect(error.description.contains("unknown option --y"))
    }
}

@Test func validateChecksThePipelineAndItsInputs() throws {
    let r = try TestSupport.run(TestSupport.binary, ["validate", "Pipelines/sample.json"], in: TestSupport.packageRoot)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("valid — 8 input(s) matching 10 file(s)"))
    let dir = TestSupport.temporaryDirectory("validate")
    defer { TestSupport.remove(dir) }
    let path = dir + "/p.json"
    try #"{"version": 1, "inputs": [{"type": "combined", "paths": ["nowhere/access.log*"]}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
    let bad = try TestSupport.run(TestSupport.binary, ["validate", path], in: dir)
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("$.inputs[0].paths: \(dir)/nowhere/access.log*: the glob matches no file"), "\(bad.stderr)")
}

@Test func theReadmeListsTheEventMappingTablesOfTheCode() throws {
    let readme = try String(contentsOfFile: TestSupport.packageRoot + "/README.md", encoding: .utf8)
    if ProcessInfo.processInfo.environment["SILLAGE_UPDATE_GOLDEN"] == "1" {
        try EventMapping.markdown.write(toFile: NSTemporaryDirectory() + "sillage-event-mapping.md", atomically: true, encoding: .utf8)
    }
    #expect(readme.contains(EventMapping.markdown), "README.md must carry EventMapping.markdown verbatim")
    for type in StageRegistry.ingestTypeNames {
        #expect(readme.contains("`\(type)`"), "README.md does not document the input type \(type)")
    }
    for table in TableRegistry.tableNames {
        #expect(readme.contains("`\(table)`"), "README.md does not document the table \(table)")
    }
}

@Test(arguments: [
    ("../var/s.sqlite", "Pipelines", "var/s.sqlite"), ("var/s.sqlite", ".", "var/s.sqlite"), ("/srv/s.sqlite", "Pipelines", "/srv/s.sqlite"),
    ("-", "Pipelines", "-"), ("logs/*.gz", "/etc/sillage", "/etc/sillage/logs/*.gz"), ("../../x", "a", "../x"),
    ("./in/../in/a.log", "conf", "conf/in/a.log"), ("../../../x", "/etc", "/x"),
])
func pipelinePathsResolveAgainstTheFilesDirectory(path: String, directory: String, resolved: String) {
    #expect(PipelineDefinition.resolve(path, against: directory) == resolved)
}

@Test func aPipelineRunFromAnotherWorkingDirectoryUsesItsOwnDirectorysPaths() throws {
    let dir = TestSupport.temporaryDirectory("pipeline-dir")
    defer { TestSupport.remove(dir) }
    let conf = dir + "/conf", elsewhere = dir + "/elsewhere"
    for d in [conf, elsewhere, dir + "/logs"] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
    try
        "10.0.0.1 - - [29/Mar/2026:10:00:00 +0200] \"GET /course/view.php?id=3 HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0\"\n"
        .write(toFile: dir + "/logs/access.log", atomically: false, encoding: .utf8)
    try """
    {"version": 1, "key": {"file": "../var/k.key", "createIfMissing": true}, "store": "../var/s.sqlite", "output": "../out",
     "inputs": [{"type": "combined", "paths": ["../logs/*.log"], "stream": "web"}]}
    """.write(toFile: conf + "/p.json", atomically: false, encoding: .utf8)
    let r = try TestSupport.run(TestSupport.binary, ["run", conf + "/p.json"], in: elsewhere)
    #expect(r.status == 0, "\(r.stderr)")
    for made in ["/var/k.key", "/var/s.sqlite", "/out"] { #expect(FileManager.default.fileExists(atPath: dir + made), "\(made)") }
    #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty, "nothing is made in the working directory")
    // The same run from the pipeline's own directory finds the same store, key and file.
    let again = try TestSupport.run(TestSupport.binary, ["run", "p.json"], in: conf)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stdout.contains("sessions 0 new"), "\(again.stdout)")
}

/// A file declared in one access-log format but written in another is told which.
@Test(arguments: [
    ("combined", "caddy.log", "caddy-json"), ("common", "nginx-main.log", "combined"), ("combined", "elb.log", "elb"),
    ("nginx-json", "cloudflare.log", "cloudflare-json"), ("combined", "haproxy.log", "haproxy"),
])
func formatHintsNameTheAccessLogFormatTheLinesMatch(declared: String, file: String, actual: String) throws {
    let text = try String(contentsOfFile: TestSupport.packageRoot + "/Tests/SillageTests/VendorLogs/" + file, encoding: .utf8)
    let first = String(text.split(separator: "\n")[0])
    #expect(FormatDiagnosis.likelyCause(declared: declared, sample: Array(first.utf8)) == "the lines match the \(actual) format, not \(declared)")
}

/// Every hint names a type that exists, and never tells an input it looks like its own type.
@Test(arguments: [
    ("combined", #"{"event_type": "x"}"#), ("xapi", #"{"event_type": "x"}"#), ("openedx-tracking", #"{"verb": {}}"#),
    ("combined", #"[{"verb": {}}]"#), ("xapi", #"[{"x": 1}]"#),
])
func formatHintsNameTypesThatExist(declared: String, sample: String) {
    let hint = FormatDiagnosis.likelyCause(declared: declared, sample: Array(sample.utf8))
    let named = StageRegistry.ingest.keys.filter { hint.contains($0) }
    #expect(!named.isEmpty, "\(hint)")
    #expect(!hint.contains("not \(declared)") || !hint.contains("\(declared) records)"), "\(hint)")
    if declared == "xapi" || declared == "openedx-tracking" { #expect(!hint.hasSuffix("not \(declared)"), "\(hint)") }
}
