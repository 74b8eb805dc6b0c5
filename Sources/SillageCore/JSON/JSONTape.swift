/// The four hex digits of a `\u` escape (RFC 8259 §7): exactly four, no sign, no space;
/// shared by both JSON readers so that they accept the same escapes.
enum JSONEscapeGrammar {
    static func hex4(_ b: UnsafeRawBufferPointer, at: Int) -> UInt32? {
        guard at >= 0, at + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = b[at + k]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }
}

/// The JSON number grammar (RFC 8259 §6), shared by both JSON readers so they agree:
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
enum JSONNumberGrammar {
    /// The length of the number starting at `start`, or nil when the bytes there are not one.
    static func length(_ b: UnsafeRawBufferPointer, at start: Int) -> Int? {
        let n = b.count
        var i = start
        @inline(__always) func digit(_ k: Int) -> Bool { k < n && b[k] >= 48 && b[k] <= 57 }
        if i < n, b[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { return nil }
        if b[i] == UInt8(ascii: "0") { i += 1 } else { while digit(i) { i += 1 } }
        if i < n, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digit(i) else { return nil }
            while digit(i) { i += 1 }
        }
        if i < n, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digit(i) else { return nil }
            while digit(i) { i += 1 }
        }
        // A number is followed by a structural character, white space or the end.
        if i < n {
            switch b[i] {
            case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09: break
            default: return nil
            }
        }
        return i - start
    }
}

/// A zero-copy index of one JSON document: one flat array of nodes holding byte ranges.
///
/// Built for the hot path of JSON-lines inputs (Open edX tracking logs, xAPI): parsing a
/// line fills a reused node array and allocates nothing per value; strings are compared
/// and interned as bytes and unescaped only when a caller asks for a `String`. A node's
/// `next` is the index just past its subtree, so skipping a value is one step.
public struct JSONTape {
    public enum Kind: UInt8 { case object, array, string, number, bool, null }

    public struct Node {
        public var kind: Kind
        /// Strings: the content has a backslash escape. Bools: the value.
        public var flag: Bool
        /// Byte range in the document: string content without quotes, the number's text,
        /// or the container's brackets.
        public var start: Int32
        public var end: Int32
        /// Index of the first node after this node's subtree.
        public var next: Int32
    }

    public private(set) var nodes: [Node] = []
    private var stack: [Int32] = []
    private var keyScratch: [Int32] = []
    /// The document the nodes point into; valid only during `withDocument`.
    public private(set) var base: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)

    public init() {
        nodes.reserveCapacity(256)
        stack.reserveCapacity(32)
    }

    /// Indexes `document`; false when it is not one well-formed JSON value (trailing spaces allowed).
    ///
    /// The tape points into `document`: use it only while that memory is alive.
    public mutating func parse(_ document: UnsafeRawBufferPointer) -> Bool {
        nodes.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        base = document
        guard document.count < Int(Int32.max) else { return false }
        var i = 0
        let n = document.count
        @inline(__always) func skipSpace() {
            while i < n {
                let c = document[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
            }
        }
        // State: expecting a value, or (inside an object) a key, or a separator.
        var expectValue = true
        var expectKey = false
        while true {
            skipSpace()
            if expectValue || expectKey {
                guard i < n else { return false }
                let c = document[i]
                if expectKey {
                    if c == UInt8(ascii: "}"), let top = stack.last, nodes[Int(top)].kind == .object,
                        Int(top) == nodes.count - 1
                    {
                        // Empty object.
                        if !close(&i, UInt8(ascii: "}")) { return false }
                        expectKey = false
                        expectValue = false
                        if stack.isEmpty { break }
                        continue
                    }
                    guard c == UInt8(ascii: "\"") else { return false }
                    guard scanString(&i) else { return false }
                    skipSpace()
                    guard i < n, document[i] == UInt8(ascii: ":") else { return false }
                    i += 1
                    expectKey = false
                    expectValue = true
                    continue
                }
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard stack.count < 256 else { return false }
                    let index = Int32(nodes.count)
                    nodes.append(Node(kind: c == UInt8(ascii: "{") ? .object : .array, flag: false, start: Int32(i), end: 0, next: 0))
                    stack.append(index)
                    i += 1
                    if c == UInt8(ascii: "{") {
                        expectValue = false
                        expectKey = true
                    } else {
                        skipSpace()
                        if i < n, document[i] == UInt8(ascii: "]") {
                            if !close(&i, UInt8(ascii: "]")) { return false }
                            expectValue = false
                            if stack.isEmpty { break }
                        }
                    }
                    continue
                case UInt8(ascii: "\""):
                    guard scanString(&i) else { return false }
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    let word: [UInt8] =
                        c == UInt8(ascii: "t") ? [116, 114, 117, 101] : c == UInt8(ascii: "f") ? [102, 97, 108, 115, 101] : [110, 117, 108, 108]
                    guard i + word.count <= n else { return false }
                    for (k, w) in word.enumerated() where document[i + k] != w { return false }
                    let index = Int32(nodes.count)
                    nodes.append(
                        Node(
                            kind: c == UInt8(ascii: "n") ? .null : .bool, flag: c == UInt8(ascii: "t"),
                            start: Int32(i), end: Int32(i + word.count), next: index + 1))
                    i += word.count
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let start = i
                    guard let length = JSONNumberGrammar.length(document, at: i) else { return false }
                    i += length
                    let index = Int32(nodes.count)
                    nodes.append(Node(kind: .number, flag: false, start: Int32(start), end: Int32(i), next: index + 1))
                default:
                    return false
                }
                expectValue = false
                if stack.isEmpty { break }
                continue
            }
            // After a value inside a container: ',' or the closing bracket.
            guard let top = stack.last, i < n else { return false }
            let isObject = nodes[Int(top)].kind == .object
            let c = document[i]
            if c == UInt8(ascii: ",") {
                i += 1
                if isObject { expectKey = true } else { expectValue = true }
                continue
            }
            guard c == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")), close(&i, c) else { return false }
            if stack.isEmpty { break }
        }
        skipSpace()
        return i == n
    }

    /// Closes the innermost container at `i`; an object with a key twice is not accepted.
    private mutating func close(_ i: inout Int, _ bracket: UInt8) -> Bool {
        guard let top = stack.popLast() else { return false }
        nodes[Int(top)].end = Int32(i + 1)
        nodes[Int(top)].next = Int32(nodes.count)
        i += 1
        return bracket != UInt8(ascii: "}") || !hasDuplicateKey(Int(top))
    }

    /// Whether object `node` names a key twice (compared after unescaping, byte for byte):
    /// which of two values a reader would take is undefined (RFC 8259 §4), so neither is.
    private mutating func hasDuplicateKey(_ node: Int) -> Bool {
        // Objects are small: the key list reuses one buffer, and most pairs differ in length.
        keyScratch.removeAll(keepingCapacity: true)
        var k = node + 1
        let end = Int(nodes[node].next)
        while k < end {
            keyScratch.append(Int32(k))
            k = Int(nodes[k + 1].next)
        }
        let keys = keyScratch
        guard keys.count > 1 else { return false }
        func same(_ a32: Int32, _ b32: Int32) -> Bool {
            let (a, b) = (Int(a32), Int(b32))
            let (na, nb) = (nodes[a], nodes[b])
            if !na.flag && !nb.flag {
                let length = Int(na.end - na.start)
                guard length == Int(nb.end - nb.start) else { return false }
                return Bytes.equal(base, at: Int(na.start), UnsafeRawBufferPointer(rebasing: base[Int(nb.start)..<Int(nb.end)]))
            }
            var x: [UInt8] = [], y: [UInt8] = []
            appendUnescaped(a, to: &x)
            appendUnescaped(b, to: &y)
            return x == y
        }
        if keys.count <= 16 {
            for a in 1..<keys.count {
                for b in 0..<a where same(keys[a], keys[b]) { return true }
            }
            return false
        }
        var seen = Set<[UInt8]>()
        for key in keys {
            var decoded: [UInt8] = []
            appendUnescaped(Int(key), to: &decoded)
            if !seen.insert(decoded).inserted { return true }
        }
        return false
    }

    /// Scans a string starting at the quote at `i`, appending its node.
    private mutating func scanString(_ i: inout Int) -> Bool {
        let document = base
        let n = document.count
        var j = i + 1
        var escaped = false
        while j < n {
            let c = document[j]
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") {
                // Only the escapes JSON defines; \u takes four hex digits.
                guard j + 1 < n else { return false }
                switch document[j + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    j += 2
                case UInt8(ascii: "u"):
                    guard j + 6 <= n, hex4(document, j + 2) != nil else { return false }
                    j += 6
                default:
                    return false
                }
                escaped = true
                continue
            }
            if c < 0x20 { return false }
            if c >= 0x80 {
                // JSON text is UTF-8: check the sequence (ASCII, the common case, skips this).
                let length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0
                guard length > 0, c < 0xF5, j + length <= n else { return false }
                for k in 1..<length where document[j + k] & 0xC0 != 0x80 { return false }
                if length == 3 {
                    let c1 = document[j + 1]
                    if (c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) { return false }
                }
                if length == 4 {
                    let c1 = document[j + 1]
                    if (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90) { return false }
                }
                j += length
                continue
            }
            j += 1
        }
        guard j < n else { return false }
        let index = Int32(nodes.count)
        nodes.append(Node(kind: .string, flag: escaped, start: Int32(i + 1), end: Int32(j), next: index + 1))
        i = j + 1
        return true
    }

    /// The root node's index (0), when the tape holds a document.
    public var root: Int? { nodes.isEmpty ? nil : 0 }

    public func kind(_ node: Int) -> Kind { nodes[node].kind }

    /// The raw bytes of a node (a string's content with its escapes as written).
    public func bytes(_ node: Int) -> UnsafeRawBufferPointer {
        let n = nodes[node]
        return UnsafeRawBufferPointer(rebasing: base[Int(n.start)..<Int(n.end)])
    }

    /// The member `key` of object `node`.
    public func member(_ node: Int, _ key: StaticString) -> Int? {
        guard node < nodes.count, nodes[node].kind == .object else { return nil }
        let end = Int(nodes[node].next)
        var i = node + 1
        let k = Bytes.view(key)
        while i < end {
            let value = i + 1
            let keyNode = nodes[i]
            if Int(keyNode.end - keyNode.start) == k.count, !keyNode.flag,
                Bytes.equal(base, at: Int(keyNode.start), k)
            {
                return value
            }
            i = Int(nodes[value].next)
        }
        return nil
    }

    /// The member whose (unescaped) name is `key`, for names known only at run time.
    public func member(_ node: Int, bytes key: UnsafeRawBufferPointer) -> Int? {
        guard node < nodes.count, nodes[node].kind == .object else { return nil }
        let end = Int(nodes[node].next)
        var i = node + 1
        while i < end {
            let value = i + 1
            let keyNode = nodes[i]
            if Int(keyNode.end - keyNode.start) == key.count, !keyNode.flag, Bytes.equal(bytes(i), key) {
                return value
            }
            i = Int(nodes[value].next)
        }
        return nil
    }

    /// Follows a path of member names.
    public func path(_ node: Int, _ keys: StaticString...) -> Int? {
        var current = node
        for key in keys {
            guard let next = member(current, key) else { return nil }
            current = next
        }
        return current
    }

    /// The elements of array `node`.
    public func elements(_ node: Int) -> [Int] {
        guard node < nodes.count, nodes[node].kind == .array else { return [] }
        var out: [Int] = []
        var i = node + 1
        let end = Int(nodes[node].next)
        while i < end {
            out.append(i)
            i = Int(nodes[i].next)
        }
        return out
    }

    /// The value nodes of object `node`, with their key nodes.
    public func members(_ node: Int) -> [(key: Int, value: Int)] {
        guard node < nodes.count, nodes[node].kind == .object else { return [] }
        var out: [(Int, Int)] = []
        var i = node + 1
        let end = Int(nodes[node].next)
        while i < end {
            out.append((i, i + 1))
            i = Int(nodes[i + 1].next)
        }
        return out
    }

    /// True when string node `node` equals `text` (an unescaped string compares by bytes).
    public func equals(_ node: Int, _ text: StaticString) -> Bool {
        guard node < nodes.count, nodes[node].kind == .string else { return false }
        if nodes[node].flag { return string(node) == text.description }
        let b = bytes(node)
        return Bytes.equal(b, Bytes.view(text))
    }

    /// A string node's unescaped bytes, appended to `out` (numbers: their text).
    public func appendUnescaped(_ node: Int, to out: inout [UInt8]) {
        unescape(node) { out.append($0) }
    }

    /// A string node's unescaped bytes, one at a time (numbers: their text); never more
    /// bytes than the node holds as written.
    public func unescape(_ node: Int, _ emit: (UInt8) -> Void) {
        let b = bytes(node)
        guard nodes[node].kind == .string, nodes[node].flag else { for c in b { emit(c) }; return }
        var i = 0
        while i < b.count {
            let c = b[i]
            if c != UInt8(ascii: "\\") || i + 1 >= b.count { emit(c); i += 1; continue }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): emit(10)
            case UInt8(ascii: "t"): emit(9)
            case UInt8(ascii: "r"): emit(13)
            case UInt8(ascii: "b"): emit(8)
            case UInt8(ascii: "f"): emit(12)
            case UInt8(ascii: "u"):
                guard i + 4 <= b.count, var scalar = hex4(b, i) else { for x: UInt8 in [0xEF, 0xBF, 0xBD] { emit(x) }; continue }
                i += 4
                if scalar >= 0xD800, scalar < 0xDC00, i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                    let low = hex4(b, i + 2), low >= 0xDC00, low < 0xE000
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                UTF8.encode(u, into: emit)
            default: emit(e)
            }
        }
    }

    private func hex4(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32? { JSONEscapeGrammar.hex4(b, at: at) }

    /// A string node's text, unescaped (allocates: not for every line).
    public func string(_ node: Int) -> String {
        var out: [UInt8] = []
        appendUnescaped(node, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A number node's value (or a string holding a number, as some producers write ids).
    public func double(_ node: Int) -> Double? {
        guard node < nodes.count, nodes[node].kind == .number || nodes[node].kind == .string else { return nil }
        let b = bytes(node)
        guard b.count > 0, b.count < 40 else { return nil }
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw -> Double? in
            raw.copyMemory(from: b)
            raw[b.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let start = Bytes.start(of: raw).assumingMemoryBound(to: CChar.self)
            let value = strtod(start, &end)
            guard let end, end == start + b.count else { return nil }
            return value
        }
    }

    /// An integer node's value (a number without fraction, or a string of digits).
    public func int(_ node: Int) -> Int64? {
        guard node < nodes.count, nodes[node].kind == .number || nodes[node].kind == .string else { return nil }
        let b = bytes(node)
        guard b.count > 0, b.count <= 19 else { return nil }
        var v: Int64 = 0
        var negative = false
        for (k, c) in b.enumerated() {
            if k == 0 && c == UInt8(ascii: "-") { negative = true; continue }
            guard c >= 48, c <= 57 else {
                if let d = double(node), d == d.rounded(), abs(d) < 9e15 { return Int64(d) }
                return nil
            }
            // Nineteen digits may overflow: such a number is not an integer we read.
            let (times10, o1) = v.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(c - 48))
            guard !o1, !o2 else { return nil }
            v = sum
        }
        return negative ? -v : v
    }

    /// True when `node` is a non-null, non-empty value.
    public func isPresent(_ node: Int?) -> Bool {
        guard let node, node < nodes.count else { return false }
        switch nodes[node].kind {
        case .null: return false
        case .string: return nodes[node].end > nodes[node].start
        default: return true
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
