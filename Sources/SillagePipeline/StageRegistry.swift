import SillageCore
import SillagePrivacy
import SillageIngest
import SillageMetrics

/// What an ingest stage needs from the run.
public struct IngestContext: Sendable {
    public var zone: ZoneRules
    public var pseudonymiser: Pseudonymiser
    public var classifier: UserAgentClassifier
    /// Index of the input's stream in the run's stream list.
    public var streamIndex: UInt8
    /// Local days the run reads (`--since`/`--until`); records outside are skipped.
    public var window: ClosedRange<Int32>? = nil
}

/// How one file is to be read: its parser and where its records may be cut.
public struct FileParsing: Sendable {
    public var parser: any ChunkParser
    public var boundary: RecordBoundary
    /// Longest record accepted (a whole document for `.wholeInput`).
    public var maxRecordBytes: Int

    public init(
        parser: any ChunkParser, boundary: RecordBoundary = .newline,
        maxRecordBytes: Int = LineChunkerDefaults.maxLineBytes
    ) {
        self.parser = parser
        self.boundary = boundary
        self.maxRecordBytes = maxRecordBytes
    }
}

/// An input type: how to check its definition and how to read a file of it.
public struct IngestStage: Sendable {
    public var name: String
    public var summary: String
    public var defaultStream: String
    public var needsLogFormat: Bool
    public var validate: @Sendable (InputDefinition, String) throws(SillageError) -> Void
    /// Prepares one file from its first bytes (a CSV header, a JSON array's bracket).
    public var prepareFile: @Sendable (InputDefinition, IngestContext, _ head: [UInt8], _ file: String) throws(SillageError) -> FileParsing
}

/// The one place that maps pipeline `type` names to stages and table names to builders.
public enum StageRegistry {
    static func accessLogFormat(_ d: InputDefinition, _ location: String) throws(SillageError) -> AccessLogFormat {
        switch d.type {
        case "apache": return try AccessLogFormat.apache(d.logFormat ?? "", at: location)
        case "nginx": return try AccessLogFormat.nginx(d.logFormat ?? "", at: location)
        default:
            guard let f = AccessLogFormat.named(d.type) else {
                throw SillageError.configuration("unknown access-log format \(d.type)", at: location)
            }
            return f
        }
    }

    static func accessLog(_ name: String, _ summary: String, needsLogFormat: Bool = false) -> IngestStage {
        IngestStage(
            name: name, summary: summary, defaultStream: "web", needsLogFormat: needsLogFormat,
            validate: { (d, location) throws(SillageError) in _ = try accessLogFormat(d, location) },
            prepareFile: { (d, c, _, _) throws(SillageError) in
                var parser = AccessLogParser(
                    format: try accessLogFormat(d, d.location + ".logFormat"), stream: c.streamIndex,
                    profile: d.profile, visitorScope: d.visitorScope, zone: c.zone,
                    pseudonymiser: c.pseudonymiser, classifier: c.classifier)
                parser.window = c.window
                parser.trustsForwardedFor = d.clientAddress == "x-forwarded-for"
                return FileParsing(parser: parser)
            })
    }

    static func referenceStage(_ kind: ReferenceTableParser.Kind, _ summary: String) -> IngestStage {
        csvStage(kind.rawValue, summary) { (header, file, d, c) throws(SillageError) in
            var parser = try ReferenceTableParser(
                kind: kind, header: header, file: file, stream: c.streamIndex, zone: c.zone, pseudonymiser: c.pseudonymiser,
                identity: d.identity)
            parser.window = c.window
            return parser
        }
    }

    static func csvHeader(_ head: [UInt8], file: String) throws(SillageError) -> CSVHeader {
        guard let header = CSVHeader(head: head) else {
            throw SillageError.configuration("the file has no CSV header", at: file)
        }
        return header
    }

    static let openEdxTracking = IngestStage(
        name: "openedx-tracking", summary: "Open edX tracking logs (JSON lines, optional logger prefix)",
        defaultStream: "lms", needsLogFormat: false, validate: { (_, _) throws(SillageError) in },
        prepareFile: { (d, c, _, _) throws(SillageError) in
            var parser = OpenEdxTrackingParser(stream: c.streamIndex, zone: c.zone, pseudonymiser: c.pseudonymiser, identity: d.identity)
            parser.window = c.window
            return FileParsing(parser: parser)
        })

    /// A stage reading CSV records, whose parser is made from the file's header.
    static func csvStage(
        _ name: String, _ summary: String,
        parser: @escaping @Sendable (CSVHeader, String, InputDefinition, IngestContext) throws(SillageError) -> any ChunkParser
    ) -> IngestStage {
        IngestStage(
            name: name, summary: summary, defaultStream: "lms", needsLogFormat: false, validate: { (_, _) throws(SillageError) in },
            prepareFile: { (d, c, head, file) throws(SillageError) in
                FileParsing(parser: try parser(try csvHeader(head, file: file), file, d, c), boundary: .csvNewline)
            })
    }

    static let moodleLogstore = csvStage("moodle-logstore", "CSV export of Moodle's logstore_standard_log table") {
        (header, file, d, c) throws(SillageError) in
        var parser = try MoodleLogstoreParser(
            header: header, file: file, stream: c.streamIndex, zone: c.zone, pseudonymiser: c.pseudonymiser, identity: d.identity)
        parser.window = c.window
        return parser
    }

    static let moodleReport = csvStage("moodle-report", "the CSV download of Moodle's Logs report") {
        (header, file, d, c) throws(SillageError) in
        var parser = try MoodleReportParser(
            header: header, file: file, stream: c.streamIndex, zone: c.zone, pseudonymiser: c.pseudonymiser, identity: d.identity)
        parser.window = c.window
        return parser
    }

    static let xapi = IngestStage(
        name: "xapi", summary: "xAPI statements: NDJSON, a JSON array, or LRS pages",
        defaultStream: "lms", needsLogFormat: false, validate: { (_, _) throws(SillageError) in },
        prepareFile: { (d, c, head, _) throws(SillageError) in
            let whole = XAPIStatementsParser.isWholeDocument(head: head)
            var parser = XAPIStatementsParser(
                stream: c.streamIndex, zone: c.zone, pseudonymiser: c.pseudonymiser, identity: d.identity,
                identityHomePage: d.identityHomePage, wholeDocument: whole)
            parser.window = c.window
            return FileParsing(
                parser: parser, boundary: whole ? .wholeInput : .newline,
                maxRecordBytes: whole ? 512 << 20 : LineChunkerDefaults.maxLineBytes)
        })

    /// Every input type, in the order `run --help` and the README list them.
    public static let ingestList: [IngestStage] = [
        accessLog("common", "Apache/nginx Common Log Format"),
        accessLog("combined", "Common Log Format plus referer and user agent (the Apache and nginx default)"),
        accessLog("vhost-combined", "combined, preceded by the virtual host and port"),
        accessLog("apache", "any Apache LogFormat string, given as logFormat", needsLogFormat: true),
        accessLog("nginx", "any nginx log_format string, given as logFormat", needsLogFormat: true),
        openEdxTracking, moodleLogstore, moodleReport,
        referenceStage(.courseCompletions, "Moodle's course_completions table (userid, course, timeenrolled, timecompleted)"),
        referenceStage(.enrolments, "enrolments: learner, course, enrolment time"),
        referenceStage(.catalogue, "course catalogue: course and activity keys with their names and positions"),
        referenceStage(.organisations, "organisation membership: learner, organisation"),
        xapi,
    ]

    /// Input types by name.
    public static let ingest: [String: IngestStage] = Dictionary(uniqueKeysWithValues: ingestList.map { ($0.name, $0) })

    public static var ingestTypeNames: [String] { ingest.keys.sorted() }

}
