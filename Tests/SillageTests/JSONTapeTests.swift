import Foundation
import Testing
@testable import SillageCore

private func withTape<T>(_ text: String, _ body: (inout JSONTape, Bool) -> T) -> T {
    var tape = JSONTape()
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { raw in
        let ok = tape.parse(raw)
        return body(&tape, ok)
    }
}

@Test func tapeNavigatesObjectsArraysAndScalars() {
    let doc = #"{"a": {"b": [1, 2.5, "x\"y", true, null, {}], "c": "\u00e9t\u00e9"}, "n": -42, "e": [], "s": "12"}"#
    withTape(doc) { tape, ok in
        #expect(ok)
        let root = tape.root!
        let b = tape.path(root, "a", "b")!
        let items = tape.elements(b)
        #expect(items.count == 6)
        #expect(tape.int(items[0]) == 1)
        #expect(tape.double(items[1]) == 2.5)
        #expect(tape.string(items[2]) == "x\"y")
        #expect(tape.kind(items[3]) == .bool && tape.nodes[items[3]].flag)
        #expect(tape.kind(items[4]) == .null)
        #expect(tape.members(items[5]).isEmpty)
        #expect(tape.string(tape.path(root, "a", "c")!) == "été")
        #expect(tape.equals(tape.path(root, "a", "c")!, "été"))
        #expect(tape.int(tape.member(root, "n")!) == -42)
        #expect(tape.elements(tape.member(root, "e")!).isEmpty)
        #expect(tape.int(tape.member(root, "s")!) == 12)
        #expect(tape.member(root, "missing") == nil)
        #expect(tape.members(root).count == 4)
    }
}

@Test(arguments: [
    "", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\":1 \"b\":2}", "tru", "nul", "\"abc",
    "{\"a\":1}}", "[[]", "{\"a\":[1,2}", "{} {}", "{\"a\":\"\u{1}\"}", "{'a':1}", "[1]x",
    #"{"a": "\u121{x"}"#, #"{"a": "\q"}"#, #"{"a": "\u12"}"#, #"{"a": "\u+ca2"}"#, #"{"a": "\u-0a2"}"#, #"{"a": "\u 0a2"}"#,
    #"{"a": 1, "a": 2}"#, #"{"a": 1, "\u0061": 2}"#, #"[{"x": {"a": [], "b": 0, "a": {}}}]"#,
    "{" + (0..<20).map { "\"k\($0)\": 0" }.joined(separator: ", ") + ", \"k3\": 1}",
])
func tapeRejectsMalformedDocuments(text: String) {
    withTape(text) { _, ok in #expect(!ok, "accepted: \(text)") }
    #expect((try? JSONParser.parse(Array(text.utf8), source: "t")) == nil, "the strict reader accepted: \(text)")
}

@Test(.enabled(if: TestSupport.hasSamples, "needs ../shared/learning-analytics-samples beside the project"))
func tapeAgreesWithTheStrictParserOnRealFixturesAndTheirTruncations() throws {
    let samples = try #require(TestSupport.samplesDirectory)
    var documents: [String] = []
    for file in [
        "openedx-tracking-logs/edx-analytics-pipeline_event_export_tracking.log",
        "openedx-tracking-logs/event-routing-backends_tracking.log",
        "openedx-tracking-logs/edx-analytics-pipeline_obfuscation_tracking.INPUT.log",
        "xapi/ralph_data_statements.head20.jsonl",
    ] {
        for line in try String(contentsOfFile: samples + "/" + file, encoding: .utf8).split(separator: "\n") {
            let text = String(line)
            documents.append(text.firstIndex(of: "{").map { String(text[$0...]) } ?? text)
        }
    }
    for file in try FileManager.default.contentsOfDirectory(atPath: samples + "/xapi") where file.hasSuffix(".json") {
        documents.append(try String(contentsOfFile: samples + "/xapi/" + file, encoding: .utf8))
    }
    #expect(documents.count > 60)
    var checked = 0
    for doc in documents {
        let bytes = Array(doc.utf8)
        for cut in [bytes.count, bytes.count / 2, bytes.count * 9 / 10, 1] where cut <= bytes.count {
            let prefix = Array(bytes[..<cut])
            let strict = (try? JSONParser.parse(prefix, source: "t")) != nil
            var tape = JSONTape()
            let fast = prefix.withUnsafeBytes { tape.parse($0) }
            #expect(strict == fast, "disagree on \(String(decoding: prefix.prefix(80), as: UTF8.self))…")
            checked += 1
        }
    }
    #expect(checked > 240)
}

@Test(arguments: ["-e8", "01", "1.", ".5", "1e", "1e+", "-", "--1", "1.2.3", "0x10", "1e5x", "[1,2,]", "-0", "0.5e-3", "[-1.5E+2]", "1E5", "32e700"])
func bothJSONReadersFollowTheNumberGrammar(text: String) {
    var tape = JSONTape()
    let bytes = Array(text.utf8)
    let fast = bytes.withUnsafeBytes { tape.parse($0) }
    let strict = (try? JSONParser.parse(bytes, source: "t")) != nil
    #expect(fast == strict, "\(text)")
    let valid = ["-0", "0.5e-3", "[-1.5E+2]", "1E5", "32e700"].contains(text)
    #expect(strict == valid, "\(text)")
}
