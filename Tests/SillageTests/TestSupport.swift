import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageExport
@testable import SillagePipeline

/// Paths and helpers shared by the tests.
enum TestSupport {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The third-party fixtures, when the shared folder is beside the project.
    static var samplesDirectory: String? {
        let path = packageRoot + "/../shared/learning-analytics-samples"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// True when the third-party fixtures can be read (tests that need them are enabled by it).
    static var hasSamples: Bool { samplesDirectory != nil }

    /// The full path of an executable found on PATH.
    static func findOnPath(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The `frictionless` command (pip install frictionless), when installed.
    static let frictionless: String? =
        ["/usr/local/bin/frictionless", "/root/.pyenv/shims/frictionless", "/usr/bin/frictionless"]
        .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) ?? findOnPath("frictionless")

    /// True when Python can import pycanon and pandas (pip install pycanon; .ci/run installs it).
    static let hasPycanon: Bool = (try? run("/usr/bin/env", ["python3", "-c", "import pycanon, pandas"]).status) == 0

    /// The built `sillage` executable (built by `swift test` with the tests).
    static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sillage").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot + "/.build/debug/sillage"
    }

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory(_ label: String = "test") -> String {
        let path = NSTemporaryDirectory() + "sillage-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Removes a test's temporary directory and everything in it.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program and waits for it.
    static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        stdin: Data? = nil, environment: [String: String] = [:]
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // A fixed day, so that retention (a function of the date) gives the same results
        // on fixed test data next year; a test may set its own.
        process.environment = ProcessInfo.processInfo.environment.merging(["SILLAGE_NOW": TestSupport.today]) { $1 }
            .merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs the project's log generator into `directory`.
    static func generateLogs(into directory: String, _ arguments: [String]) throws {
        let result = try run("/usr/bin/env", ["python3", packageRoot + "/Benchmarks/generate_logs.py", "--out", directory] + arguments)
        #expect(result.status == 0, "generator failed: \(result.stderr)")
    }

    /// The month (`YYYY-MM`) of the first line of a generated access log.
    static func generatedMonth(_ log: String) throws -> String {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let stamp = try #require(text.split(separator: "[", maxSplits: 1).last?.prefix(11))  // 02/Mar/2026
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = stamp.split(separator: "/")
        let month = try #require(months.firstIndex(of: String(parts[1]))) + 1
        return "\(parts[2])-\(month < 10 ? "0" : "")\(month)"
    }

    /// Writes a key file with mode 0600 and returns its path.
    static func keyFile(in directory: String, byte: UInt8 = 42) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/test.key"
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(keyBytes(byte)), attributes: [.posixPermissions: 0o600])
        return path
    }

    /// A fixed key for `byte` that passes the entropy check (the digest of the byte).
    static func keyBytes(_ byte: UInt8) -> [UInt8] { SHA256.hash([byte]) }

    /// The day the tests run "on" (UTC): recent enough for the generated logs to be within
    /// the default retention.
    static let today = "2026-11-23T12:00:00Z"
    static var todaySeconds: Int64 { Clock.parse(today)! }

    /// A pipeline reading `paths` as `type`, with store and output in `directory`.
    static func pipeline(
        _ type: String, _ paths: [String], in directory: String, minCount: Int = 11,
        keyByte: UInt8 = 42
    ) throws -> PipelineDefinition {
        var p = PipelineDefinition()
        p.keyFile = try keyFile(in: directory, byte: keyByte)
        p.createKey = false
        p.store = directory + "/store.sqlite"
        p.output = directory + "/out"
        p.inputs = [InputDefinition(type: type, paths: paths)]
        // Generated logs have fixed dates: keep them whatever day the tests run
        // (retention tests set their own policy and clock).
        p.retention.sessionDays = 36500
        p.retention.inactiveLearnerDays = 36500
        var export = ExportDefinition()
        export.minCount = minCount
        // Tests that compare figures with an independent count read exact ones; the
        // perturbation has tests of its own.
        export.perturbation = nil
        p.exports = [export]
        return p
    }

    /// Decompresses a gzip file with the project's reader.
    static func gunzip(_ path: String) throws -> String {
        var opened = try InputFiles.open(path)
        var out: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let n = try opened.reader.read(into: buffer)
            if n == 0 { break }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Every file of an export as text, gzip files decompressed: what a recipient can read.
    static func publishedText(_ exportDir: String) throws -> String {
        var published = ""
        for name in try FileManager.default.contentsOfDirectory(atPath: exportDir).sorted() {
            published +=
                name.hasSuffix(".gz")
                ? try gunzip(exportDir + "/" + name)
                : try String(contentsOfFile: exportDir + "/" + name, encoding: .utf8)
        }
        return published
    }

    /// The bytes of a store (`store.sqlite`, its WAL and everything beside it with that prefix) as text.
    static func storedText(_ directory: String) throws -> String {
        var stored = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where name.hasPrefix("store.sqlite") {
            stored.append(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
        }
        return String(decoding: stored, as: UTF8.self)
    }

    /// Parses simple CSV text (no quoted newlines) into rows of fields.
    static func csvRows(_ text: String) -> [[String]] {
        text.split(separator: "\r\n", omittingEmptySubsequences: true).map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }
}

/// Reads all of a `ByteReader` into memory.
func readAll(_ reader: inout any ByteReader, bufferSize: Int = 7) throws(SillageError) -> [UInt8] {
    var out: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 8)
    defer { buffer.deallocate() }
    while true {
        let n = try reader.read(into: buffer)
        if n == 0 { break }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
    }
    return out
}

/// A reader over bytes in memory, returning at most `step` bytes a call (to exercise boundaries).
final class MemoryReader: ByteReader {
    private let bytes: [UInt8]
    private var position = 0
    private let step: Int

    init(_ bytes: [UInt8], step: Int = Int.max) {
        self.bytes = bytes
        self.step = step
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SillageError) -> Int {
        let n = min(buffer.count, bytes.count - position, step)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        position += n
        return n
    }
}

/// Tests spell admitted values as literals (the privacy layer's internal initialiser, reached
/// through `@testable import`); the library's code has no such path.
extension PIIScanner {
    /// A guard that knows `identifiers` as names met in the inputs (keyed with a test key).
    init(identifiers: [String]) throws {
        var names = KnownNames(key: try TestSupport.testKey)
        for id in identifiers { names.learn(Array(id.utf8)) }
        self.init(names: names)
    }
}

extension TestSupport {
    /// A fixed master key for tests that hash or key without a store.
    static var testKey: MasterKey {
        get throws { try MasterKey(bytes: [UInt8](repeating: 3, count: 32)) }
    }
}

extension Publishable: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self.init(admitted: value)
    }
}
