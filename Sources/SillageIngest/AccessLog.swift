#if canImport(Glibc)
    import Glibc
#endif
import SillageCore
import SillagePrivacy

/// One step of a compiled layout: a literal to match, or a field to cut; plain data, so
/// walking the layout per line involves no reference counting.
struct LayoutStep {
    enum Kind: UInt8 { case literal, field }
    enum Cut: UInt8 { case bracketed, quoted, untilDelimiter, toEnd }
    enum Target: UInt8 { case host, hostPort, user, time, request, method, target, status, bytes, userAgent, forwarded, ignored }
    var kind: Kind
    var literalStart: Int
    var literalCount: Int
    var cut: Cut = .toEnd
    var target: Target = .ignored
    var timeStyle: AccessLogFormat.TimeStyle = .bracketedCLF
    /// The first byte of the following literal (the field's end), for untilDelimiter.
    var delimiter: UInt8 = 0
    /// The following literal, for quoted fields (their closing quote must be followed by it).
    var nextLiteralStart = 0
    var nextLiteralCount = 0
}

/// The raw fields of one access-log line, as byte ranges into the line.
package struct AccessLogFields {
    var host = 0..<0, user = 0..<0, time = 0..<0, request = 0..<0, method = 0..<0
    var target = 0..<0, status = 0..<0, bytes = 0..<0, userAgent = 0..<0, forwarded = 0..<0
    var hasHost = false, hasUser = false, hasRequest = false, hasMethod = false, hasUserAgent = false, hasForwarded = false
    var timeStyle = AccessLogFormat.TimeStyle.bracketedCLF
}

/// Parses access-log lines (`common`, `combined`, `vhost-combined`, any Apache or nginx format).
///
/// A line becomes a `pageView` event (SPEC §7), a counted skip (bot, static asset, status,
/// method, invalid request) or a counted reject. The client address, user name and user
/// agent are read, keyed and forgotten inside `parse`: only the pseudonym, the normalised
/// object and the agent class leave it.
public struct AccessLogParser: ChunkParser, AccessLineReader {
    public let format: AccessLogFormat
    private var judge: WebRecordClassifier
    private let steps: [LayoutStep]
    private let literals: [UInt8]
    public var stream: UInt8 { judge.stream }
    public var profile: AssetProfile { judge.profile }
    public var visitorScope: VisitorScope { judge.visitorScope }
    public var zone: ZoneRules { judge.zone }
    /// The client address is the first one of `X-Forwarded-For` when the line has one (the
    /// input names that header as trusted: its proxy sets it); otherwise, and by default,
    /// the address the server saw.
    public var trustsForwardedFor = false
    /// Local days to read; records outside are skipped as `outside-window`.
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
        format: AccessLogFormat, stream: UInt8, profile: AssetProfile, visitorScope: VisitorScope,
        zone: ZoneRules, pseudonymiser: Pseudonymiser, userNamespace: String = Pseudonymiser.Namespace.webUser,
        classifier: UserAgentClassifier = UserAgentClassifier()
    ) {
        self.format = format
        judge = WebRecordClassifier(
            stream: stream, profile: profile, visitorScope: visitorScope, zone: zone, pseudonymiser: pseudonymiser,
            userNamespace: userNamespace, classifier: classifier)
        (steps, literals) = AccessLogParser.compile(format.items)
    }

    /// Flattens the layout into plain steps and one buffer of literal bytes.
    static func compile(_ items: [AccessLogFormat.Item]) -> ([LayoutStep], [UInt8]) {
        var steps: [LayoutStep] = []
        var literals: [UInt8] = []
        for item in items {
            switch item {
            case .literal(let bytes):
                steps.append(LayoutStep(kind: .literal, literalStart: literals.count, literalCount: bytes.count))
                literals += bytes
            case .field(let field):
                var step = LayoutStep(kind: .field, literalStart: 0, literalCount: 0)
                switch field {
                case .remoteHost: step.target = .host
                case .remoteHostPort: step.target = .hostPort
                case .user: step.target = .user
                case .time(let style): step.target = .time; step.timeStyle = style
                case .request: step.target = .request
                case .method: step.target = .method
                case .target: step.target = .target
                case .status: step.target = .status
                case .bytes: step.target = .bytes
                case .userAgent: step.target = .userAgent
                case .forwardedFor: step.target = .forwarded
                default: step.target = .ignored
                }
                steps.append(step)
            }
        }
        for i in steps.indices where steps[i].kind == .field {
            let previous = i > 0 && steps[i - 1].kind == .literal ? steps[i - 1] : nil
            let next = i + 1 < steps.count && steps[i + 1].kind == .literal ? steps[i + 1] : nil
            if steps[i].target == .time && steps[i].timeStyle == .bracketedCLF {
                steps[i].cut = .bracketed
            } else if let previous, let next, literals[previous.literalStart + previous.literalCount - 1] == 0x22,
                literals[next.literalStart] == 0x22
            {
                steps[i].cut = .quoted
            } else if next != nil {
                steps[i].cut = .untilDelimiter
            } else {
                steps[i].cut = .toEnd
            }
            if let next {
                steps[i].delimiter = literals[next.literalStart]
                steps[i].nextLiteralStart = next.literalStart
                steps[i].nextLiteralCount = next.literalCount
            }
        }
        return (steps, literals)
    }

    /// Splits a line into fields following the layout; nil when it does not match.
    package func fields(_ line: UnsafeRawBufferPointer) -> AccessLogFields? {
        steps.withUnsafeBufferPointer { steps in
            literals.withUnsafeBufferPointer { literals in
                fields(line, steps, literals)
            }
        }
    }

    @inline(__always)
    private func fields(
        _ line: UnsafeRawBufferPointer, _ steps: UnsafeBufferPointer<LayoutStep>,
        _ literals: UnsafeBufferPointer<UInt8>
    ) -> AccessLogFields? {
        var f = AccessLogFields()
        var pos = 0
        let n = line.count
        for step in steps {
            if step.kind == .literal {
                let end = step.literalStart + step.literalCount
                var k = step.literalStart
                while k < end {
                    let byte = literals[k]
                    guard pos < n, line[pos] == byte else { return nil }
                    pos += 1
                    // Tolerate runs of spaces where the layout has one.
                    if byte == 0x20, k == end - 1 || literals[k + 1] != 0x20 {
                        while pos < n, line[pos] == 0x20 { pos += 1 }
                    }
                    k += 1
                }
                continue
            }
            var start = pos
            let end: Int
            switch step.cut {
            case .bracketed:
                guard pos < n, line[pos] == UInt8(ascii: "[") else { return nil }
                start = pos + 1
                var e = start
                while e < n, line[e] != UInt8(ascii: "]") { e += 1 }
                guard e < n else { return nil }
                end = e
                pos = e + 1
            case .quoted:
                guard
                    let close = closingQuote(
                        line, from: pos,
                        next: UnsafeBufferPointer(rebasing: literals[step.nextLiteralStart..<(step.nextLiteralStart + step.nextLiteralCount)]))
                else { return nil }
                end = close
                pos = close
            case .untilDelimiter:
                guard let hit = findByte(line, step.delimiter, from: pos) else { return nil }
                end = hit
                pos = hit
            case .toEnd:
                // A last field of codes (a size, a status, a host) holds no space: text after
                // it means the line has fields the layout does not (a combined line read as
                // common, whose referer and user agent would be lost with its bots).
                var e = n
                while e > pos, line[e - 1] == 0x20 || line[e - 1] == 0x0D { e -= 1 }
                if step.target != .userAgent && step.target != .request && step.target != .target,
                    let space = Bytes.firstIndex(of: 0x20, in: line, from: pos), space < e
                {
                    return nil
                }
                end = e
                pos = n
            }
            let range = start..<end
            switch step.target {
            case .host: f.host = range; f.hasHost = true
            case .hostPort: f.host = AccessLogParser.withoutPort(line, range); f.hasHost = true
            case .user: f.user = range; f.hasUser = true
            case .time: f.time = range; f.timeStyle = step.timeStyle
            case .request: f.request = range; f.hasRequest = true
            case .method: f.method = range; f.hasMethod = true
            case .target: f.target = range
            case .status: f.status = range
            case .bytes: f.bytes = range
            case .userAgent: f.userAgent = range; f.hasUserAgent = true
            case .forwarded: f.forwarded = range; f.hasForwarded = true
            case .ignored: break
            }
        }
        return f
    }

    /// The first address of an `X-Forwarded-For` value (`client, proxy1, proxy2`), spaces
    /// trimmed; nil when the header is absent (`-`) or empty.
    static func firstForwarded(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int>? {
        var start = range.lowerBound, end = range.upperBound
        if let comma = Bytes.firstIndex(of: UInt8(ascii: ","), in: line, from: start), comma < end { end = comma }
        while start < end, line[start] == 0x20 { start += 1 }
        while end > start, line[end - 1] == 0x20 { end -= 1 }
        guard end > start, !(end - start == 1 && line[start] == UInt8(ascii: "-")) else { return nil }
        return start..<end
    }

    /// An `address:port` field without its port (the part after the last colon, when it is
    /// digits), so that one client keeps one key whatever port it came from.
    static func withoutPort(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var colon = range.upperBound
        while colon > range.lowerBound, line[colon - 1] >= 48, line[colon - 1] <= 57 { colon -= 1 }
        guard colon > range.lowerBound, colon < range.upperBound, line[colon - 1] == UInt8(ascii: ":") else { return range }
        return range.lowerBound..<(colon - 1)
    }

    @inline(__always)
    private func findByte(_ line: UnsafeRawBufferPointer, _ byte: UInt8, from: Int) -> Int? {
        Bytes.firstIndex(of: byte, in: line, from: from)
    }

    /// The closing quote of a quoted field: an unescaped `"` followed by the rest of the
    /// next literal. Unescaped quotes inside a user agent (old nginx) are stepped over.
    private func closingQuote(_ line: UnsafeRawBufferPointer, from: Int, next: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = from
        let n = line.count
        var fallback: Int? = nil
        while i < n {
            let c = line[i]
            if c == UInt8(ascii: "\\") { i += 2; continue }
            if c == 0x22 {
                if fallback == nil { fallback = i }
                var ok = true
                var k = 1
                while k < next.count {
                    if i + k >= n || line[i + k] != next[k] { ok = false; break }
                    k += 1
                }
                if ok && (next.count > 1 || i + 1 == n || line[i + 1] == 0x20) { return i }
            }
            i += 1
        }
        return fallback
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        var reader = self
        return judge.parse(chunk, reader: &reader)
    }

    /// Reads one line into an access record; nil when it is unreadable (a reject, counted
    /// in `result`).
    @inline(__always)
    func record(
        _ line: UnsafeRawBufferPointer, _ lineNumber: Int, _ scratch: inout ScratchBytes, _ result: inout ChunkResult
    ) -> AccessRecord? {
        guard var f = fields(line) else {
            result.reject(.malformedLine, line: lineNumber, bytes: line)
            return nil
        }
        guard let time = time(UnsafeRawBufferPointer(rebasing: line[f.time]), f.timeStyle), Timestamps.plausible.contains(time) else {
            result.reject(.badTimestamp, line: lineNumber, bytes: line)
            return nil
        }
        guard f.status.count == 3, let status = Timestamps.digits(UnsafeRawBufferPointer(rebasing: line[f.status]), 0, 3),
            status >= 100
        else {
            result.reject(.badStatus, line: lineNumber, bytes: line)
            return nil
        }
        let bytes = { (range: Range<Int>, present: Bool) in present ? UnsafeRawBufferPointer(rebasing: line[range]) : AccessRecord.none }
        if trustsForwardedFor, f.hasForwarded, let first = AccessLogParser.firstForwarded(line, f.forwarded) {
            (f.host, f.hasHost) = (first, true)
        }
        var record = AccessRecord(
            time: time, status: status, method: bytes(f.method, f.hasMethod), checksMethod: f.hasRequest || f.hasMethod,
            target: UnsafeRawBufferPointer(rebasing: line[f.target]), malformedRequest: false, user: bytes(f.user, f.hasUser),
            host: bytes(f.host, f.hasHost), userAgent: f.hasUserAgent ? UnsafeRawBufferPointer(rebasing: line[f.userAgent]) : nil,
            bytes: AccessRecord.size(UnsafeRawBufferPointer(rebasing: line[f.bytes])))
        if f.hasRequest {
            if let (method, target) = AccessRecord.splitRequest(UnsafeRawBufferPointer(rebasing: line[f.request])) {
                (record.method, record.target) = (method, target)
            } else {
                record.malformedRequest = true
            }
        }
        return record
    }

    @inline(__always)
    private func time(_ bytes: UnsafeRawBufferPointer, _ style: AccessLogFormat.TimeStyle) -> Int64? {
        switch style {
        case .bracketedCLF, .clf: return Timestamps.clf(bytes)
        case .iso8601:
            guard let t = Timestamps.iso8601(bytes) else { return nil }
            return t.hasOffset ? t.millis : zone.utcSeconds(fromLocalSeconds: t.millis / 1000) * 1000 + t.millis % 1000
        case .epochSeconds: return Timestamps.epochSeconds(bytes)
        case .epochMillis: return Timestamps.epochMillis(bytes)
        }
    }
}
