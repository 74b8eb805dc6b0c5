/// Reads a pattern's text into its tree.
struct PatternParser {
    let bytes: [UInt8]
    let caseInsensitive: Bool
    var i = 0
    var depth = 0

    init(bytes: [UInt8], caseInsensitive: Bool) {
        self.bytes = bytes
        self.caseInsensitive = caseInsensitive
    }

    func failure(_ what: String) -> SillageError {
        SillageError.configuration("\(what) at position \(i + 1) of the pattern \(String(decoding: bytes, as: UTF8.self))")
    }

    mutating func parseAll() throws(SillageError) -> BytePattern.Node {
        let node = try alternation()
        guard i == bytes.count else { throw failure("unbalanced )") }
        return node
    }

    mutating func alternation() throws(SillageError) -> BytePattern.Node {
        var branches = [try sequence()]
        while i < bytes.count, bytes[i] == UInt8(ascii: "|") {
            i += 1
            branches.append(try sequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func sequence() throws(SillageError) -> BytePattern.Node {
        var parts: [BytePattern.Node] = []
        while i < bytes.count, bytes[i] != UInt8(ascii: "|"), bytes[i] != UInt8(ascii: ")") {
            var atom = try self.atom()
            atom = try quantified(atom)
            // Adjacent literals join, so the required literal and matching see one run.
            if case .literal(let b) = atom, case .literal(let a)? = parts.last {
                parts[parts.count - 1] = .literal(a + b)
            } else {
                parts.append(atom)
            }
        }
        if parts.isEmpty { return .empty }
        return parts.count == 1 ? parts[0] : .concat(parts)
    }

    mutating func quantified(_ atom: BytePattern.Node) throws(SillageError) -> BytePattern.Node {
        guard i < bytes.count else { return atom }
        var (min, max) = (0, 0)
        switch bytes[i] {
        case UInt8(ascii: "*"): (min, max) = (0, Int.max)
        case UInt8(ascii: "+"): (min, max) = (1, Int.max)
        case UInt8(ascii: "?"): (min, max) = (0, 1)
        case UInt8(ascii: "{"):
            guard let bounds = braces() else { return atom }
            (min, max) = bounds
            i -= 1
        default: return atom
        }
        i += 1
        var greedy = true
        if i < bytes.count, bytes[i] == UInt8(ascii: "?") { greedy = false; i += 1 } else if i < bytes.count, bytes[i] == UInt8(ascii: "+") { i += 1 }
        // A repeated literal repeats its last byte only.
        if case .literal(let run) = atom, run.count > 1 {
            let last = BytePattern.Node.repetition(.literal([run[run.count - 1]]), min: min, max: max, greedy: greedy)
            return .concat([.literal(Array(run.dropLast())), last])
        }
        if case .literal(let run) = atom, run.count == 1 {
            var set = BytePattern.ByteSet()
            set.insert(run[0])
            return .repetition(.set(set), min: min, max: max, greedy: greedy)
        }
        return .repetition(atom, min: min, max: max, greedy: greedy)
    }

    /// `{n}`, `{n,}`, `{n,m}` from `{`; nil when the brace is a literal. Leaves `i` past `}`.
    mutating func braces() -> (Int, Int)? {
        var j = i + 1
        func number() -> Int? {
            var v = 0, any = false
            while j < bytes.count, bytes[j] >= 48, bytes[j] <= 57, v < 100_000 { v = v * 10 + Int(bytes[j] - 48); j += 1; any = true }
            return any ? v : nil
        }
        guard let lo = number() else { return nil }
        var hi = lo
        if j < bytes.count, bytes[j] == UInt8(ascii: ",") {
            j += 1
            hi = number() ?? Int.max
        }
        guard j < bytes.count, bytes[j] == UInt8(ascii: "}"), hi >= lo else { return nil }
        i = j + 1
        return (lo, hi)
    }

    mutating func atom() throws(SillageError) -> BytePattern.Node {
        let c = bytes[i]
        switch c {
        case UInt8(ascii: "("): return try group()
        case UInt8(ascii: "["): return .set(try bracket())
        case UInt8(ascii: "."): i += 1; return .set(.anyButNewline)
        case UInt8(ascii: "^"): i += 1; return .start
        case UInt8(ascii: "$"): i += 1; return .end
        case UInt8(ascii: "\\"): return try escape()
        case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"): throw failure("nothing to repeat")
        default:
            i += 1
            return literal(c)
        }
    }

    func literal(_ c: UInt8) -> BytePattern.Node {
        .literal([caseInsensitive ? BytePattern.fold(c) : c])
    }

    mutating func group() throws(SillageError) -> BytePattern.Node {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { throw failure("groups nested deeper than 64") }
        i += 1
        var kind = 0  // 0 plain, 1 lookahead, 2 negative lookahead, 3 lookbehind, 4 negative lookbehind
        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "?") {
            let k = bytes[i + 1]
            if k == UInt8(ascii: ":") {
                i += 2
            } else if k == UInt8(ascii: "=") {
                kind = 1; i += 2
            } else if k == UInt8(ascii: "!") {
                kind = 2
                i += 2
            } else if k == UInt8(ascii: "<"), i + 2 < bytes.count, bytes[i + 2] == UInt8(ascii: "=") || bytes[i + 2] == UInt8(ascii: "!") {
                kind = bytes[i + 2] == UInt8(ascii: "=") ? 3 : 4
                i += 3
            } else if k == UInt8(ascii: "P") || k == UInt8(ascii: "<") {
                // A named group: the name is skipped.
                while i < bytes.count, bytes[i] != UInt8(ascii: ">") { i += 1 }
                i += 1
            } else {
                throw failure("unsupported group (?\(Character(UnicodeScalar(k)))")
            }
        }
        let inner = try alternation()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ")") else { throw failure("missing )") }
        i += 1
        switch kind {
        case 1: return .look(inner, ahead: true, negated: false)
        case 2: return .look(inner, ahead: true, negated: true)
        case 3: return .look(inner, ahead: false, negated: false)
        case 4: return .look(inner, ahead: false, negated: true)
        default: return .concat([inner])
        }
    }

    /// The class an escape names (`\d`…), or nil for a literal escape.
    func classEscape(_ e: UInt8) -> BytePattern.ByteSet? {
        switch e {
        case UInt8(ascii: "d"): return .digits
        case UInt8(ascii: "D"): return BytePattern.ByteSet.digits.inverted
        case UInt8(ascii: "w"): return .word
        case UInt8(ascii: "W"): return BytePattern.ByteSet.word.inverted
        case UInt8(ascii: "s"): return .space
        case UInt8(ascii: "S"): return BytePattern.ByteSet.space.inverted
        default: return nil
        }
    }

    func escapedByte(_ e: UInt8) -> UInt8 {
        switch e {
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "v"): return 0x0B
        default: return e
        }
    }

    mutating func escape() throws(SillageError) -> BytePattern.Node {
        guard i + 1 < bytes.count else { throw failure("trailing \\") }
        let e = bytes[i + 1]
        i += 2
        if let set = classEscape(e) { return .set(set) }
        if e == UInt8(ascii: "b") { return .wordBoundary(true) }
        if e == UInt8(ascii: "B") { return .wordBoundary(false) }
        if e == UInt8(ascii: "x"), i + 1 < bytes.count, let h = hex(bytes[i]), let l = hex(bytes[i + 1]) {
            i += 2
            return literal(h << 4 | l)
        }
        return literal(escapedByte(e))
    }

    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    mutating func bracket() throws(SillageError) -> BytePattern.ByteSet {
        i += 1
        var set = BytePattern.ByteSet()
        var negated = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "^") { negated = true; i += 1 }
        var first = true
        while i < bytes.count, bytes[i] != UInt8(ascii: "]") || first {
            first = false
            var lo = bytes[i]
            i += 1
            if lo == UInt8(ascii: "\\"), i < bytes.count {
                let e = bytes[i]
                i += 1
                if let cls = classEscape(e) { set.insert(cls); continue }
                lo = escapedByte(e)
            }
            if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "-"), bytes[i + 1] != UInt8(ascii: "]") {
                var hi = bytes[i + 1]
                i += 2
                if hi == UInt8(ascii: "\\"), i < bytes.count { hi = escapedByte(bytes[i]); i += 1 }
                guard lo <= hi else { throw failure("a range runs backwards") }
                set.insert(.range(lo, hi))
            } else {
                set.insert(lo)
            }
        }
        guard i < bytes.count else { throw failure("missing ]") }
        i += 1
        if caseInsensitive {
            for b in UInt8(65)...UInt8(90) where set.contains(b) || set.contains(b | 0x20) {
                set.insert(b)
                set.insert(b | 0x20)
            }
        }
        return negated ? set.inverted : set
    }
}
