import SillageCore

/// A compiled access-log layout: literals and fields in order (Apache `LogFormat` or nginx `log_format`).
///
/// Compiling checks the layout once: that it has a timestamp, a request (or method and
/// target), a status, and something to key the actor with, and that no two fields touch
/// without a separator. Parsing then walks the layout on each line's bytes.
public struct AccessLogFormat: Sendable, Equatable {
    /// What a field holds.
    public enum Field: Sendable, Equatable {
        case remoteHost, identity, user
        /// `address:port` (load balancers): the address, without its port.
        case remoteHostPort
        case time(TimeStyle)
        case request, method, target, query, proto, status, bytes
        case referer, userAgent, virtualHost
        /// The `X-Forwarded-For` request header (nginx `$http_x_forwarded_for`): the client
        /// address only when the input trusts it (`clientAddress`), never by default.
        case forwardedFor
        case durationMicros, durationMillis, durationSeconds
        case ignored(String)
    }

    /// How a timestamp field is written.
    public enum TimeStyle: Sendable, Equatable {
        /// `[10/Oct/2000:13:55:36 -0700]`, brackets included (Apache `%t`).
        case bracketedCLF
        /// `10/Oct/2000:13:55:36 -0700` (nginx `$time_local`).
        case clf
        /// `2000-10-10T13:55:36-07:00` (nginx `$time_iso8601`).
        case iso8601
        /// `1234567890.123` seconds since 1970 (nginx `$msec`, Apache `%{msec_frac}t` is not this).
        case epochSeconds
        /// Milliseconds since 1970 (Apache `%{msec}t`).
        case epochMillis
    }

    public enum Item: Sendable, Equatable {
        case literal([UInt8])
        case field(Field)
    }

    /// The well-known names usable as an input `type` or `--input FORMAT:`.
    public static let namedFormats: [String: String] = [
        "common": #"%h %l %u %t "%r" %>s %b"#,
        "combined": #"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
        "vhost-combined": #"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#,
    ]

    /// `vhost-combined` without the port (`%v %h …`, as many container images write it);
    /// a file is read with whichever of the two its first lines match.
    public static let portlessVhost = #"%v %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#

    /// The documented default layouts of AWS Classic and Application Load Balancers and of
    /// S3 server access logs, as fields between single spaces (`-`: a field not read;
    /// quotes and brackets as written; text after the last field is not read).
    public static let vendorLayouts: [String: String] = [
        "elb": #"time:iso8601 - client:port - - - - status - - bytes "request" "agent""#,
        "alb": #"- time:iso8601 - client:port - - - - status - - bytes "request" "agent""#,
        "s3": #"- - [time] client - - - - "request" status - bytes - - - "referer" "agent""#,
    ]

    public let items: [Item]
    /// The format text it was compiled from.
    public let source: String

    public init(items: [Item], source: String) {
        self.items = items
        self.source = source
    }

    /// Compiles a named format (`common`, `combined`, `vhost-combined`, `elb`, `alb`, `s3`).
    public static func named(_ name: String) -> AccessLogFormat? {
        if let layout = vendorLayouts[name] { return try? vendor(layout) }
        guard let text = namedFormats[name] else { return nil }
        return try? apache(text)
    }

    /// Compiles a layout of `vendorLayouts`' small language.
    static func vendor(_ layout: String) throws(SillageError) -> AccessLogFormat {
        var items: [Item] = []
        var pending: [UInt8] = []
        for (i, word) in layout.split(separator: " ").enumerated() {
            var token = Array(word.utf8)
            if i > 0 { pending.append(0x20) }
            let open = token.first.flatMap { $0 == 0x22 || $0 == UInt8(ascii: "[") ? $0 : nil }
            if let open {
                pending.append(open)
                token = Array(token.dropFirst().dropLast())
            }
            if !pending.isEmpty { items.append(.literal(pending)); pending = [] }
            items.append(.field(try vendorField(String(decoding: token, as: UTF8.self), bracketed: open == UInt8(ascii: "["))))
            if let open { pending.append(open == 0x22 ? 0x22 : UInt8(ascii: "]")) }
        }
        if !pending.isEmpty { items.append(.literal(pending)) }
        return try validated(AccessLogFormat(items: items, source: layout), at: nil)
    }

    private static func vendorField(_ name: String, bracketed: Bool) throws(SillageError) -> Field {
        switch name {
        case "time" where bracketed: return .time(.clf)
        case "time:iso8601": return .time(.iso8601)
        case "client": return .remoteHost
        case "client:port": return .remoteHostPort
        case "status": return .status
        case "bytes": return .bytes
        case "request": return .request
        case "agent": return .userAgent
        case "referer": return .referer
        case "-": return .ignored("-")
        default: throw SillageError.configuration("unknown field \(name) in a vendor layout")
        }
    }

    /// Compiles an Apache `LogFormat` string.
    public static func apache(_ text: String, at location: String? = nil) throws(SillageError) -> AccessLogFormat {
        var items: [Item] = []
        var literal: [UInt8] = []
        let b = Array(text.utf8)
        var i = 0
        func flush() {
            if !literal.isEmpty { items.append(.literal(literal)); literal = [] }
        }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\"), i + 1 < b.count {
                // Config-file escapes: \" \t \n \\ stand for the character.
                let e = b[i + 1]
                literal.append(e == UInt8(ascii: "t") ? 9 : e == UInt8(ascii: "n") ? 10 : e)
                i += 2
                continue
            }
            guard c == UInt8(ascii: "%") else { literal.append(c); i += 1; continue }
            i += 1
            guard i < b.count else {
                throw SillageError.configuration("the log format ends with a lone %", at: location)
            }
            if b[i] == UInt8(ascii: "%") { literal.append(c); i += 1; continue }
            // Modifiers: status conditions (%!200,304{...}), < and > (original/final request).
            while i < b.count,
                b[i] == UInt8(ascii: "<") || b[i] == UInt8(ascii: ">") || b[i] == UInt8(ascii: "!")
                    || b[i] == UInt8(ascii: ",") || (b[i] >= 48 && b[i] <= 57)
            { i += 1 }
            var argument: String? = nil
            if i < b.count, b[i] == UInt8(ascii: "{") {
                var j = i + 1
                while j < b.count, b[j] != UInt8(ascii: "}") { j += 1 }
                guard j < b.count else {
                    throw SillageError.configuration("unclosed %{ in the log format", at: location)
                }
                argument = String(decoding: b[(i + 1)..<j], as: UTF8.self)
                i = j + 1
            }
            guard i < b.count else {
                throw SillageError.configuration("the log format ends inside a % directive", at: location)
            }
            let directive = Character(UnicodeScalar(b[i]))
            i += 1
            flush()
            items.append(.field(try apacheField(directive, argument, location)))
        }
        flush()
        return try validated(AccessLogFormat(items: items, source: text), at: location)
    }

    private static func apacheField(_ d: Character, _ arg: String?, _ location: String?) throws(SillageError) -> Field {
        switch d {
        case "h", "a": return .remoteHost
        case "l": return .identity
        case "u": return .user
        case "t":
            switch arg {
            case nil: return .time(.bracketedCLF)
            case "msec": return .time(.epochMillis)
            case "sec": return .time(.epochSeconds)
            default:
                throw SillageError.configuration("%{\(arg!)}t is not supported; use %t, %{sec}t or %{msec}t", at: location)
            }
        case "r": return .request
        case "m": return .method
        case "U": return .target
        case "q": return .query
        case "H": return .proto
        case "s": return .status
        case "b", "B", "O", "S": return .bytes
        case "v", "V": return .virtualHost
        case "D": return .durationMicros
        case "T":
            switch arg {
            case "ms": return .durationMillis
            case "us": return .durationMicros
            default: return .durationSeconds
            }
        case "i":
            switch arg?.lowercased() {
            case "referer": return .referer
            case "user-agent": return .userAgent
            case "x-forwarded-for": return .forwardedFor
            default: return .ignored("%{\(arg ?? "")}i")
            }
        case "A", "p", "P", "I", "k", "L", "R", "X", "f", "e", "n", "o", "C", "c", "M", "E", "^":
            return .ignored("%\(d)")
        default:
            throw SillageError.configuration(
                "unknown Apache log directive %\(d)", at: location,
                hint: "see the LogFormat directives of mod_log_config")
        }
    }

    /// Compiles an nginx `log_format` string.
    public static func nginx(_ text: String, at location: String? = nil) throws(SillageError) -> AccessLogFormat {
        var items: [Item] = []
        var literal: [UInt8] = []
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            guard c == UInt8(ascii: "$") else { literal.append(c); i += 1; continue }
            var j = i + 1
            var name: String
            if j < b.count, b[j] == UInt8(ascii: "{") {
                var k = j + 1
                while k < b.count, b[k] != UInt8(ascii: "}") { k += 1 }
                guard k < b.count else { throw SillageError.configuration("unclosed ${ in the log format", at: location) }
                name = String(decoding: b[(j + 1)..<k], as: UTF8.self)
                j = k + 1
            } else {
                while j < b.count,
                    (b[j] >= 97 && b[j] <= 122) || (b[j] >= 48 && b[j] <= 57) || b[j] == 95
                        || (b[j] >= 65 && b[j] <= 90)
                { j += 1 }
                name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
            }
            guard !name.isEmpty else { literal.append(c); i += 1; continue }
            if !literal.isEmpty { items.append(.literal(literal)); literal = [] }
            items.append(.field(nginxField(name)))
            i = j
        }
        if !literal.isEmpty { items.append(.literal(literal)) }
        return try validated(AccessLogFormat(items: items, source: text), at: location)
    }

    private static func nginxField(_ name: String) -> Field {
        switch name {
        case "remote_addr", "binary_remote_addr", "realip_remote_addr": return .remoteHost
        case "http_x_forwarded_for": return .forwardedFor
        case "remote_user": return .user
        case "time_local": return .time(.clf)
        case "time_iso8601": return .time(.iso8601)
        case "msec": return .time(.epochSeconds)
        case "request": return .request
        case "request_method": return .method
        case "request_uri", "uri", "document_uri": return .target
        case "args", "query_string": return .query
        case "server_protocol": return .proto
        case "status": return .status
        case "body_bytes_sent", "bytes_sent": return .bytes
        case "http_referer": return .referer
        case "http_user_agent": return .userAgent
        case "host", "server_name", "http_host": return .virtualHost
        case "request_time": return .durationSeconds
        default: return .ignored("$\(name)")
        }
    }

    private static func validated(_ format: AccessLogFormat, at location: String?) throws(SillageError) -> AccessLogFormat {
        var fields: [Field] = []
        var previousWasField = false
        for item in format.items {
            switch item {
            case .literal: previousWasField = false
            case .field(let f):
                if previousWasField {
                    throw SillageError.configuration(
                        "two fields touch without a separator in \"\(format.source)\"", at: location,
                        hint: "put a space or other literal between every two fields")
                }
                fields.append(f)
                previousWasField = true
            }
        }
        guard fields.contains(where: { if case .time = $0 { return true } else { return false } }) else {
            throw SillageError.configuration("the log format has no timestamp field (%t, $time_local, $time_iso8601 or $msec)", at: location)
        }
        guard fields.contains(.request) || fields.contains(.target) else {
            throw SillageError.configuration("the log format has no request (%r / $request) or path (%U / $request_uri)", at: location)
        }
        guard fields.contains(.status) else {
            throw SillageError.configuration("the log format has no status field (%>s / $status)", at: location)
        }
        guard fields.contains(.remoteHost) || fields.contains(.remoteHostPort) || fields.contains(.user) else {
            throw SillageError.configuration("the log format has neither a client address nor a user, so visitors cannot be told apart", at: location)
        }
        return format
    }
}
