import Foundation
import Testing
@testable import SillageCore

/// One bad (or awkward) input: files to create, the command line, and what must come out.
struct BadInput: CustomTestStringConvertible, Sendable {
    var name: String
    var files: [String: [UInt8]] = [:]
    var arguments: [String]
    var environment: [String: String] = [:]
    var exitCode: Int32
    /// The whole standard error, or, for successful runs, a line standard output must contain.
    var expected: String
    var setup: (@Sendable (String) throws -> Void)? = nil

    var testDescription: String { name }
}

private let good = Array("192.0.2.1 - - [29/Mar/2026:10:00:00 +0200] \"GET /my/ HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n".utf8)
private func goodLines(_ n: Int) -> [UInt8] { (0..<n).flatMap { _ in good } }
private let run = ["run", "--store", "var/s.sqlite", "--out", "out", "--key-file", "k"]
private func gz(_ bytes: [UInt8]) -> [UInt8] { (try? GzipWriter.compress(bytes)) ?? [] }
private func pipelineFile(_ json: String) -> [String: [UInt8]] { ["p.json": Array(json.utf8)] }
private let minimalInputs = #""inputs": [{"type": "combined", "paths": ["a.log"]}]"#

let badInputs: [BadInput] = [
    BadInput(
        name: "combined lines declared common", files: ["a.log": goodLines(30)], arguments: run + ["--input", "common:a.log"], exitCode: 3,
        expected:
            "sillage: error: a.log: 100% of 30 records rejected (malformed-line: 30; first at line 1, line 2, line 3), over the limit of 5%; nothing of this file was committed\n  hint: likely cause: the lines match the combined format, not common\n  the first rejected records are in var/rejects/run-1.tsv (private, mode 0600)\n"
    ),
    BadInput(
        name: "purge with a mistyped store", arguments: ["purge", "--store", "var/typo.sqlite"], exitCode: 2,
        expected: "sillage: error: var/typo.sqlite: no store here yet\n  hint: run the pipeline first\n"
    ),
    BadInput(
        name: "forget with a mistyped store",
        arguments: ["forget", "--store", "var/typo.sqlite", "--key-file", "k", "--id", "moodle-userid:7"], exitCode: 2,
        expected: "sillage: error: var/typo.sqlite: no store here yet\n  hint: run the pipeline first\n"
    ),
    BadInput(
        name: "journal with a mistyped action", arguments: ["journal", "--store", "var/s.sqlite", "--action", "purg"], exitCode: 2,
        expected: "sillage: error: --action is retention, erasure, access, export, reprocess, report, not \"purg\"\n  hint: did you mean retention?\n"
    ),
    BadInput(
        name: "journal with a near action", arguments: ["journal", "--store", "var/s.sqlite", "--action", "erasre"], exitCode: 2,
        expected: "sillage: error: --action is retention, erasure, access, export, reprocess, report, not \"erasre\"\n  hint: did you mean erasure?\n"
    ),
    BadInput(
        name: "truncated gzip", files: ["a.log.gz": Array(gz(goodLines(200)).dropLast(30))],
        arguments: run + ["--input", "combined:a.log.gz"], exitCode: 3,
        expected:
            "sillage: error: a.log.gz: gzip member 1 ends inside its compressed data (compressed offset 184)\n  hint: the file may be truncated or damaged; recompress it or exclude it\n"
    ),
    BadInput(
        name: "corrupt gzip member",
        files: [
            "a.log.gz": {
                var b = gz(goodLines(200)); for i in 12..<30 { b[i] ^= 0x5A }; return b
            }()
        ],
        arguments: run + ["--input", "combined:a.log.gz"], exitCode: 3,
        expected:
            "sillage: error: a.log.gz: gzip member 1 has corrupt compressed data (zlib status -3) (compressed offset 19)\n  hint: the file may be truncated or damaged; recompress it or exclude it\n"
    ),
    BadInput(
        name: "second gzip member damaged", files: ["a.log.gz": gz(goodLines(5)) + Array(gz(goodLines(5)).prefix(15))],
        arguments: run + ["--input", "combined:a.log.gz"], exitCode: 3,
        expected:
            "sillage: error: a.log.gz: gzip member 2 ends inside its compressed data (compressed offset 143)\n  hint: the file may be truncated or damaged; recompress it or exclude it\n"
    ),
    BadInput(
        name: "invalid UTF-8 is kept as bytes and percent-encoded",
        files: [
            "a.log": goodLines(3) + Array("192.0.2.2 - - [29/Mar/2026:10:00:00 +0200] \"GET /caf".utf8) + [0xE9, 0xFF]
                + Array(" HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (X11; Linux)\"\n".utf8)
        ],
        arguments: run + ["--input", "combined:a.log"], exitCode: 0, expected: "records  4: 4 events, 0 skipped, 0 rejected"),
    BadInput(
        name: "a 10 MB line", files: ["a.log": goodLines(40) + [UInt8](repeating: 65, count: 10 << 20) + [0x0A] + goodLines(40)],
        arguments: run + ["--input", "combined:a.log"], exitCode: 0, expected: "rejected line-too-long 1"),
    BadInput(
        name: "NUL bytes", files: ["a.log": goodLines(40) + [UInt8](repeating: 0, count: 300) + [0x0A]],
        arguments: run + ["--input", "combined:a.log"], exitCode: 0, expected: "a.log: line 41 (malformed-line)"),
    BadInput(
        name: "a file of NUL bytes only", files: ["a.log": [UInt8](repeating: 0, count: 4096) + [0x0A]],
        arguments: run + ["--input", "combined:a.log"], exitCode: 3,
        expected:
            "sillage: error: a.log: 100% of 1 records rejected (malformed-line: 1; first at line 1), over the limit of 5%; nothing of this file was committed\n  hint: likely cause: the file holds NUL bytes (a damaged or preallocated log)\n  the first rejected records are in var/rejects/run-1.tsv (private, mode 0600)\n"
    ),
    BadInput(
        name: "CRLF line ends", files: ["a.log": goodLines(3).split(separator: 0x0A).flatMap { Array($0) + [0x0D, 0x0A] }],
        arguments: run + ["--input", "combined:a.log"], exitCode: 0, expected: "records  3: 3 events, 0 skipped, 0 rejected"),
    BadInput(
        name: "empty file", files: ["a.log": []], arguments: run + ["--input", "combined:a.log"], exitCode: 0,
        expected: "file     a.log: empty file"),
    BadInput(
        name: "missing file", arguments: run + ["--input", "combined:nope.log"], exitCode: 2,
        expected: "sillage: error: --input combined:nope.log.paths: nope.log: cannot read input: No such file or directory\n"),
    BadInput(
        name: "unreadable file (a dangling link: root reads any mode)", arguments: run + ["--input", "combined:link.log"], exitCode: 2,
        expected: "sillage: error: --input combined:link.log.paths: link.log: cannot read input: No such file or directory\n",
        setup: { dir in try FileManager.default.createSymbolicLink(atPath: dir + "/link.log", withDestinationPath: dir + "/gone.log") }),
    BadInput(
        name: "directory given as file", arguments: run + ["--input", "combined:logs"], exitCode: 2,
        expected: "sillage: error: logs: input is a directory, not a file\n  hint: give a file or a glob such as logs/access.log*\n",
        setup: { dir in try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true) }),
    BadInput(
        name: "--reprocess of a file the pipeline does not read", files: ["a.log": goodLines(3), "b.log": goodLines(3)],
        arguments: run + ["--input", "combined:a.log", "--reprocess", "b.log"], exitCode: 2,
        expected:
            "sillage: error: --reprocess b.log: not one of the pipeline's input files\n  hint: give a file that an input's paths match; the pipeline reads a.log\n"
    ),
    BadInput(
        name: "--reprocess with --dry-run", files: ["a.log": goodLines(3)],
        arguments: run + ["--input", "combined:a.log", "--reprocess", "a.log", "--dry-run"], exitCode: 2,
        expected: "sillage: error: --dry-run and --reprocess cannot be combined\n  hint: a dry run changes nothing in the store\n"),
    BadInput(
        name: "--batch-mb of zero", files: ["a.log": goodLines(3)],
        arguments: run + ["--input", "combined:a.log", "--batch-mb", "0"], exitCode: 2,
        expected: "sillage: error: --batch-mb takes a number of megabytes from 1 to 1048576\n"),
    BadInput(
        name: "glob matching nothing", arguments: run + ["--input", "combined:logs/access.log*"], exitCode: 2,
        expected:
            "sillage: error: --input combined:logs/access.log*.paths: logs/access.log*: the glob matches no file\n  hint: check the path relative to the working directory\n"
    ),
    BadInput(
        name: "wrong declared format", files: ["a.log": Array((0..<30).map { _ in "{\"remote_addr\": \"192.0.2.1\"}\n" }.joined().utf8)],
        arguments: run + ["--input", "combined:a.log"], exitCode: 3,
        expected:
            "sillage: error: a.log: 100% of 30 records rejected (malformed-line: 30; first at line 1, line 2, line 3), over the limit of 5%; nothing of this file was committed\n  hint: likely cause: the lines look like JSON objects (openedx-tracking or xapi records), not combined\n  the first rejected records are in var/rejects/run-1.tsv (private, mode 0600)\n"
    ),
    BadInput(
        name: "a logstore export given as combined",
        files: ["a.log": Array(("id,eventname,component\n" + (0..<30).map { "\($0),x,y\n" }.joined()).utf8)],
        arguments: run + ["--input", "combined:a.log"], exitCode: 3,
        expected:
            "sillage: error: a.log: 100% of 31 records rejected (malformed-line: 31; first at line 1, line 2, line 3), over the limit of 5%; nothing of this file was committed\n  hint: likely cause: the file looks like a Moodle logstore CSV export, not combined\n  the first rejected records are in var/rejects/run-1.tsv (private, mode 0600)\n"
    ),
    BadInput(
        name: "timestamps out of order",
        files: [
            "a.log": Array(
                ("192.0.2.1 - u [29/Mar/2026:10:20:00 +0200] \"GET /my/ HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (X11; Linux)\"\n"
                    + "192.0.2.1 - u [29/Mar/2026:10:00:00 +0200] \"GET /my/ HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (X11; Linux)\"\n").utf8)
        ],
        arguments: run + ["--input", "combined:a.log"], exitCode: 0, expected: "sessions 1 new, 1 learner-days"),
    BadInput(
        name: "dates outside the run window", files: ["a.log": goodLines(3)],
        arguments: run + ["--input", "combined:a.log", "--since", "2026-04-01"], exitCode: 0, expected: "skipped  outside-window 3"),
    BadInput(
        name: "a window that ends before it starts",
        arguments: run + ["--input", "combined:a.log", "--since", "2026-04-02", "--until", "2026-04-01"],
        exitCode: 2, expected: "sillage: error: --since is after --until\n"),
    BadInput(
        name: "a window date that is not a date", arguments: run + ["--input", "combined:a.log", "--since", "April"],
        exitCode: 2, expected: "sillage: error: --since takes a date as YYYY-MM-DD, not \"April\"\n"),
    BadInput(
        name: "unknown pipeline key",
        files: pipelineFile(#"{"version": 1, "inputs": [{"type": "combined", "paths": ["a.log"], "visitorscope": "day"}]}"#),
        arguments: ["run", "p.json"], exitCode: 2,
        expected: "sillage: error: p.json at $.inputs[0].visitorscope: unknown key \"visitorscope\"\n  hint: did you mean \"visitorScope\"?\n"),
    BadInput(
        name: "wrong value type", files: pipelineFile(#"{"version": 1, "maxRejectRate": "5%", "# + minimalInputs + "}"),
        arguments: ["run", "p.json"], exitCode: 2, expected: "sillage: error: p.json at $.maxRejectRate: expected a number, found a string\n"),
    BadInput(
        name: "pipeline that is not JSON", files: pipelineFile("{\"version\": 1,\n  inputs: []}"), arguments: ["run", "p.json"], exitCode: 2,
        expected: "sillage: error: p.json:2:3: invalid JSON: expected a quoted key\n"),
    BadInput(
        name: "missing pipeline file", arguments: ["run", "none.json"], exitCode: 2,
        expected: "sillage: error: none.json: cannot read input: No such file or directory\n"),
    BadInput(
        name: "missing key file",
        files: pipelineFile(#"{"version": 1, "key": {"file": "keys/none.key", "createIfMissing": false}, "# + minimalInputs + "}"),
        arguments: ["run", "p.json"], exitCode: 2,
        expected:
            "sillage: error: keys/none.key: cannot read the key file: No such file or directory\n  hint: create one with `sillage keys init --key-file keys/none.key`\n",
        setup: { dir in try Data(goodLines(1)).write(to: URL(fileURLWithPath: dir + "/a.log")) }),
    BadInput(
        name: "key file readable by others", arguments: run + ["--input", "combined:a.log"], exitCode: 2,
        expected:
            "sillage: error: k: the key file is readable by group or others (mode 644); refusing to use it\n  hint: run `chmod 600 k`, and rotate the key if others may have read it\n",
        setup: { dir in
            chmod(dir + "/k", 0o644); try Data(goodLines(1)).write(to: URL(fileURLWithPath: dir + "/a.log"))
        }),
    BadInput(
        name: "key file of the wrong size", arguments: run + ["--input", "combined:a.log"], exitCode: 2,
        expected: "sillage: error: k: the key file must hold 32 raw bytes or 64 hex digits, it holds 16 bytes\n",
        setup: { dir in
            try Data(repeating: 1, count: 16).write(to: URL(fileURLWithPath: dir + "/k"))
            try Data(goodLines(1)).write(to: URL(fileURLWithPath: dir + "/a.log"))
        }),
    BadInput(
        name: "store on a path that cannot be a directory", files: ["a.log": goodLines(1), "var": Array("a file".utf8)],
        arguments: ["run", "--input", "combined:a.log", "--store", "var/s.sqlite", "--out", "out", "--key-file", "k"], exitCode: 1,
        expected: "sillage: error: var: exists and is not a directory\n"),
    BadInput(
        name: "store on a read-only file system", files: ["a.log": goodLines(1)],
        arguments: ["run", "--input", "combined:a.log", "--store", "/proc/sillage/s.sqlite", "--out", "out", "--key-file", "k"], exitCode: 1,
        expected: "sillage: error: /proc/sillage: cannot create the directory: No such file or directory\n"),
    BadInput(
        name: "disk full while committing (simulated)",
        files: [
            "a.log": Array(
                (0..<3000).map {
                    "192.0.\($0 / 250).\($0 % 250) - - [29/Mar/2026:10:00:00 +0200] \"GET /my/ HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (X11; Linux)\"\n"
                }.joined().utf8)
        ], arguments: run + ["--input", "combined:a.log"],
        environment: ["SILLAGE_FAILPOINT": "store-full"], exitCode: 1,
        expected:
            "sillage: error: var/s.sqlite: store write failed: database or disk is full [INSERT INTO sessions(stream, actor, start_ms, end_ms, day, e]\n  hint: the disk is full; free space and run again (the batch being committed was rolled back; the next run resumes after the last batch committed)\n"
    ),
    BadInput(
        name: "disk full while exporting (simulated)", files: ["a.log": goodLines(3)], arguments: run + ["--input", "combined:a.log"],
        environment: ["SILLAGE_FAILPOINT": "export-enospc"], exitCode: 1,
        expected:
            "sillage: error: out/research/default/all/daily_activity.csv.gz: cannot write the file: No space left on device\n  hint: the disk is full; nothing was published\n"
    ),
    BadInput(
        name: "output directory already published", files: ["a.log": goodLines(3)], arguments: run + ["--input", "combined:a.log"],
        exitCode: 0, expected: "export   out/research/default/all/ (11 files, 7 cells suppressed, replacing the earlier one)",
        setup: { dir in
            try FileManager.default.createDirectory(atPath: dir + "/out/research/default/all", withIntermediateDirectories: true)
            try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/out/research/default/all/stale.csv"))
        }),
    BadInput(
        name: "unknown input type", arguments: run + ["--input", "apache-combined:a.log"], exitCode: 2,
        expected:
            "sillage: error: unknown input format \"apache-combined\"\n  hint: known formats: alb, apache, auto, caddy-json, cloudflare-json, cloudfront, combined, common, course-catalogue, elb, enrolments, haproxy, moodle-course-completions, moodle-logstore, moodle-report, nginx, nginx-json, openedx-tracking, organisations, s3, traefik-json, vhost-combined, w3c, xapi\n"
    ),
    BadInput(
        name: "a mistyped input type", arguments: run + ["--input", "nginx-jsno:a.log"], exitCode: 2,
        expected:
            "sillage: error: unknown input format \"nginx-jsno\"\n  hint: did you mean \"nginx-json\"? known formats: alb, apache, auto, caddy-json, cloudflare-json, cloudfront, combined, common, course-catalogue, elb, enrolments, haproxy, moodle-course-completions, moodle-logstore, moodle-report, nginx, nginx-json, openedx-tracking, organisations, s3, traefik-json, vhost-combined, w3c, xapi\n"
    ),
    BadInput(
        name: "apache input without a log format", arguments: run + ["--input", "apache:a.log"], exitCode: 2,
        expected: "sillage: error: --input apache:… needs --log-format\n"),
    BadInput(
        name: "a log format without a timestamp", arguments: run + ["--input", "apache:a.log", "--log-format", "%h \"%r\" %>s"], exitCode: 2,
        expected: "sillage: error: --log-format: the log format has no timestamp field (%t, $time_local, $time_iso8601 or $msec)\n"),
    BadInput(
        name: "unknown time zone", files: pipelineFile(#"{"version": 1, "timezone": "Paris", "# + minimalInputs + "}"), arguments: ["run", "p.json"],
        exitCode: 2,
        expected: "sillage: error: p.json at $.timezone: unknown time zone \"Paris\"\n  hint: use an IANA name such as Europe/Paris or UTC\n"),
    BadInput(
        name: "a malformed CSV record",
        files: [
            "l.csv": Array(
                ("id,eventname,userid,timecreated\n1,\"\\core\\event\\course_viewed\",7,1774778400\n2,\"bad\"x,7,1774778400\n3,\"\\core\\event\\course_viewed\",7,1774778460\n")
                    .utf8)
        ],
        arguments: run + ["--input", "moodle-logstore:l.csv"], exitCode: 0, expected: "l.csv: line 3 (malformed-csv)"),
    BadInput(
        name: "a truncated xAPI array", files: ["s.json": Array("[{\"actor\": {\"mbox\": \"mailto:a@b.fr\"}, \"verb\"".utf8)],
        arguments: run + ["--input", "xapi:s.json"], exitCode: 3,
        expected:
            "sillage: error: s.json: 100% of 1 records rejected (invalid-json: 1; first at line 1), over the limit of 5%; nothing of this file was committed\n  hint: likely cause: the file is a JSON array that xapi could not read: check that it is complete, valid JSON\n  the first rejected records are in var/rejects/run-1.tsv (private, mode 0600)\n"
    ),
]

@Test(arguments: badInputs)
func badInputsAreAnsweredClearly(_ c: BadInput) throws {
    let dir = TestSupport.temporaryDirectory("bad")
    defer { TestSupport.remove(dir) }
    _ = FileManager.default.createFile(atPath: dir + "/k", contents: Data(TestSupport.keyBytes(7)), attributes: [.posixPermissions: 0o600])
    for (name, bytes) in c.files {
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
    }
    try c.setup?(dir)
    let r = try TestSupport.run(TestSupport.binary, c.arguments, in: dir, environment: c.environment)
    #expect(r.status == c.exitCode, "\(c.name): exit \(r.status)\n\(r.stderr)")
    if c.exitCode == 0 {
        #expect(r.stdout.contains(c.expected), "\(c.name): \(r.stdout)")
    } else {
        #expect(r.stderr == c.expected, "\(c.name)")
        // Nothing is ever published by a failed run, and no store is made by a failed command.
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/research/default/all/daily_activity.csv.gz"), "\(c.name)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/var/typo.sqlite"), "\(c.name)")
    }
}

@Test func theBadInputTableHasAtLeastThirtyCases() {
    #expect(badInputs.count >= 30)
}

/// A CSV without its header is described by its shape: neither the message nor the run
/// report kept in the store holds a value of its first row (a full name, an id, an address).
@Test(arguments: [
    ("moodle-logstore", "4521,\\core\\event\\course_viewed,core,viewed,course,,,r,2,10,50,12,8731,12,,0,[],1774778400,web,198.51.100.23,\n"),
    ("moodle-report", "29/03/2026 10:00,Camille Martin-Durand,-,Cours : Statistique,Système,Cours consulté,L'utilisateur 8731,web,198.51.100.23\n"),
    ("moodle-course-completions", "8731,12,1774778400,1775000000\n"),
])
func aHeaderlessCSVIsDescribedByItsShapeOnly(type: String, firstRow: String) throws {
    let dir = TestSupport.temporaryDirectory("headerless")
    defer { TestSupport.remove(dir) }
    _ = try TestSupport.keyFile(in: dir)
    try (firstRow + firstRow).write(toFile: dir + "/data.csv", atomically: true, encoding: .utf8)
    let r = try TestSupport.run(
        TestSupport.binary, ["run", "--input", "\(type):data.csv", "--store", "s.sqlite", "--out", "out", "--key-file", "test.key"], in: dir)
    #expect(r.status == 2, "\(r.stderr)")
    #expect(r.stderr.contains("its first row has"), "\(r.stderr)")
    let stored = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/s.sqlite")), as: UTF8.self)
    for value in ["8731", "198.51.100.23", "Camille", "Martin-Durand", "1774778400"] {
        #expect(!r.stderr.contains(value), "the message holds \(value)")
        #expect(!stored.contains(value), "the store holds \(value)")
    }
}
