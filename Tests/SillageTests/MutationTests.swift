import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest

/// Deterministic pseudo-random numbers for reproducible mutations.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

private let key = [UInt8](repeating: 3, count: 32)
private let zone = try! ZoneRules(identifier: "Europe/Paris")
private let pseudonymiser = Pseudonymiser(key: key)

private func mutate(_ input: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
    var bytes = input
    let hostile: [UInt8] = [0x22, 0x2C, 0x0A, 0x0D, 0x00, 0x7B, 0x7D, 0x5B, 0x5D, 0x5C, 0x3A, 0xFF, 0xC3, 0x27, 0x20]
    for _ in 0..<(1 + rng.below(4)) {
        guard !bytes.isEmpty else { break }
        switch rng.below(5) {
        case 0: bytes[rng.below(bytes.count)] = hostile[rng.below(hostile.count)]
        case 1: bytes.removeSubrange(rng.below(bytes.count)...)
        case 2: bytes.insert(hostile[rng.below(hostile.count)], at: rng.below(bytes.count))
        case 3: bytes.remove(at: rng.below(bytes.count))
        default: bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
        }
    }
    return bytes
}

private func parsers(for sample: [UInt8]) throws -> [(String, any ChunkParser)] {
    let logstoreHeader = Array(
        "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"
            .utf8)
    let reportHeader = Array("Time,User full name,Affected user,Event context,Component,Event name,Description,Origin,IP address\n".utf8)
    return [
        (
            "combined",
            AccessLogParser(
                format: AccessLogFormat.named("combined")!, stream: 0, profile: .moodle, visitorScope: .day,
                zone: zone, pseudonymiser: pseudonymiser)
        ),
        ("openedx", OpenEdxTrackingParser(stream: 0, zone: zone, pseudonymiser: pseudonymiser)),
        ("xapi-lines", XAPIStatementsParser(stream: 0, zone: zone, pseudonymiser: pseudonymiser)),
        ("xapi-document", XAPIStatementsParser(stream: 0, zone: zone, pseudonymiser: pseudonymiser, wholeDocument: true)),
        (
            "moodle-logstore",
            try MoodleLogstoreParser(header: CSVHeader(head: logstoreHeader)!, file: "f", stream: 0, zone: zone, pseudonymiser: pseudonymiser)
        ),
        (
            "moodle-report",
            try MoodleReportParser(header: CSVHeader(head: reportHeader)!, file: "f", stream: 0, zone: zone, pseudonymiser: pseudonymiser)
        ),
    ]
}

private let seeds: [String] = [
    #"192.0.2.1 - jdoe [29/Mar/2026:10:15:00 +0200] "GET /course/view.php?id=3 HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Linux x86_64)""#,
    #"2023-05-23 13:53:13,461 INFO 20 [tracking] - {"name": "play_video", "context": {"course_id": "course-v1:a+b+c", "user_id": 6}, "username": "u", "event": "{\"id\": \"abc\", \"code\": \"x\"}", "time": "2023-05-23T13:53:13.486905+00:00", "event_type": "play_video"}"#,
    #"{"actor": {"account": {"homePage": "https://h", "name": "7"}}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "object": {"id": "https://m.fr/course/view.php?id=7"}, "result": {"completion": true}, "context": {"contextActivities": {"parent": [{"id": "https://m.fr/course/view.php?id=7"}]}}, "timestamp": "2026-03-01T10:00:00Z"}"#,
    #"1,"\core\event\course_module_completion_updated",core,x,y,t,1,r,2,10,70,45,2,3,7,0,"{""completionstate"":1,""q"":""x""}",1774778400,web,192.0.2.9,"#,
    #"0,"23/01/23, 12:09",User 58,-,Front page,Logs,Course module viewed,"The user with id '58' viewed the 'url' activity with course module id '4051'.",web,0.0.0.0"#,
]

@Test func mutatedInputsNeverCrashAParserNorLoseARecord() throws {
    var rng = SplitMix(state: 20261123)
    var checked = 0
    for seed in seeds {
        let base = Array((seed + "\n" + seed + "\n").utf8)
        for (name, parser) in try parsers(for: base) {
            for _ in 0..<400 {
                let input = mutate(base, &rng)
                let r = parser.parse(LineChunk(bytes: input, index: 1, offset: 100, isOverlongLine: false))
                // Nothing lost: every record is an event, a skip or a reject.
                #expect(
                    r.events.count + r.counts.totalSkips + r.counts.totalRejects >= 1 || input.allSatisfy { $0 == 0x0A || $0 == 0x20 },
                    "\(name) accounted for nothing in \(String(decoding: input, as: UTF8.self))")
                #expect(r.events.allSatisfy { $0.object == 0 || Int($0.object) <= r.objects.count })
                checked += 1
            }
        }
    }
    #expect(checked == seeds.count * 6 * 400)
}

/// Inputs that once crashed a parser or broke an invariant under libFuzzer (Fuzz/run.sh),
/// replayed with the fuzzer's checks. The file name starts with the fuzz target.
@Test func fuzzerFindingsStayFixed() throws {
    let dir = TestSupport.packageRoot + "/Tests/SillageTests/FuzzRegressions"
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".bin") }.sorted()
    #expect(files.count >= 4)
    let parsersByTarget = Dictionary(uniqueKeysWithValues: try parsers(for: []).map { ($0.0, $0.1) })
    for file in files {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file)))
        let target = String(file[..<file.lastIndex(of: "-")!])
        if target == "json-tape" {
            var tape = JSONTape()
            let fast = bytes.withUnsafeBytes { tape.parse($0) }
            #expect(fast == ((try? JSONParser.parse(bytes, source: file)) != nil), "\(file)")
            continue
        }
        if target == "pii-scanner" {
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try PIIScanner(identifiers: [text]).finding(in: text)
            let marked = Array((text + " camille.martin@example.fr").utf8)
            #expect(PIIScanner().finding(in: String(decoding: marked, as: UTF8.self)) != nil, "\(file)")
            #expect(PIIScanner().finding(in: String(decoding: PersonalText.scrub(marked), as: UTF8.self)) == nil, "\(file)")
            continue
        }
        let parser = try #require(parsersByTarget[target == "xapi-document" ? "xapi-document" : target], "\(file)")
        let r = parser.parse(LineChunk(bytes: bytes, index: 1, offset: 1, isOverlongLine: false))
        #expect(r.events.count + r.references.count + r.counts.totalSkips + r.counts.totalRejects > 0, "\(file)")
        #expect(r.events.allSatisfy { Int($0.object) <= r.objects.count && Int($0.course) <= r.objects.count }, "\(file)")
    }
}
