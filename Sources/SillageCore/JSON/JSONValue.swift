/// A JSON value with object keys kept in order, so output is deterministic.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member called `key` of an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    /// A short name of the value's type, for messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Serialises with two-space indentation and a final newline (`pretty`), or compactly.
    public func serialized(pretty: Bool = true) -> String {
        var out = ""
        write(into: &out, indent: pretty ? 0 : -1)
        if pretty { out += "\n" }
        return out
    }

    private func write(into out: inout String, indent: Int) {
        let pretty = indent >= 0
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONValue.format(d)
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + pad }
                item.write(into: &out, indent: pretty ? indent + 1 : -1)
            }
            if pretty { out += "\n" + closePad }
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + pad }
                JSONValue.quote(key, into: &out)
                out += pretty ? ": " : ":"
                value.write(into: &out, indent: pretty ? indent + 1 : -1)
            }
            if pretty { out += "\n" + closePad }
            out += "}"
        }
    }

    /// Shortest round-trip text of a finite double; non-finite values become null.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// Parses JSON text (RFC 8259) into `JSONValue`, reporting errors by line and column.
public struct JSONParser {
    private let bytes: [UInt8]
    private var i = 0
    private let source: String
    private var depth = 0

    /// Parses one JSON document; `source` names the file in error messages.
    public static func parse(_ bytes: [UInt8], source: String) throws(SillageError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, source: source)
        parser.skipSpace()
        if parser.i + 3 <= bytes.count, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { parser.i = 3 }
        let value = try parser.value()
        parser.skipSpace()
        guard parser.i == bytes.count else { throw parser.error("unexpected text after the JSON document") }
        return value
    }

    private init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    private func error(_ message: String) -> SillageError {
        var line = 1, column = 1
        for b in bytes[..<min(i, bytes.count)] {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return SillageError.configuration("invalid JSON: \(message)", at: "\(source):\(line):\(column)")
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws(SillageError) -> JSONValue {
        skipSpace()
        guard i < bytes.count else { throw error("the document ends where a value was expected") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character '\(Character(UnicodeScalar(bytes[i])))'")
        }
    }

    private mutating func literal(_ word: String) throws(SillageError) {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else {
            throw error("expected \(word)")
        }
        i += w.count
    }

    private mutating func object() throws(SillageError) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw error("nesting is too deep") }
        i += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
            let key = try string()
            // Bytes, not canonical equivalence: the tape compares keys the same way.
            if members.contains(where: { $0.0.utf8.elementsEqual(key.utf8) }) { throw error("duplicate key \"\(key)\"") }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
            i += 1
            members.append((key, try value()))
            skipSpace()
            guard i < bytes.count else { throw error("the object is not closed") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw error("expected ',' or '}' in the object")
        }
    }

    private mutating func array() throws(SillageError) -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw error("nesting is too deep") }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            items.append(try value())
            skipSpace()
            guard i < bytes.count else { throw error("the array is not closed") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw error("expected ',' or ']' in the array")
        }
    }

    private mutating func hex4() throws(SillageError) -> UInt32 {
        // Not `UInt32(_:radix:)`, which takes a sign: `\u+ca2` is not an escape.
        guard let v = bytes.withUnsafeBytes({ JSONEscapeGrammar.hex4($0, at: i) }) else {
            throw error("invalid \\u escape")
        }
        i += 4
        return v
    }

    private mutating func string() throws(SillageError) -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw error("the string is not closed") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw error("a control character inside a string must be escaped") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < bytes.count else { throw error("the string is not closed") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw error("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                // A lone surrogate is grammatical but names no character: U+FFFD, as most readers do.
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw error("invalid escape \\\(Character(UnicodeScalar(e)))")
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw error("the string is not valid UTF-8") }
        return text
    }

    private mutating func number() throws(SillageError) -> JSONValue {
        let start = i
        let length = bytes.withUnsafeBytes { JSONNumberGrammar.length($0, at: start) }
        guard let length else { throw error("invalid number") }
        i += length
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        let isInteger = !text.contains { $0 == "." || $0 == "e" || $0 == "E" }
        if isInteger, let v = Int64(text) { return .int(v) }
        // Grammatically valid but beyond a double (32e700) is infinite: range checks refuse it where it matters.
        guard let d = Double(text) else { i = start; throw error("invalid number \(text)") }
        return .double(d)
    }
}
