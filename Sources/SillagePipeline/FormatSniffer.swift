import SillageCore
import SillagePrivacy
import SillageIngest

/// Tells which access-log format a file is written in, from its first records.
///
/// Each candidate type reads the file's head (its first 4 KiB, cut after the last whole
/// line) with its real parser, under a throwaway key: the record counts are all that is
/// kept. A format fits when it reads at least 90 % of the records with no reject; the
/// one that reads the most is chosen, and two that read as many are refused by name, so
/// that a file is never read as a format it merely resembles.
public enum FormatSniffer {
    /// The types `auto` chooses among, in the order a tie is reported.
    public static let candidates = [
        "combined", "common", "vhost-combined", "nginx-json", "caddy-json", "traefik-json", "cloudflare-json", "w3c",
        "cloudfront", "elb", "alb", "s3", "haproxy",
    ]

    /// How well one candidate reads a head.
    public struct Score: Sendable, Equatable {
        public var type: String
        /// Records read without reject (events and skips other than blank lines and directives).
        public var read: Int
        /// Records in the head.
        public var records: Int
    }

    /// The type a file's head is in, with the notice the run prints; throws when no format,
    /// or more than one, fits.
    public static func detect(head: [UInt8], input: InputDefinition, zone: ZoneRules, file: String) throws(SillageError) -> (
        type: String, notice: String
    ) {
        let scores = score(head: head, input: input, zone: zone)
        let best = scores.map(\.read).max() ?? 0
        // Directives are not records for the W3C readers: each is judged on its own count.
        let records = scores.filter { $0.read == best }.map(\.records).max() ?? 0
        guard best > 0, Double(best) >= 0.9 * Double(records) else {
            let closest = scores.filter { $0.read == best && best > 0 }.map(\.type)
            throw SillageError.data(
                "no access-log format reads the first records of the file", at: file,
                hint: closest.isEmpty
                    ? "declare its type (\(candidates.joined(separator: ", "))) or an apache/nginx logFormat"
                    : "the closest is \(closest.joined(separator: " or ")) (\(best) of \(records) first records); declare the type or a logFormat")
        }
        let fitting = scores.filter { $0.read == best }.map(\.type)
        guard fitting.count == 1, let type = fitting.first else {
            throw SillageError.data(
                "the first records fit \(fitting.joined(separator: " and ")) alike, so the format is not guessed", at: file,
                hint: "declare the input's type as one of them")
        }
        return (type, "read as \(type), detected from its first records (\(best) of \(records))")
    }

    /// Every candidate's reading of the head.
    public static func score(head: [UInt8], input: InputDefinition, zone: ZoneRules) -> [Score] {
        let lines = wholeLines(head)
        let context = IngestContext(
            zone: zone, pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 0, count: 32)), classifier: UserAgentClassifier(),
            streamIndex: 0)
        return candidates.compactMap { type -> Score? in
            guard let stage = StageRegistry.ingest[type] else { return nil }
            var d = input
            d.type = type
            guard let parsing = try? stage.prepareFile(d, context, head, "") else { return nil }
            return score(parsing.parser, lines, type: type)
        }
    }

    static func score(_ parser: any ChunkParser, _ lines: [UInt8], type: String) -> Score {
        let r = parser.parse(LineChunk(bytes: lines, index: 0, offset: 0, isOverlongLine: false))
        let noise = r.counts[skip: .blankLine] + r.counts[skip: .directive]
        let rejects = RejectReason.allCases.reduce(0) { $0 + r.counts[reject: $1] }
        let records = r.lines - noise
        return Score(type: type, read: max(0, records - rejects), records: records)
    }

    /// The head up to its last newline, unless the head is the whole (short) file.
    static func wholeLines(_ head: [UInt8]) -> [UInt8] {
        guard head.count >= LineChunkerDefaults.fingerprintBytes, let last = head.lastIndex(of: 0x0A) else { return head }
        return Array(head[...last])
    }

    /// Of two layouts, the one that reads more of the head's lines (`a` on a tie).
    static func better(_ a: AccessLogFormat, _ b: AccessLogFormat, head: [UInt8]) -> AccessLogFormat {
        let lines = wholeLines(head)
        let zone = ZoneRules(fixedOffsetSeconds: 0)
        let key = Pseudonymiser(key: [UInt8](repeating: 0, count: 32))
        let read = { (format: AccessLogFormat) in
            score(
                AccessLogParser(format: format, stream: 0, profile: .generic, visitorScope: .day, zone: zone, pseudonymiser: key),
                lines, type: "")
        }
        let (ra, rb) = (read(a), read(b))
        return rb.read > ra.read ? b : a
    }
}

extension FormatSniffer {
    /// What `auto` reads each file of `input` as, one line per file (for `validate`);
    /// throws the refusal a run would give.
    public static func describe(_ input: InputDefinition, zone: ZoneRules) throws(SillageError) -> [String] {
        guard input.type == "auto" else { return [] }
        var lines: [String] = []
        for path in try InputPlan.files(of: input) where path != "-" {
            let opened = try InputFiles.open(path)
            let head = try PeekingReader(opened.reader).peek(LineChunkerDefaults.fingerprintBytes)
            guard !head.isEmpty else { lines.append("\(opened.displayName): empty file"); continue }
            lines.append("\(opened.displayName): \(try detect(head: head, input: input, zone: zone, file: opened.displayName).notice)")
        }
        return lines
    }
}
