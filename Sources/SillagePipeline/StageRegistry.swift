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
    public var window: DayWindow? = nil
    /// People on the opt-out list (access logs drop them before counting anything of theirs).
    public var optOuts: Set<ActorKey> = []
}

/// How one file is to be read: its parser and where its records may be cut.
public struct FileParsing: Sendable {
    public var parser: any ChunkParser
    public var boundary: RecordBoundary
    /// Longest record accepted (a whole document for `.wholeInput`).
    public var maxRecordBytes: Int
    /// What the run should say about the file (the format `auto` detected).
    public var notice: String? = nil

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
            prepareFile: { (d, c, head, _) throws(SillageError) in
                var format = try accessLogFormat(d, d.location + ".logFormat")
                if d.type == "vhost-combined", let portless = try? AccessLogFormat.apache(AccessLogFormat.portlessVhost) {
                    format = FormatSniffer.better(format, portless, head: head)
                }
                var parser = AccessLogParser(
                    format: format, stream: c.streamIndex, profile: d.profile, visitorScope: d.visitorScope, zone: c.zone,
                    pseudonymiser: c.pseudonymiser, classifier: c.classifier)
                parser.window = c.window
                parser.optOuts = c.optOuts
                parser.trustsForwardedFor = d.clientAddress == "x-forwarded-for"
                return FileParsing(parser: parser)
            })
    }

    static func jsonAccessLog(_ name: String, _ summary: String) -> IngestStage {
        IngestStage(
            name: name, summary: summary, defaultStream: "web", needsLogFormat: false, validate: { (_, _) throws(SillageError) in },
            prepareFile: { (d, c, _, _) throws(SillageError) in
                let preset = JSONAccessLayout.presets[d.type] ?? JSONAccessLayout([:])
                var parser = JSONAccessLogParser(
                    layout: preset.overriding(d.fields), stream: c.streamIndex, profile: d.profile, visitorScope: d.visitorScope,
                    zone: c.zone, pseudonymiser: c.pseudonymiser, classifier: c.classifier)
                parser.window = c.window
                parser.optOuts = c.optOuts
                parser.trustsForwardedFor = d.clientAddress == "x-forwarded-for"
                return FileParsing(parser: parser)
            })
    }

    static func w3cLog(_ name: String, _ summary: String, separator: UInt8, defaultDirective: String?) -> IngestStage {
        IngestStage(
            name: name, summary: summary, defaultStream: "web", needsLogFormat: false, validate: { (_, _) throws(SillageError) in },
            prepareFile: { (d, c, head, _) throws(SillageError) in
                var parser = W3CExtendedLogParser(
                    separator: separator, defaultDirective: defaultDirective, stream: c.streamIndex, profile: d.profile,
                    visitorScope: d.visitorScope, zone: c.zone, pseudonymiser: c.pseudonymiser, classifier: c.classifier)
                parser.window = c.window
                parser.optOuts = c.optOuts
                parser.trustsForwardedFor = d.clientAddress == "x-forwarded-for"
                // A file resumed past its header reads with the header's fields.
                let prefix = Array(W3CExtendedLogParser.fieldsDirective.utf8)
                let initial = LineChunker.lastLine(startingWith: prefix, in: head) ?? []
                return FileParsing(parser: parser, boundary: .newlineWithDirectives(prefix: prefix, initial: initial))
            })
    }

    static let haproxy = IngestStage(
        name: "haproxy", summary: "HAProxy HTTP logs (option httplog), with or without the syslog prefix", defaultStream: "web",
        needsLogFormat: false, validate: { (_, _) throws(SillageError) in },
        prepareFile: { (d, c, _, _) throws(SillageError) in
            var parser = HAProxyLogParser(
                stream: c.streamIndex, profile: d.profile, visitorScope: d.visitorScope, zone: c.zone, pseudonymiser: c.pseudonymiser,
                classifier: c.classifier)
            parser.window = c.window
            parser.optOuts = c.optOuts
            return FileParsing(parser: parser)
        })

    /// `auto`: each file is read as the access-log format its first records fit.
    static let auto = IngestStage(
        name: "auto", summary: "any access-log format above, detected per file from its first records", defaultStream: "web",
        needsLogFormat: false, validate: { (_, _) throws(SillageError) in },
        prepareFile: { (d, c, head, file) throws(SillageError) in
            let detected = try FormatSniffer.detect(head: head, input: d, zone: c.zone, file: file)
            var chosen = d
            chosen.type = detected.type
            guard let stage = ingest[detected.type] else {
                throw SillageError.configuration("unknown input type \(detected.type)", at: file)
            }
            var parsing = try stage.prepareFile(chosen, c, head, file)
            parsing.notice = detected.notice
            return parsing
        })

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
        accessLog("vhost-combined", "combined, preceded by the virtual host, with or without its port"),
        accessLog("apache", "any Apache LogFormat string, given as logFormat", needsLogFormat: true),
        accessLog("nginx", "any nginx log_format string, given as logFormat (the stock main format included)", needsLogFormat: true),
        jsonAccessLog("nginx-json", "nginx JSON access logs (log_format escape=json, keys named after the variables)"),
        jsonAccessLog("caddy-json", "Caddy's default JSON access log"),
        jsonAccessLog("traefik-json", "Traefik JSON access logs"),
        jsonAccessLog("cloudflare-json", "Cloudflare Logpush HTTP requests (JSON lines)"),
        w3cLog("w3c", "IIS and other W3C extended logs (#Fields: directives, which may change)", separator: 0x20, defaultDirective: nil),
        w3cLog(
            "cloudfront", "Amazon CloudFront standard logs (tab-separated W3C)", separator: 0x09,
            defaultDirective: W3CExtendedLogParser.cloudFrontFields),
        accessLog("elb", "AWS Classic Load Balancer access logs"),
        accessLog("alb", "AWS Application Load Balancer access logs"),
        accessLog("s3", "Amazon S3 server access logs"),
        haproxy,
        auto,
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

    /// The hint for an unknown type: the closest one when it is close, and every type.
    static func typeHint(_ type: String, _ noun: String) -> String {
        let closest = ingestTypeNames.min { editDistance($0, type) < editDistance($1, type) }
        let suggestion = closest.flatMap { editDistance($0, type) <= max(2, type.count / 3) ? "did you mean \"\($0)\"? " : nil }
        return (suggestion ?? "") + "known \(noun): \(ingestTypeNames.joined(separator: ", "))"
    }

}
