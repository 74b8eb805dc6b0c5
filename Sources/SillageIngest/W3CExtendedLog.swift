import SillageCore
import SillagePrivacy

/// Where each field of a W3C extended log line is, from a `#Fields:` directive.
struct W3CLayout: Equatable {
    var date = -1, time = -1, client = -1, forwarded = -1, user = -1, method = -1
    var stem = -1, query = -1, uri = -1, status = -1, agent = -1, bytes = -1
    /// The number of fields a line has.
    var count = 0

    /// The layout a `#Fields:` line declares (field names are case-insensitive).
    init(directive: UnsafeRawBufferPointer) {
        let names = String(decoding: directive, as: UTF8.self).dropFirst(W3CExtendedLogParser.fieldsDirective.count)
            .split(whereSeparator: { $0 == " " || $0 == "\t" })
        count = names.count
        for (i, name) in names.enumerated() {
            switch name.lowercased() {
            case "date": date = i
            case "time": time = i
            case "c-ip": client = i
            case "x-forwarded-for", "cs(x-forwarded-for)": forwarded = i
            case "cs-username": user = i
            case "cs-method": method = i
            case "cs-uri-stem": stem = i
            case "cs-uri-query": query = i
            case "cs-uri": uri = i
            case "sc-status": status = i
            case "sc-bytes": bytes = i
            case "cs(user-agent)": agent = i
            default: break
            }
        }
    }

    /// The layout has what a page view needs: a date and time, a status, a path, a client.
    var isComplete: Bool {
        date >= 0 && time >= 0 && status >= 0 && (stem >= 0 || uri >= 0) && (client >= 0 || user >= 0)
    }
}

/// Reads W3C extended log files: IIS (fields between spaces) and CloudFront standard logs
/// (fields between tabs), whose `#Fields:` directive names the fields and may change
/// within a file.
///
/// Directive lines are counted as `directive` skips. A chunk starts with the directive in
/// force before it (the chunker carries it, `RecordBoundary.newlineWithDirectives`). Dates
/// and times are UTC, as the W3C draft defines them. A `-` is an empty field; the user
/// agent is decoded from IIS's `+` for spaces and from CloudFront's percent-encoding.
public struct W3CExtendedLogParser: ChunkParser {
    public static let fieldsDirective = "#Fields:"
    /// CloudFront's documented fields, for a file whose header was cut off.
    public static let cloudFrontFields =
        "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end"

    /// The byte between fields: a space (IIS, W3C) or a tab (CloudFront).
    public let separator: UInt8
    /// The directive in force before any in the file (CloudFront's documented fields).
    public let defaultDirective: [UInt8]
    private var judge: WebRecordClassifier
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
        separator: UInt8, defaultDirective: String? = nil, stream: UInt8, profile: AssetProfile, visitorScope: VisitorScope,
        zone: ZoneRules, pseudonymiser: Pseudonymiser, classifier: UserAgentClassifier = UserAgentClassifier()
    ) {
        self.separator = separator
        self.defaultDirective = defaultDirective.map { Array($0.utf8) } ?? []
        judge = WebRecordClassifier(
            stream: stream, profile: profile, visitorScope: visitorScope, zone: zone, pseudonymiser: pseudonymiser,
            userNamespace: Pseudonymiser.Namespace.webUser, classifier: classifier)
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        let directive = chunk.context.isEmpty ? defaultDirective : chunk.context
        var reader = Reader(separator: separator, trustsForwardedFor: trustsForwardedFor)
        if !directive.isEmpty { reader.layout = directive.withUnsafeBytes { W3CLayout(directive: $0) } }
        return judge.parse(chunk, reader: &reader)
    }

    struct Reader: AccessLineReader {
        let separator: UInt8
        let trustsForwardedFor: Bool
        var layout: W3CLayout? = nil
        var fields: [Range<Int>] = []

        init(separator: UInt8, trustsForwardedFor: Bool) {
            self.separator = separator
            self.trustsForwardedFor = trustsForwardedFor
            fields.reserveCapacity(40)
        }

        mutating func record(
            _ line: UnsafeRawBufferPointer, _ lineNumber: Int, _ scratch: inout ScratchBytes, _ result: inout ChunkResult
        ) -> AccessRecord? {
            if line[0] == UInt8(ascii: "#") {
                if Bytes.equal(line, at: 0, Bytes.view(W3CExtendedLogParser.fieldsDirectiveBytes)) {
                    layout = W3CLayout(directive: line)
                }
                result.counts[skip: .directive] += 1
                return nil
            }
            guard let layout, split(line), fields.count >= layout.count else {
                result.reject(.malformedLine, line: lineNumber, bytes: line)
                return nil
            }
            guard layout.isComplete else {
                result.reject(.missingField, line: lineNumber, bytes: line)
                return nil
            }
            let date = field(line, layout.date), clock = field(line, layout.time)
            let stamp = scratch.append(limit: date.count + clock.count + 2) { sink in
                sink.append(date)
                sink.append(UInt8(ascii: "T"))
                sink.append(clock)
                sink.append(UInt8(ascii: "Z"))
            }
            guard let time = Timestamps.iso8601(stamp)?.millis, Timestamps.plausible.contains(time) else {
                result.reject(.badTimestamp, line: lineNumber, bytes: line)
                return nil
            }
            let statusBytes = field(line, layout.status)
            guard statusBytes.count == 3, let status = Timestamps.digits(statusBytes, 0, 3), status >= 100 else {
                result.reject(.badStatus, line: lineNumber, bytes: line)
                return nil
            }
            var host = field(line, layout.client)
            if trustsForwardedFor, layout.forwarded >= 0, let first = AccessLogParser.firstForwarded(line, fields[layout.forwarded]) {
                host = UnsafeRawBufferPointer(rebasing: line[first])
            }
            let method = field(line, layout.method)
            return AccessRecord(
                time: time, status: status, method: method, checksMethod: layout.method >= 0,
                target: target(line, layout, &scratch), malformedRequest: false, user: field(line, layout.user),
                host: host, userAgent: layout.agent >= 0 ? decodedAgent(field(line, layout.agent), &scratch) : nil,
                bytes: AccessRecord.size(field(line, layout.bytes)))
        }

        /// Cuts the line at each separator (runs of spaces count as one; a field in double
        /// quotes may hold the separator). A quote that is not closed just before a separator
        /// or the end is a character of the field: a client's `"x` user agent is text.
        mutating func split(_ line: UnsafeRawBufferPointer) -> Bool {
            fields.removeAll(keepingCapacity: true)
            var i = 0
            let n = line.count
            while i < n {
                if line[i] == 0x22, let close = Bytes.firstIndex(of: 0x22, in: line, from: i + 1),
                    close + 1 == n || line[close + 1] == separator
                {
                    fields.append((i + 1)..<close)
                    i = close + 1
                } else {
                    let end = Bytes.firstIndex(of: separator, in: line, from: i) ?? n
                    fields.append(i..<end)
                    i = end
                }
                guard i < n else { break }
                guard line[i] == separator else { return false }
                i += 1
                if separator == 0x20 { while i < n, line[i] == 0x20 { i += 1 } }
            }
            return true
        }

        /// Field `index`, empty when the layout has none or the line holds `-`.
        func field(_ line: UnsafeRawBufferPointer, _ index: Int) -> UnsafeRawBufferPointer {
            guard index >= 0, index < fields.count else { return AccessRecord.none }
            let range = fields[index]
            if range.count == 1, line[range.lowerBound] == UInt8(ascii: "-") { return AccessRecord.none }
            return UnsafeRawBufferPointer(rebasing: line[range])
        }

        /// `cs-uri`, or `cs-uri-stem` with `?` and `cs-uri-query` when there is a query.
        func target(_ line: UnsafeRawBufferPointer, _ layout: W3CLayout, _ scratch: inout ScratchBytes) -> UnsafeRawBufferPointer {
            if layout.stem < 0 { return field(line, layout.uri) }
            let stem = field(line, layout.stem), query = field(line, layout.query)
            guard query.count > 0 else { return stem }
            return scratch.append(limit: stem.count + query.count + 1) { sink in
                sink.append(stem)
                sink.append(UInt8(ascii: "?"))
                sink.append(query)
            }
        }

        /// The user agent with `+` as a space (IIS) and `%XX` decoded (CloudFront, which
        /// encodes twice: `%2520`), so that bots are told by the agent a browser sent.
        func decodedAgent(_ agent: UnsafeRawBufferPointer, _ scratch: inout ScratchBytes) -> UnsafeRawBufferPointer {
            guard agent.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return agent }
            var current = agent
            for _ in 0..<2 where current.contains(UInt8(ascii: "%")) || current.contains(UInt8(ascii: "+")) {
                let input = current
                current = scratch.append(limit: input.count) { sink in
                    var i = 0
                    while i < input.count {
                        let c = input[i]
                        if c == UInt8(ascii: "+") {
                            sink.append(0x20)
                        } else if c == UInt8(ascii: "%"), i + 2 < input.count, let h = ObjectKeys.hexValue(input[i + 1]),
                            let l = ObjectKeys.hexValue(input[i + 2])
                        {
                            sink.append(h << 4 | l)
                            i += 2
                        } else {
                            sink.append(c)
                        }
                        i += 1
                    }
                }
            }
            return current
        }
    }

    static let fieldsDirectiveBytes: StaticString = "#Fields:"
}
