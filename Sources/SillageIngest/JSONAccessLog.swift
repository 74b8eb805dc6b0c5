import SillageCore
import SillagePrivacy

/// Where a JSON access log keeps each field of a request: member paths, tried in order.
///
/// The presets follow each server's documented names (nginx variables written with
/// `escape=json`, Caddy's default access log, Traefik's JSON access log, Cloudflare
/// Logpush `http_requests`); a pipeline overrides any of them with `fields`.
public struct JSONAccessLayout: Sendable, Equatable {
    /// A field a JSON access log may hold.
    public enum Field: String, CaseIterable, Sendable {
        /// The instant: RFC 3339, Common Log Format, or a number of seconds, milliseconds,
        /// microseconds or nanoseconds since 1970 (told apart by magnitude).
        case time
        case client, forwardedFor, user, method
        /// Path and query as requested.
        case uri
        /// The path alone, with `query` beside it.
        case path, query
        /// A whole request line (`GET /x HTTP/1.1`), when there is no `uri` or `path`.
        case request
        case status, userAgent
        /// Response bytes.
        case bytes

        /// The field's position in `allCases`.
        var ordinal: Int {
            switch self {
            case .time: 0
            case .client: 1
            case .forwardedFor: 2
            case .user: 3
            case .method: 4
            case .uri: 5
            case .path: 6
            case .query: 7
            case .request: 8
            case .status: 9
            case .userAgent: 10
            case .bytes: 11
            }
        }
    }

    /// Member paths per field, each split on `.` (`request.headers.User-Agent`).
    public private(set) var paths: [Field: [[String]]]

    public init(_ paths: [Field: [String]]) {
        self.paths = paths.mapValues { $0.map { $0.split(separator: ".", omittingEmptySubsequences: false).map(String.init) } }
    }

    /// The layout with `fields` (field name → dotted path) in place of the preset's paths.
    public func overriding(_ fields: [(field: Field, path: String)]) -> JSONAccessLayout {
        var copy = self
        for (field, path) in fields {
            copy.paths[field] = [path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)]
        }
        return copy
    }

    /// The built-in layouts, by input type.
    public static let presets: [String: JSONAccessLayout] = [
        "nginx-json": JSONAccessLayout([
            .time: ["time_iso8601", "time_local", "msec"], .client: ["remote_addr"],
            .forwardedFor: ["http_x_forwarded_for"], .user: ["remote_user"], .method: ["request_method"],
            .uri: ["request_uri"], .path: ["uri"], .query: ["args", "query_string"], .request: ["request"],
            .status: ["status"], .userAgent: ["http_user_agent"], .bytes: ["body_bytes_sent", "bytes_sent"],
        ]),
        // Caddy's `client_ip` is the peer address unless Caddy itself trusts a proxy.
        "caddy-json": JSONAccessLayout([
            .time: ["ts"], .client: ["request.client_ip", "request.remote_ip"],
            .forwardedFor: ["request.headers.X-Forwarded-For"], .user: ["user_id"], .method: ["request.method"],
            .uri: ["request.uri"], .status: ["status"], .userAgent: ["request.headers.User-Agent"], .bytes: ["size"],
        ]),
        // Traefik keeps headers only when `fields.headers` says so (`request_User-Agent`).
        "traefik-json": JSONAccessLayout([
            .time: ["StartUTC", "time"], .client: ["ClientHost"], .forwardedFor: ["request_X-Forwarded-For"],
            .user: ["ClientUsername"], .method: ["RequestMethod"], .uri: ["RequestPath"],
            .status: ["DownstreamStatus", "OriginStatus"], .userAgent: ["request_User-Agent"],
            .bytes: ["DownstreamContentSize"],
        ]),
        "cloudflare-json": JSONAccessLayout([
            .time: ["EdgeStartTimestamp"], .client: ["ClientIP"], .method: ["ClientRequestMethod"],
            .uri: ["ClientRequestURI"], .path: ["ClientRequestPath"], .status: ["EdgeResponseStatus"],
            .userAgent: ["ClientRequestUserAgent"], .bytes: ["EdgeResponseBytes"],
        ]),
    ]
}

/// Reads JSON access logs, one object per line (`nginx-json`, `caddy-json`, `traefik-json`,
/// `cloudflare-json`), into the records every access-log format shares.
///
/// A line that is not a JSON object is `invalid-json`; one without a time, a status or a
/// path is `missing-field` (an unreadable time `bad-timestamp`, an unreadable status
/// `bad-status`). Strings are unescaped only when they hold an escape.
public struct JSONAccessLogParser: ChunkParser {
    public let layout: JSONAccessLayout
    private var judge: WebRecordClassifier
    /// Per field, the paths as byte keys, tried in order.
    private let keys: [[[[UInt8]]]]
    /// As for `AccessLogParser`: the first `X-Forwarded-For` address, when the input trusts it.
    public var trustsForwardedFor = false
    public var window: DayWindow? {
        get { judge.window }
        set { judge.window = newValue }
    }
    /// People on the opt-out list, whose page views and errors are dropped as they are read.
    public var optOuts: Set<ActorKey> {
        get { judge.optOuts }
        set { judge.optOuts = newValue }
    }

    public init(
        layout: JSONAccessLayout, stream: UInt8, profile: AssetProfile, visitorScope: VisitorScope, zone: ZoneRules,
        pseudonymiser: Pseudonymiser, classifier: UserAgentClassifier = UserAgentClassifier()
    ) {
        self.layout = layout
        judge = WebRecordClassifier(
            stream: stream, profile: profile, visitorScope: visitorScope, zone: zone, pseudonymiser: pseudonymiser,
            userNamespace: Pseudonymiser.Namespace.webUser, classifier: classifier)
        keys = JSONAccessLayout.Field.allCases.map { field in
            (layout.paths[field] ?? []).map { path in path.map { Array($0.utf8) } }
        }
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        var reader = Reader(keys: keys, zone: judge.zone, trustsForwardedFor: trustsForwardedFor)
        return judge.parse(chunk, reader: &reader)
    }

    struct Reader: AccessLineReader {
        let keys: [[[[UInt8]]]]
        let zone: ZoneRules
        let trustsForwardedFor: Bool
        var tape = JSONTape()

        init(keys: [[[[UInt8]]]], zone: ZoneRules, trustsForwardedFor: Bool) {
            self.keys = keys
            self.zone = zone
            self.trustsForwardedFor = trustsForwardedFor
        }

        /// The value node of `field`: the first of its paths present, a one-string array
        /// (Caddy's header values) read as its first element.
        func node(_ field: JSONAccessLayout.Field, _ root: Int) -> Int? {
            for path in keys[field.ordinal] {
                var current: Int? = root
                for key in path {
                    guard let at = current else { break }
                    current = key.withUnsafeBytes { tape.member(at, bytes: $0) }
                }
                guard var found = current, tape.isPresent(found) else { continue }
                if tape.kind(found) == .array {
                    guard let first = tape.elements(found).first else { continue }
                    found = first
                }
                return found
            }
            return nil
        }

        /// A string or number's bytes, unescaped into `scratch` when it holds an escape.
        func text(_ node: Int?, _ scratch: inout ScratchBytes) -> UnsafeRawBufferPointer? {
            guard let node, tape.kind(node) == .string || tape.kind(node) == .number else { return nil }
            let raw = tape.bytes(node)
            guard tape.kind(node) == .string, raw.contains(UInt8(ascii: "\\")) else { return raw }
            return scratch.append(limit: raw.count) { sink in tape.unescape(node) { sink.append($0) } }
        }

        mutating func record(
            _ line: UnsafeRawBufferPointer, _ lineNumber: Int, _ scratch: inout ScratchBytes, _ result: inout ChunkResult
        ) -> AccessRecord? {
            guard tape.parse(line), let root = tape.root, tape.kind(root) == .object else {
                result.reject(.invalidJSON, line: lineNumber, bytes: line)
                return nil
            }
            guard let timeNode = node(.time, root), let statusNode = node(.status, root),
                let target = target(root, &scratch)
            else {
                result.reject(.missingField, line: lineNumber, bytes: line)
                return nil
            }
            guard let time = time(timeNode, &scratch), Timestamps.plausible.contains(time) else {
                result.reject(.badTimestamp, line: lineNumber, bytes: line)
                return nil
            }
            guard let status = tape.int(statusNode), (100...999).contains(status) else {
                result.reject(.badStatus, line: lineNumber, bytes: line)
                return nil
            }
            var host = text(node(.client, root), &scratch) ?? AccessRecord.none
            if trustsForwardedFor, let forwarded = text(node(.forwardedFor, root), &scratch),
                let first = AccessLogParser.firstForwarded(forwarded, 0..<forwarded.count)
            {
                host = UnsafeRawBufferPointer(rebasing: forwarded[first])
            }
            let method = text(node(.method, root), &scratch)
            return AccessRecord(
                time: time, status: Int(status), method: method ?? target.method ?? AccessRecord.none,
                checksMethod: method != nil || target.method != nil, target: target.target, malformedRequest: target.malformed,
                user: text(node(.user, root), &scratch) ?? AccessRecord.none, host: host,
                userAgent: text(node(.userAgent, root), &scratch), bytes: text(node(.bytes, root), &scratch).map(AccessRecord.size) ?? 0)
        }

        /// The requested path and query: `uri`, else `path` with `query`, else the request line.
        func target(_ root: Int, _ scratch: inout ScratchBytes) -> (
            target: UnsafeRawBufferPointer, method: UnsafeRawBufferPointer?, malformed: Bool
        )? {
            if let uri = text(node(.uri, root), &scratch) { return (uri, nil, false) }
            if let path = text(node(.path, root), &scratch) {
                guard let query = text(node(.query, root), &scratch), query.count > 0, !(query.count == 1 && query[0] == 0x2D) else {
                    return (path, nil, false)
                }
                let joined = scratch.append(limit: path.count + query.count + 1) { sink in
                    sink.append(path)
                    if query[0] != UInt8(ascii: "?") { sink.append(UInt8(ascii: "?")) }
                    sink.append(query)
                }
                return (joined, nil, false)
            }
            guard let request = text(node(.request, root), &scratch) else { return nil }
            guard let (method, target) = AccessRecord.splitRequest(request) else { return (request, nil, true) }
            return (target, method, false)
        }

        /// The instant of a time node, UTC milliseconds.
        func time(_ node: Int, _ scratch: inout ScratchBytes) -> Int64? {
            // A number, or a string of one: seconds to nanoseconds since 1970.
            if let count = tape.double(node) { return Timestamps.epoch(magnitude: count) }
            guard let bytes = text(node, &scratch) else { return nil }
            if let t = Timestamps.iso8601(bytes) {
                return t.hasOffset ? t.millis : zone.utcSeconds(fromLocalSeconds: t.millis / 1000) * 1000 + t.millis % 1000
            }
            return Timestamps.clf(bytes)
        }
    }
}
