import SillageCore
import SillagePrivacy

/// Reads HAProxy's HTTP log format (`option httplog`), with or without the syslog prefix:
/// `client:port [accept_date] frontend backend/server timers status bytes … "request"`.
///
/// The accept date has no offset: it is read in the pipeline's time zone, as HAProxy
/// writes its host's local time. The format holds no user agent unless a header capture
/// puts one among the `{…}` blocks, whose order the log does not say: visitors are keyed
/// by address alone and bots cannot be told apart. A line without a quoted request (TCP
/// mode) is `malformed-line`.
public struct HAProxyLogParser: ChunkParser {
    private var judge: WebRecordClassifier
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
        stream: UInt8, profile: AssetProfile, visitorScope: VisitorScope, zone: ZoneRules, pseudonymiser: Pseudonymiser,
        classifier: UserAgentClassifier = UserAgentClassifier()
    ) {
        judge = WebRecordClassifier(
            stream: stream, profile: profile, visitorScope: visitorScope, zone: zone, pseudonymiser: pseudonymiser,
            userNamespace: Pseudonymiser.Namespace.webUser, classifier: classifier)
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        var reader = Reader(zone: judge.zone)
        return judge.parse(chunk, reader: &reader)
    }

    struct Reader: AccessLineReader {
        let zone: ZoneRules

        func record(
            _ line: UnsafeRawBufferPointer, _ lineNumber: Int, _ scratch: inout ScratchBytes, _ result: inout ChunkResult
        ) -> AccessRecord? {
            guard let open = Reader.acceptDate(line), let close = Bytes.firstIndex(of: UInt8(ascii: "]"), in: line, from: open),
                let client = Reader.clientBefore(open, line)
            else {
                result.reject(.malformedLine, line: lineNumber, bytes: line)
                return nil
            }
            guard let local = Timestamps.clfLocal(UnsafeRawBufferPointer(rebasing: line[(open + 1)..<close])) else {
                result.reject(.badTimestamp, line: lineNumber, bytes: line)
                return nil
            }
            // After the date: frontend, backend/server, timers, status, bytes, …, "request".
            var words = 0
            var statusRange = 0..<0
            var i = close + 1
            while words < 4, i < line.count {
                while i < line.count, line[i] == 0x20 { i += 1 }
                let end = Bytes.firstIndex(of: 0x20, in: line, from: i) ?? line.count
                if end > i { words += 1; statusRange = i..<end }
                i = end
            }
            // The bytes read from the server follow the status (`+` with `option logasap`).
            while i < line.count, line[i] == 0x20 || line[i] == UInt8(ascii: "+") { i += 1 }
            let sizeEnd = Bytes.firstIndex(of: 0x20, in: line, from: i) ?? line.count
            let size = AccessRecord.size(UnsafeRawBufferPointer(rebasing: line[i..<max(i, sizeEnd)]))
            guard words == 4, let quote = Bytes.firstIndex(of: 0x22, in: line, from: i) else {
                result.reject(.malformedLine, line: lineNumber, bytes: line)
                return nil
            }
            let statusBytes = UnsafeRawBufferPointer(rebasing: line[statusRange])
            guard statusBytes.count == 3, let status = Timestamps.digits(statusBytes, 0, 3), status >= 100 else {
                result.reject(.badStatus, line: lineNumber, bytes: line)
                return nil
            }
            // A request longer than HAProxy's buffer is cut without its closing quote.
            var end = line.count
            while end > quote + 1, line[end - 1] == 0x20 { end -= 1 }
            if end > quote + 1, line[end - 1] == 0x22 { end -= 1 }
            let request = UnsafeRawBufferPointer(rebasing: line[(quote + 1)..<end])
            let split = AccessRecord.splitRequest(request)
            let time = zone.utcSeconds(fromLocalSeconds: local / 1000) * 1000 + local % 1000
            return AccessRecord(
                time: time, status: status, method: split?.method ?? AccessRecord.none, checksMethod: true,
                target: split?.target ?? request, malformedRequest: split == nil, user: AccessRecord.none,
                host: UnsafeRawBufferPointer(rebasing: line[AccessLogParser.withoutPort(line, client)]), userAgent: nil, bytes: size)
        }

        /// The `[` of the accept date: the first one followed by `dd/Mon/yyyy:`.
        static func acceptDate(_ line: UnsafeRawBufferPointer) -> Int? {
            var from = 0
            while let open = Bytes.firstIndex(of: UInt8(ascii: "["), in: line, from: from) {
                if open + 13 < line.count, line[open + 3] == UInt8(ascii: "/"), line[open + 7] == UInt8(ascii: "/"),
                    line[open + 12] == UInt8(ascii: ":")
                {
                    return open
                }
                from = open + 1
            }
            return nil
        }

        /// The `client:port` word just before the accept date.
        static func clientBefore(_ open: Int, _ line: UnsafeRawBufferPointer) -> Range<Int>? {
            guard open >= 2, line[open - 1] == 0x20 else { return nil }
            var start = open - 1
            while start > 0, line[start - 1] != 0x20 { start -= 1 }
            let word = start..<(open - 1)
            guard word.count > 2, let colon = Bytes.firstIndex(of: UInt8(ascii: ":"), in: line, from: start), colon < word.upperBound
            else { return nil }
            return word
        }
    }
}
