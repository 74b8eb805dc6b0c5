/// A regular expression over bytes, for the crawler lists operators supply (the
/// `crawler-user-agents` JSON, Matomo's `bots.yml`): compiled once, searched anywhere in a
/// text like Python's `re.search` or PCRE's `preg_match`.
///
/// It reads what those lists use: literals and escapes, `.`, classes (`[a-z_-]`, `[^/]`,
/// `\d \w \s` and their negations), `^ $ \b`, groups (capturing or `(?:`), alternation,
/// `* + ? {n} {n,} {n,m}` (lazy with `?`), and lookaround `(?= (?! (?<= (?<!` (lookbehind
/// of any bounded width). Case-insensitive matching folds ASCII letters. Each search has a
/// step budget, so no pattern can make matching take unbounded time: a search that runs
/// out of it does not match. A literal every match must contain is looked for first.
public struct BytePattern: Sendable {
    indirect enum Node: Sendable {
        case empty
        case literal([UInt8])
        case set(ByteSet)
        case start, end
        case wordBoundary(Bool)
        case concat([Node])
        case alternation([Node])
        case repetition(Node, min: Int, max: Int, greedy: Bool)
        case look(Node, ahead: Bool, negated: Bool)
    }

    /// 256 bits, one per byte value.
    struct ByteSet: Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        @inline(__always)
        func contains(_ b: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(b & 63)
            switch b >> 6 {
            case 0: return words.0 & bit != 0
            case 1: return words.1 & bit != 0
            case 2: return words.2 & bit != 0
            default: return words.3 & bit != 0
            }
        }

        mutating func insert(_ b: UInt8) {
            let bit = UInt64(1) << UInt64(b & 63)
            switch b >> 6 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }

        mutating func insert(_ other: ByteSet) {
            words = (words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3)
        }

        var inverted: ByteSet { ByteSet(words: (~words.0, ~words.1, ~words.2, ~words.3)) }

        static func range(_ lo: UInt8, _ hi: UInt8) -> ByteSet {
            var s = ByteSet()
            if lo <= hi { for b in lo...hi { s.insert(b) } }
            return s
        }

        static let digits = range(48, 57)
        static let word: ByteSet = {
            var s = range(48, 57)
            s.insert(range(65, 90))
            s.insert(range(97, 122))
            s.insert(95)
            return s
        }()
        static let space: ByteSet = {
            var s = ByteSet()
            for b: UInt8 in [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D] { s.insert(b) }
            return s
        }()
        static let anyButNewline = range(0x0A, 0x0A).inverted
    }

    let root: Node
    public let caseInsensitive: Bool
    /// Literals one of which every match contains (folded when case-insensitive), looked
    /// for first; empty when the pattern promises none.
    let required: [[UInt8]]
    /// The pattern as written, for messages.
    public let source: String

    /// The most steps one search may take.
    public static let stepBudget = 200_000

    /// Compiles `pattern`; the error says what is wrong at which position.
    public init(_ pattern: String, caseInsensitive: Bool = false) throws(SillageError) {
        var parser = PatternParser(bytes: Array(pattern.utf8), caseInsensitive: caseInsensitive)
        root = try parser.parseAll()
        self.caseInsensitive = caseInsensitive
        required = BytePattern.requiredLiterals(root)
        source = pattern
    }

    /// True when the pattern matches somewhere in `text`.
    public func matches(_ text: UnsafeRawBufferPointer) -> Bool {
        guard caseInsensitive else { return search(text) }
        var folded = [UInt8](repeating: 0, count: text.count)
        for i in 0..<text.count { folded[i] = BytePattern.fold(text[i]) }
        return folded.withUnsafeBytes { search($0) }
    }

    /// True when the pattern matches somewhere in `text`, whose ASCII letters the caller
    /// has already lower-cased when the pattern is case-insensitive (once for many patterns).
    public func matches(folded text: UnsafeRawBufferPointer) -> Bool { search(text) }

    public func matches(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { matches($0) }
    }

    @inline(__always)
    static func fold(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }

    private func search(_ text: UnsafeRawBufferPointer) -> Bool {
        if !required.isEmpty && !required.contains(where: { Bytes.contains(text, $0) }) { return false }
        var matcher = Matcher(text: text)
        for start in 0...text.count {
            if matcher.match(root, start, { _, _ in true }) { return true }
            if matcher.steps > BytePattern.stepBudget { return false }
        }
        return false
    }

    /// Literals one of which a match must contain: of a sequence, its part whose literals
    /// are the longest (the shortest of them counts); of an alternation, every branch's,
    /// when each branch has some. Lookarounds and optional parts promise nothing.
    static func requiredLiterals(_ node: Node) -> [[UInt8]] {
        switch node {
        case .literal(let bytes): return [bytes]
        case .concat(let parts):
            var best: [[UInt8]] = []
            for part in parts {
                let candidate = requiredLiterals(part)
                if strength(candidate) > strength(best) { best = candidate }
            }
            return best
        case .alternation(let branches):
            var all: [[UInt8]] = []
            for branch in branches {
                let literals = requiredLiterals(branch)
                guard !literals.isEmpty else { return [] }
                all += literals
            }
            return all.count <= 128 ? all : []
        case .repetition(let inner, let min, _, _) where min > 0: return requiredLiterals(inner)
        default: return []
        }
    }

    /// How much a set of required literals narrows the search: its shortest literal's length.
    static func strength(_ literals: [[UInt8]]) -> Int { literals.map(\.count).min() ?? 0 }
}

/// Backtracking over the pattern's tree, counting its steps.
struct Matcher {
    let text: UnsafeRawBufferPointer
    var steps = 0

    init(text: UnsafeRawBufferPointer) { self.text = text }

    private func isWord(_ i: Int) -> Bool { i >= 0 && i < text.count && BytePattern.ByteSet.word.contains(text[i]) }

    /// Matches `node` at `i`, then the rest (`next`) from where it ended.
    mutating func match(_ node: BytePattern.Node, _ i: Int, _ next: (inout Matcher, Int) -> Bool) -> Bool {
        steps += 1
        if steps > BytePattern.stepBudget { return false }
        switch node {
        case .empty: return next(&self, i)
        case .literal(let bytes):
            guard i + bytes.count <= text.count else { return false }
            for k in 0..<bytes.count where text[i + k] != bytes[k] { return false }
            return next(&self, i + bytes.count)
        case .set(let set):
            guard i < text.count, set.contains(text[i]) else { return false }
            return next(&self, i + 1)
        case .start: return i == 0 && next(&self, i)
        case .end: return i == text.count && next(&self, i)
        case .wordBoundary(let wanted): return (isWord(i - 1) != isWord(i)) == wanted && next(&self, i)
        case .concat(let parts): return matchSequence(parts[...], i, next)
        case .alternation(let branches):
            for branch in branches where match(branch, i, next) { return true }
            return false
        case .repetition(let inner, let min, let max, let greedy):
            if case .set(let set) = inner { return repeatSet(set, i, min, max, greedy, next) }
            return repeatNode(inner, i, count: 0, min, max, greedy, next)
        case .look(let inner, let ahead, let negated):
            var probe = Matcher(text: text)
            probe.steps = steps
            var found = false
            if ahead {
                found = probe.match(inner, i, { _, _ in true })
            } else {
                // Lookbehind: some start before `i` from which `inner` ends exactly at `i`.
                for back in 0...min(i, 255) where probe.match(inner, i - back, { _, end in end == i }) {
                    found = true
                    break
                }
            }
            steps = probe.steps
            return found != negated && next(&self, i)
        }
    }

    private mutating func matchSequence(
        _ parts: ArraySlice<BytePattern.Node>, _ i: Int, _ next: (inout Matcher, Int) -> Bool
    ) -> Bool {
        guard let first = parts.first else { return next(&self, i) }
        let rest = parts.dropFirst()
        return match(first, i) { m, j in m.matchSequence(rest, j, next) }
    }

    /// A class repeated: the run is measured once, then tried longest (or shortest) first.
    private mutating func repeatSet(
        _ set: BytePattern.ByteSet, _ i: Int, _ min: Int, _ max: Int, _ greedy: Bool, _ next: (inout Matcher, Int) -> Bool
    ) -> Bool {
        var run = 0
        while run < max, i + run < text.count, set.contains(text[i + run]) { run += 1 }
        guard run >= min else { return false }
        if greedy {
            for n in stride(from: run, through: min, by: -1) {
                steps += 1
                if steps > BytePattern.stepBudget { return false }
                if next(&self, i + n) { return true }
            }
        } else {
            for n in min...run {
                steps += 1
                if steps > BytePattern.stepBudget { return false }
                if next(&self, i + n) { return true }
            }
        }
        return false
    }

    private mutating func repeatNode(
        _ inner: BytePattern.Node, _ i: Int, count: Int, _ min: Int, _ max: Int, _ greedy: Bool,
        _ next: (inout Matcher, Int) -> Bool
    ) -> Bool {
        if greedy {
            if once(inner, i, count: count, min, max, greedy, next) { return true }
            return count >= min && next(&self, i)
        }
        if count >= min && next(&self, i) { return true }
        return once(inner, i, count: count, min, max, greedy, next)
    }

    /// One more pass of a repeated node, then the rest of the repetition.
    private mutating func once(
        _ inner: BytePattern.Node, _ i: Int, count: Int, _ min: Int, _ max: Int, _ greedy: Bool,
        _ next: (inout Matcher, Int) -> Bool
    ) -> Bool {
        count < max
            && match(inner, i) { m, j in
                // An empty pass would loop forever: it counts only towards the minimum.
                (j != i || count < min) && m.repeatNode(inner, j, count: count + 1, min, max, greedy, next)
            }
    }
}
