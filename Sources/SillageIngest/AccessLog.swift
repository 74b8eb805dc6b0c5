#if canImport(Glibc)
    import Glibc
#endif
import SillageCore
import SillagePrivacy

/// How anonymous web visitors are keyed (SPEC §6).
public enum VisitorScope: String, Sendable {
    /// IP + user agent + local day: nobody is followed across days (the default).
    case day
    /// IP + user agent: an explicit opt-in.
    case persistent
}

/// One step of a compiled layout: a literal to match, or a field to cut; plain data, so
/// walking the layout per line involves no reference counting.
struct LayoutStep {
    enum Kind: UInt8 { case literal, field }
    enum Cut: UInt8 { case bracketed, quoted, untilDelimiter, toEnd }
    enum Target: UInt8 { case host, user, time, request, method, target, status, userAgent, ignored }
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
    var target = 0..<0, status = 0..<0, userAgent = 0..<0
    var hasHost = false, hasUser = false, hasRequest = false, hasMethod = false, hasUserAgent = false
    var timeStyle = AccessLogFormat.TimeStyle.bracketedCLF
}

/// Parses access-log lines (`common`, `combined`, `vhost-combined`, any Apache or nginx format).
///
/// A line becomes a `pageView` event (SPEC §7), a counted skip (bot, static asset, status,
/// method, invalid request) or a counted reject. The client address, user name and user
/// agent are read, keyed and forgotten inside `parse`: only the pseudonym, the normalised
/// object and the agent class leave it.
public struct AccessLogParser: ChunkParser {
    public let format: AccessLogFormat
    public let stream: UInt8
    public let profile: AssetProfile
    public let visitorScope: VisitorScope
    public let zone: ZoneRules
    private let classifier: UserAgentClassifier
    private let scrubber: URLScrubber
    private let users: Pseudonymiser.Prepared
    private let visitors: Pseudonymiser.Prepared
    private let steps: [LayoutStep]
    private let literals: [UInt8]
    /// Local days to read; records outside are skipped as `outside-window`.
    public var window: ClosedRange<Int32>? = nil

    public init(
        format: AccessLogFormat, stream: UInt8, profile: AssetProfile, visitorScope: VisitorScope,
        zone: ZoneRules, pseudonymiser: Pseudonymiser, userNamespace: String = Pseudonymiser.Namespace.webUser,
        classifier: UserAgentClassifier = UserAgentClassifier()
    ) {
        self.format = format
        self.stream = stream
        self.profile = profile
        self.visitorScope = visitorScope
        self.zone = zone
        self.classifier = classifier
        scrubber = URLScrubber(profile: profile)
        users = pseudonymiser.prepare(userNamespace)
        visitors = pseudonymiser.prepare(Pseudonymiser.Namespace.webVisitor)
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
                case .user: step.target = .user
                case .time(let style): step.target = .time; step.timeStyle = style
                case .request: step.target = .request
                case .method: step.target = .method
                case .target: step.target = .target
                case .status: step.target = .status
                case .userAgent: step.target = .userAgent
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
                end = n
                pos = n
            }
            let range = start..<end
            switch step.target {
            case .host: f.host = range; f.hasHost = true
            case .user: f.user = range; f.hasUser = true
            case .time: f.time = range; f.timeStyle = step.timeStyle
            case .request: f.request = range; f.hasRequest = true
            case .method: f.method = range; f.hasMethod = true
            case .target: f.target = range
            case .status: f.status = range
            case .userAgent: f.userAgent = range; f.hasUserAgent = true
            case .ignored: break
            }
        }
        return f
    }

    @inline(__always)
    private func findByte(_ line: UnsafeRawBufferPointer, _ byte: UInt8, from: Int) -> Int? {
        guard from < line.count, let base = line.baseAddress,
            let hit = memchr(base + from, Int32(byte), line.count - from)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
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
        if let rejected = ChunkResult.overlong(chunk) { return rejected }
        var result = ChunkResult()
        var agents = ByteKeyTable<AgentClass>(capacity: 256)
        var objects = ByteKeyTable<Void>(capacity: 1024)
        // Pseudonyms of the identities seen in this chunk. The identity bytes stay inside this
        // task and are dropped with it: only the pseudonyms leave.
        var actors = ByteKeyTable<ActorKey>(capacity: 1024)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(1024)
        chunk.bytes.withUnsafeBytes { all in
            let n = all.count
            var start = 0
            var lineNumber = 0
            while start < n {
                let base = all.baseAddress!
                var end = n
                if let hit = memchr(base + start, 0x0A, n - start) {
                    end = base.distance(to: UnsafeRawPointer(hit))
                }
                lineNumber += 1
                var lineEnd = end
                if lineEnd > start, all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: all[start..<lineEnd])
                start = end + 1
                parseLine(line, lineNumber, &result, &agents, &objects, &actors, &scratch)
            }
            result.lines = lineNumber
        }
        result.objects = (0..<objects.count).map { String(decoding: objects.key(at: $0), as: UTF8.self) }
        return result
    }

    @inline(__always)
    private func parseLine(
        _ line: UnsafeRawBufferPointer, _ lineNumber: Int, _ result: inout ChunkResult,
        _ agents: inout ByteKeyTable<AgentClass>, _ objects: inout ByteKeyTable<Void>,
        _ actors: inout ByteKeyTable<ActorKey>, _ scratch: inout [UInt8]
    ) {
        if line.count == 0 || line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            result.counts[skip: .blankLine] += 1
            return
        }
        if line.count > LineChunkerDefaults.maxLineBytes {
            result.reject(.lineTooLong, line: lineNumber, bytes: line)
            return
        }
        guard let f = fields(line) else {
            result.reject(.malformedLine, line: lineNumber, bytes: line)
            return
        }
        let timeBytes = UnsafeRawBufferPointer(rebasing: line[f.time])
        let parsedTime: Int64?
        switch f.timeStyle {
        case .bracketedCLF, .clf: parsedTime = Timestamps.clf(timeBytes)
        case .iso8601:
            if let t = Timestamps.iso8601(timeBytes) {
                parsedTime =
                    t.hasOffset
                    ? t.millis
                    : zone.utcSeconds(fromLocalSeconds: t.millis / 1000) * 1000 + t.millis % 1000
            } else {
                parsedTime = nil
            }
        case .epochSeconds: parsedTime = Timestamps.epochSeconds(timeBytes)
        case .epochMillis: parsedTime = Timestamps.epochMillis(timeBytes)
        }
        guard let time = parsedTime, Timestamps.plausible.contains(time) else {
            result.reject(.badTimestamp, line: lineNumber, bytes: line)
            return
        }
        guard f.status.count == 3, let status = Timestamps.digits(UnsafeRawBufferPointer(rebasing: line[f.status]), 0, 3),
            status >= 100
        else {
            result.reject(.badStatus, line: lineNumber, bytes: line)
            return
        }
        let day = zone.localDay(utcMillis: time)
        func skip(_ reason: SkipReason) {
            result.counts[skip: reason] += 1
            result.daily[day, default: DailyCounts()][skip: reason] += 1
        }
        if let window, !window.contains(day) {
            result.counts[skip: .outsideWindow] += 1
            return
        }
        // Client class first: bots are skipped before anything is keyed.
        let agentBytes = f.hasUserAgent ? UnsafeRawBufferPointer(rebasing: line[f.userAgent]) : UnsafeRawBufferPointer(start: nil, count: 0)
        var agentClass = AgentClass.unknown
        if f.hasUserAgent {
            let index = agents.insert(agentBytes) { classifier.classify(agentBytes) }
            agentClass = agents.values[index]
            if agentClass == .bot {
                skip(.bot)
                return
            }
        }
        // Request line: METHOD SP target [SP protocol]
        var method = 0..<0
        var target = f.target
        if f.hasRequest {
            let r = f.request
            var sp1 = r.lowerBound
            while sp1 < r.upperBound, line[sp1] != 0x20 { sp1 += 1 }
            guard sp1 < r.upperBound else {
                skip(.invalidRequest)
                return
            }
            method = r.lowerBound..<sp1
            var sp2 = r.upperBound
            while sp2 > sp1 + 1, line[sp2 - 1] != 0x20 { sp2 -= 1 }
            target = (sp2 > sp1 + 1) ? (sp1 + 1)..<(sp2 - 1) : (sp1 + 1)..<r.upperBound
            while target.upperBound > target.lowerBound, line[target.upperBound - 1] == 0x20 {
                target = target.lowerBound..<(target.upperBound - 1)
            }
        } else if f.hasMethod {
            method = f.method
        } else {
            method = 0..<0
        }
        if !method.isEmpty || f.hasRequest || f.hasMethod {
            let isGet =
                method.count == 3 && line[method.lowerBound] == UInt8(ascii: "G")
                && line[method.lowerBound + 1] == UInt8(ascii: "E") && line[method.lowerBound + 2] == UInt8(ascii: "T")
            let isPost =
                method.count == 4 && line[method.lowerBound] == UInt8(ascii: "P")
                && line[method.lowerBound + 1] == UInt8(ascii: "O") && line[method.lowerBound + 2] == UInt8(ascii: "S")
                && line[method.lowerBound + 3] == UInt8(ascii: "T")
            if !isGet && !isPost {
                let printable = method.allSatisfy { line[$0] >= 0x41 && line[$0] <= 0x5A }
                skip(printable && !method.isEmpty ? .method : .invalidRequest)
                return
            }
        }
        guard !target.isEmpty, line[target.lowerBound] == UInt8(ascii: "/") || line[target.lowerBound] == UInt8(ascii: "h") else {
            skip(.invalidRequest)
            return
        }
        if status < 200 || status > 399 {
            skip(.status)
            return
        }
        let targetBytes = UnsafeRawBufferPointer(rebasing: line[target])
        let pathRange = URLScrubber.pathRange(targetBytes)
        if profile.isAsset(path: UnsafeRawBufferPointer(rebasing: targetBytes[pathRange])) {
            skip(.staticAsset)
            return
        }
        let userBytes = f.hasUser ? UnsafeRawBufferPointer(rebasing: line[f.user]) : UnsafeRawBufferPointer(start: nil, count: 0)
        let isUser = userBytes.count > 0 && !(userBytes.count == 1 && userBytes[0] == UInt8(ascii: "-"))
        let host = f.hasHost ? UnsafeRawBufferPointer(rebasing: line[f.host]) : UnsafeRawBufferPointer(start: nil, count: 0)
        // Memo key: kind ‖ day ‖ identity parts, separated by 0x00 (not in log fields).
        scratch.removeAll(keepingCapacity: true)
        scratch.append(isUser ? 1 : 2)
        if !isUser && visitorScope == .day {
            withUnsafeBytes(of: day.bigEndian) { scratch.append(contentsOf: $0) }
        }
        if isUser {
            scratch.append(contentsOf: userBytes)
        } else {
            scratch.append(contentsOf: host)
            scratch.append(0)
            scratch.append(contentsOf: agentBytes)
        }
        let known = actors.count
        let actorIndex = scratch.withUnsafeBytes { key in
            actors.insert(key) {
                if isUser { return users.key(userBytes) }
                switch visitorScope {
                case .day:
                    var dayValue = day.bigEndian
                    return withUnsafeBytes(of: &dayValue) { visitors.key(parts: $0, host, agentBytes) }
                case .persistent:
                    return visitors.key(parts: host, agentBytes)
                }
            }
        }
        let actor = actors.values[actorIndex]
        if isUser && actors.count > known { result.noteIdentifier(userBytes) }
        scratch.removeAll(keepingCapacity: true)
        scrubber.normalise(targetBytes, into: &scratch)
        let objectIndex = scratch.withUnsafeBytes { objects.insert($0) { () } }
        result.daily[day, default: DailyCounts()].events += 1
        result.events.append(
            Event(
                time: time, actor: actor, day: day, stream: stream, kind: .pageView,
                object: UInt32(objectIndex + 1), status: UInt16(status), agentClass: agentClass))
    }
}
