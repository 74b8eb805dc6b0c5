import Foundation

/// Finds the personal-looking parts of a text and replaces them by placeholders (SPEC §6).
///
/// The text is first put in a comparable form: percent-escapes decoded (the caller's JSON
/// reader has already undone JSON escapes), Unicode NFKC (full-width `＠` and digits become
/// ASCII), and obfuscated addresses undone (`(at)`, `[at]`, ` at `, `[dot]`, `\u0040`,
/// `&#64;`…). In that form it looks for e-mail addresses (also `@localhost`), IPv4 and IPv6
/// addresses, French and international phone numbers (`06 12 34 56 78`, `+33 (0)6…`,
/// `0033 6…`), calendar dates and long numbers. Hex runs and UUIDs are ids, never phones or
/// numbers. Each finding is bounded by non-alphanumeric characters, so the digits inside an
/// id (`block@08a0329239934d53b`) are not taken for a phone.
public enum PersonalText {
    /// What a personal-looking part is; its placeholder replaces it.
    public enum Finding: String, Sendable, CaseIterable {
        case email, ip, phone, date, number, token, name

        public var placeholder: [UInt8] { Array("{\(rawValue)}".utf8) }

        /// Words for messages (never the value itself).
        public var description: String {
            switch self {
            case .email: return "an e-mail address"
            case .ip: return "an IP address"
            case .phone: return "a phone number"
            case .date: return "a calendar date"
            case .number: return "a long number"
            case .token: return "a token"
            case .name: return "a name met in the inputs"
            }
        }
    }

    typealias Span = (range: Range<Int>, finding: Finding)

    /// The placeholders the gate writes (`{email}`…), and nothing else in braces.
    static let placeholders: Set<[UInt8]> = Set(Finding.allCases.map(\.placeholder) + [Array("{personal}".utf8)])

    /// True when `b[range]`, with the braces around it, is one of the gate's placeholders.
    static func isPlaceholder(_ b: [UInt8], word range: Range<Int>) -> Bool {
        guard range.lowerBound > 0, range.upperBound < b.count, b[range.lowerBound - 1] == 0x7B, b[range.upperBound] == 0x7D else {
            return false
        }
        return placeholders.contains(Array(b[(range.lowerBound - 1)...range.upperBound]))
    }

    /// `text` with every personal-looking part replaced by its placeholder; the text as it is
    /// when nothing was found (not re-encoded).
    public static func scrub(_ text: [UInt8]) -> [UInt8] {
        var (base, found) = comparable(text)
        guard !found.isEmpty else { return text }
        // A placeholder can bound what a longer run hid (`06 10 654873 192.0.2.1`: once the
        // address is out, the phone shows): scrubbed again until nothing is found.
        for _ in 0..<4 {
            let replaced = replacing(base, found)
            (base, found) = comparable(replaced)
            if found.isEmpty { return replaced }
        }
        return replacing(base, found)
    }

    /// What the first personal-looking part of `text` is (the PII guard's checks: addresses,
    /// phones and IPs; dates, numbers and tokens are not looked for there), or nil.
    public static func guardFinding(_ text: [UInt8]) -> Finding? {
        comparable(text).spans.first { $0.finding == .email || $0.finding == .ip || $0.finding == .phone }?.finding
    }

    /// The decoded form of `text` and the personal-looking spans in it.
    static func comparable(_ text: [UInt8]) -> (base: [UInt8], spans: [Span]) {
        var base = percentDecoded(text) ?? text
        if base.contains(where: { $0 >= 0x80 }) { base = compatibilityForm(base) }
        if let plain = deobfuscated(base) {
            let found = spans(in: plain)
            if found.contains(where: { $0.finding == .email }) { return (plain, found) }
        }
        return (base, spans(in: base))
    }

    /// `text` with its spans replaced.
    static func replacing(_ text: [UInt8], _ spans: [Span]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var at = 0
        for span in spans.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) where span.range.lowerBound >= at {
            out.append(contentsOf: text[at..<span.range.lowerBound])
            out.append(contentsOf: span.finding.placeholder)
            at = span.range.upperBound
        }
        out.append(contentsOf: text[at...])
        return out
    }

    /// `word` with a run of nine digits or more glued to its letters (`tel0612345678`)
    /// replaced, or nil. Hex ids (`08a0329239934d53b…`) are not words with glued numbers.
    public static func gluedNumbers(_ word: [UInt8]) -> [UInt8]? {
        // A hash (20 hex digits or more) is an id; anything else with letters and a long run
        // of digits holds a number (`tel0612345678`, `0612345678de`, `0612345678é`).
        let isHash = word.count >= 20 && word.allSatisfy(isHex)
        guard !isHash, word.contains(where: { isLetter($0) || $0 >= 0x80 }) else { return nil }
        var out: [UInt8] = []
        var changed = false
        var i = 0
        while i < word.count {
            guard isDigit(word[i]) else {
                out.append(word[i])
                i += 1
                continue
            }
            var j = i
            while j < word.count, isDigit(word[j]) { j += 1 }
            let run = Array(word[i..<j])
            if run.count >= 9 {
                let phone = (run.count == 10 && run[0] == 0x30) || run.starts(with: [0x30, 0x30]) || run.starts(with: [0x33, 0x33])
                out.append(contentsOf: (phone ? Finding.phone : Finding.number).placeholder)
                changed = true
            } else {
                out.append(contentsOf: run)
            }
            i = j
        }
        return changed ? out : nil
    }

    // MARK: - Normalisation

    /// Percent-escapes decoded, or nil when there are none (or the result is not UTF-8).
    static func percentDecoded(_ b: [UInt8]) -> [UInt8]? {
        // Encoded twice or more (`%2540`), a value is decoded until nothing changes.
        var current = b
        var changed = false
        for _ in 0..<4 {
            guard let once = percentDecodedOnce(current), once != current else { break }
            current = once
            changed = true
        }
        return changed ? current : nil
    }

    static func percentDecodedOnce(_ b: [UInt8]) -> [UInt8]? {
        guard b.contains(0x25) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x25, i + 2 < b.count, let h = ObjectKeys.hexValue(b[i + 1]), let l = ObjectKeys.hexValue(b[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    /// Unicode NFKC.
    static func compatibilityForm(_ b: [UInt8]) -> [UInt8] {
        let text = String(decoding: b, as: UTF8.self).precomposedStringWithCompatibilityMapping
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            switch s.properties.generalCategory {
            // Zero-width and other invisible characters (U+200B, U+00AD, U+2060…) hide nothing.
            case .format: continue
            case .dashPunctuation: out.append("-")
            case .spaceSeparator: out.append(" ")
            // Digits of every script are digits (`٠٦١٢…`), and ideographic full stops are dots.
            case .decimalNumber where !s.isASCII:
                if let v = s.properties.numericValue, let digit = Unicode.Scalar(48 + UInt32(v)) { out.append(digit) } else { out.append(s) }
            default:
                if s == "\u{3002}" || s == "\u{FF61}" {
                    out.append(".")
                } else {
                    out.append(s == "\u{2019}" || s == "\u{2018}" || s == "\u{02BC}" ? "'" : s)
                }
            }
        }
        return Array(String(out).utf8)
    }

    /// Case-folded, accents and widths removed: the form names are compared in.
    public static func folded(_ b: [UInt8]) -> [UInt8] {
        if !b.contains(where: { $0 >= 0x80 }) { return b.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } }
        let text = String(decoding: compatibilityForm(b), as: UTF8.self)
        return Array(text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil).utf8)
    }

    /// Spellings that stand for `@` and `.` in hidden addresses, matched case-insensitively;
    /// bracketed forms may have spaces inside and around them.
    static let atWords: [[UInt8]] = ["at", "arobase", "arroba", "chez"].map { Array($0.utf8) }
    static let dotWords: [[UInt8]] = ["dot", "point", "pt"].map { Array($0.utf8) }
    static let literalAt: [[UInt8]] = ["\\u0040", "\\x40", "&commat;", "&period;"].map { Array($0.utf8) }

    /// `text` with obfuscated `@` and `.` undone, or nil when it holds none.
    static func deobfuscated(_ b: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var copied = 0
        var i = 0
        while i < b.count {
            let c = b[i]
            // Only these bytes can start an obfuscation: most texts are passed over at once.
            guard c == 0x20 || c == 0x28 || c == 0x5B || c == 0x7B || c == 0x3C || c == 0x5C || c == 0x26 || c == 0x5F || c == 0x2D,
                let (end, symbol) = obfuscation(b, at: i)
            else {
                i += 1
                continue
            }
            if out.isEmpty { out.reserveCapacity(b.count) }
            out.append(contentsOf: b[copied..<i])
            while let last = out.last, last == 0x20 { out.removeLast() }
            out.append(symbol)
            i = end
            while i < b.count, b[i] == 0x20 { i += 1 }
            copied = i
        }
        guard copied > 0 else { return nil }
        out.append(contentsOf: b[copied...])
        return out
    }

    /// A numeric character reference for `@` or `.` at `i` (`&#64;`, `&#x0040;`, `&#00064;`).
    private static func entity(_ b: [UInt8], at i: Int) -> (Int, UInt8)? {
        guard b[i] == 0x26, i + 3 < b.count, b[i + 1] == 0x23 else { return nil }
        var j = i + 2
        let isHex = j < b.count && (b[j] | 0x20) == 0x78
        if isHex { j += 1 }
        var value = 0
        let start = j
        while j < b.count, j - start < 8, let d = isHex ? ObjectKeys.hexValue(b[j]) : (isDigit(b[j]) ? b[j] - 48 : nil) {
            value = value * (isHex ? 16 : 10) + Int(d)
            j += 1
        }
        guard j > start, j < b.count, b[j] == 0x3B, value == 0x40 || value == 0x2E else { return nil }
        return (j + 1, UInt8(value))
    }

    private static func isOpening(_ c: UInt8) -> Bool { c == 0x28 || c == 0x5B || c == 0x7B || c == 0x3C }
    private static func isClosing(_ c: UInt8) -> Bool { c == 0x29 || c == 0x5D || c == 0x7D || c == 0x3E }

    /// The end of an obfuscated `@` or `.` that starts at `i`, and the symbol it stands for.
    private static func obfuscation(_ b: [UInt8], at i: Int) -> (Int, UInt8)? {
        if b[i] == 0x5C || b[i] == 0x26 {
            for literal in literalAt where matchesFolded(b, at: i, literal) { return (i + literal.count, 0x40) }
            return entity(b, at: i)
        }
        if isOpening(b[i]) {
            var j = i + 1
            while j < b.count, b[j] == 0x20 { j += 1 }
            // `[@]`, `(.)`, `(a)`.
            if j + 1 < b.count, b[j] == 0x40 || b[j] == 0x2E || (b[j] | 0x20) == 0x61, isClosing(b[j + 1]) {
                return (j + 2, b[j] == 0x2E ? 0x2E : 0x40)
            }
            guard let (length, symbol) = word(b, at: j) else { return nil }
            var k = j + length
            while k < b.count, b[k] == 0x20 { k += 1 }
            return k < b.count && isClosing(b[k]) ? (k + 1, symbol) : nil
        }
        // ` @ `, ` . `, and a bare word between spaces, underscores or dashes: ` at `, `_at_`, `-dot-`.
        if i + 2 < b.count, b[i + 1] == 0x40 || b[i + 1] == 0x2E, b[i + 2] == 0x20 { return (i + 2, b[i + 1]) }
        let separator = b[i]
        guard let (length, symbol) = word(b, at: i + 1), i + 1 + length < b.count, b[i + 1 + length] == separator else { return nil }
        return (i + 1 + length + (separator == 0x20 ? 0 : 1), symbol)
    }

    /// The length of the `@` or `.` word at `i`, and its symbol.
    private static func word(_ b: [UInt8], at i: Int) -> (Int, UInt8)? {
        guard i < b.count else { return nil }
        let first = b[i] | 0x20
        guard first == 0x61 || first == 0x63 || first == 0x64 || first == 0x70 else { return nil }  // a c d p (arroba starts with a)
        for w in atWords where matchesFolded(b, at: i, w) { return (w.count, 0x40) }
        for w in dotWords where matchesFolded(b, at: i, w) { return (w.count, 0x2E) }
        return nil
    }

    private static func matchesFolded(_ b: [UInt8], at i: Int, _ w: [UInt8]) -> Bool {
        guard i + w.count <= b.count else { return false }
        for k in 0..<w.count {
            let c = b[i + k]
            if (c >= 65 && c <= 90 ? c | 0x20 : c) != w[k] { return false }
        }
        return true
    }

    // MARK: - Detection

    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }
    static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) || c >= 0x80 }

    /// A letter, digit or mark of any script: what a word is made of. Quotes, guillemets,
    /// symbols and spaces of other scripts are not (`«0612345678»` is bounded).
    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        let p = s.properties
        if p.isAlphabetic || p.numericType != nil { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// The scalar whose UTF-8 starts at `i`, and its length; nil for a byte that starts none.
    static func scalar(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let c = b[i]
        let n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0
        guard n > 0, i + n <= b.count else { return nil }
        var value = UInt32(c) & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07)
        for k in 1..<n {
            guard b[i + k] & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(b[i + k] & 0x3F)
        }
        return Unicode.Scalar(value).map { ($0, n) }
    }

    /// True when a word character starts at `j`.
    static func wordAt(_ b: [UInt8], _ j: Int) -> Bool {
        guard j >= 0, j < b.count else { return false }
        if b[j] < 0x80 { return isDigit(b[j]) || isLetter(b[j]) }
        guard let (s, _) = scalar(b, at: j) else { return false }
        return isWordScalar(s)
    }

    /// True when the character that ends just before `i` is a word character.
    static func wordBefore(_ b: [UInt8], _ i: Int) -> Bool {
        guard i > 0 else { return false }
        var s = i - 1
        if b[s] < 0x80 { return isDigit(b[s]) || isLetter(b[s]) }
        while s > 0, b[s] & 0xC0 == 0x80, i - s < 4 { s -= 1 }
        return wordAt(b, s)
    }
    static func isHex(_ c: UInt8) -> Bool { isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 102) }

    /// Every personal-looking span of `b`, not overlapping, in order.
    static func spans(in b: [UInt8]) -> [Span] {
        var idCache: [Range<Int>]? = nil
        var found: [Span] = []
        func add(_ range: Range<Int>, _ finding: Finding) {
            if idCache == nil { idCache = idRanges(b) }
            guard let ids = idCache, !ids.contains(where: { $0.overlaps(range) }), !found.contains(where: { $0.range.overlaps(range) }) else {
                return
            }
            found.append((range, finding))
        }
        // Each detector needs a byte most texts lack: an `@`, a `:`, a digit.
        var at = false, colon = false, digit = false
        for c in b {
            if c == 0x40 { at = true } else if c == 0x3A { colon = true } else if isDigit(c) { digit = true }
        }
        if at { for r in emails(b) { add(r, .email) } }
        if colon { for r in ipv6(b) { add(r, .ip) } }
        if digit {
            for r in ipv4(b) { add(r, .ip) }
            let runs = digitRuns(b)
            for (r, isPhone) in runs where isPhone { add(r, .phone) }
            for r in dates(b) { add(r, .date) }
            for (r, isPhone) in runs where !isPhone { add(r, .number) }
        }
        return found.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    /// Ranges that are ids by their shape: hex runs of 20 or more with a letter, and UUIDs
    /// (8-4-4-4-12). Nothing joined to them is: `06 12 34 56 78-abcdef…` keeps its phone.
    static func idRanges(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < b.count {
            guard isHex(b[i]), !wordBefore(b, i) || !isHex(b[i - 1]) else {
                i += 1
                continue
            }
            if let uuid = uuid(b, at: i) {
                out.append(i..<uuid)
                i = uuid
                continue
            }
            var j = i
            var letter = false
            while j < b.count, isHex(b[j]) {
                if isLetter(b[j]) { letter = true }
                j += 1
            }
            if letter, j - i >= 20, !wordAt(b, j) { out.append(i..<j) }
            i = max(j, i + 1)
        }
        return out
    }

    /// The end of a UUID that starts at `i`, or nil.
    static func uuid(_ b: [UInt8], at i: Int) -> Int? {
        var j = i
        for (n, group) in [8, 4, 4, 4, 12].enumerated() {
            for _ in 0..<group {
                guard j < b.count, isHex(b[j]) else { return nil }
                j += 1
            }
            if n < 4 {
                guard j < b.count, b[j] == 0x2D else { return nil }
                j += 1
            }
        }
        return wordAt(b, j) ? nil : j
    }

    static func isLocalPart(_ c: UInt8) -> Bool {
        isAlnum(c) || c == 0x2E || c == 0x5F || c == 0x2D || c == 0x2B || c == 0x27
    }

    /// `local@domain.tld` (two labels at least, the last of letters), `local@localhost`.
    static func emails(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for (i, c) in b.enumerated() where c == 0x40 {
            var s = i
            while s > 0, isLocalPart(b[s - 1]) { s -= 1 }
            while s < i, !isAlnum(b[s]) { s += 1 }
            guard s < i else { continue }
            var e = i + 1
            while e < b.count, isAlnum(b[e]) || b[e] == 0x2D || (b[e] == 0x2E && e + 1 < b.count && isAlnum(b[e + 1])) { e += 1 }
            let labels = b[(i + 1)..<e].split(separator: 0x2E)
            let host = PersonalText.folded(Array(b[(i + 1)..<e]))
            let isLocalhost = host == Array("localhost".utf8)
            // The last label is letters, or a punycode one (`xn--p1ai`).
            let tld = labels.last.map { l in l.count >= 2 && (l.allSatisfy { isLetter($0) || $0 >= 0x80 } || l.starts(with: Array("xn--".utf8))) }
            if isLocalhost || (labels.count >= 2 && tld == true) {
                out.append(s..<e)
            }
        }
        return out
    }

    static func ipv4(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < b.count {
            guard isDigit(b[i]), !wordBefore(b, i), i == 0 || b[i - 1] != 0x2E else {
                i += 1
                continue
            }
            var j = i
            var parts = 0
            while parts < 4 {
                var v = 0
                var n = 0
                while j < b.count, isDigit(b[j]), n < 4 {
                    v = v * 10 + Int(b[j] - 48)
                    j += 1
                    n += 1
                }
                guard n > 0, n <= 3, v <= 255 else { break }
                parts += 1
                if parts < 4 {
                    guard j < b.count, b[j] == 0x2E else { break }
                    j += 1
                }
            }
            if parts == 4, !wordAt(b, j), !(j < b.count && b[j] == 0x2E && j + 1 < b.count && isDigit(b[j + 1])) {
                out.append(i..<j)
                i = j
            } else {
                i += 1
            }
        }
        return out
    }

    /// Hex groups and colons: eight groups, or a `::` with two groups at least.
    static func ipv6(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < b.count {
            guard isHex(b[i]) || b[i] == 0x3A, !wordBefore(b, i) else {
                i += 1
                continue
            }
            var j = i
            while j < b.count, isHex(b[j]) || b[j] == 0x3A || b[j] == 0x2E { j += 1 }
            let run = Array(b[i..<j])
            let colons = run.filter { $0 == 0x3A }.count
            let groups = run.split(separator: 0x3A, omittingEmptySubsequences: true)
            let double = zip(run, run.dropFirst()).contains { $0 == 0x3A && $1 == 0x3A }
            let valid = groups.allSatisfy { $0.count <= 4 || $0.contains(0x2E) }
            let bounded = !wordAt(b, j)
            if bounded, colons >= 2, valid, (groups.count == 8 && !double) || (double && groups.count >= 2 && colons <= 7) {
                out.append(i..<j)
            }
            i = j + 1
        }
        return out
    }

    /// `dd/mm/yyyy`, `dd.mm.yy`, `dd-mm-yyyy` and `yyyy-mm-dd`.
    static func dates(_ b: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < b.count {
            guard isDigit(b[i]), !wordBefore(b, i) else {
                i += 1
                continue
            }
            var groups: [Int] = []
            var separator: UInt8 = 0
            var j = i
            while groups.count < 3 {
                let start = j
                while j < b.count, isDigit(b[j]), j - start < 5 { j += 1 }
                groups.append(j - start)
                guard groups.count < 3, j < b.count, b[j] == 0x2F || b[j] == 0x2E || b[j] == 0x2D,
                    separator == 0 || b[j] == separator
                else { break }
                separator = b[j]
                j += 1
            }
            // `06.12.34.56.78` is not a date followed by more.
            let bounded = !wordAt(b, j) && !(j < b.count && b[j] == separator && j + 1 < b.count && isDigit(b[j + 1]))
            let dayFirst = groups.count == 3 && (1...2).contains(groups[0]) && (1...2).contains(groups[1]) && (groups[2] == 4 || groups[2] == 2)
            // `2025/03/12` is kept: it is how blogs and archives name their pages.
            let yearFirst = groups.count == 3 && groups[0] == 4 && (1...2).contains(groups[1]) && (1...2).contains(groups[2]) && separator != 0x2F
            if bounded, dayFirst || yearFirst {
                out.append(i..<j)
                i = j
            } else {
                i += 1
            }
        }
        return out
    }

    /// Runs of digits and phone separators that start and end at a word boundary: a phone
    /// (`true`) when they read as one, else a long number when they hold nine digits or more
    /// in a row.
    static func digitRuns(_ b: [UInt8]) -> [(Range<Int>, Bool)] {
        var out: [(Range<Int>, Bool)] = []
        var i = 0
        while i < b.count {
            let plus = b[i] == 0x2B && i + 1 < b.count && isDigit(b[i + 1])
            guard plus || isDigit(b[i]), !wordBefore(b, i) else {
                i += 1
                continue
            }
            var j = plus ? i + 1 : i
            var digits: [UInt8] = []
            var longest = 0
            var current = 0
            var groups = 0
            var end = j
            while j < b.count {
                let c = b[j]
                if isDigit(c) {
                    digits.append(c)
                    current += 1
                    longest = max(longest, current)
                    end = j + 1
                } else if c == 0x20 || c == 0x2E || c == 0x2D || c == 0x28 || c == 0x29 || c == 0x2F || c == 0x2C || c == 0x3A || c == 0x5F
                    || c == 0x3B || c == 0x7C || c == 0x7E
                {
                    if current > 0 { groups += 1 }
                    current = 0
                    // `(0)` after a country code is not dialled.
                    if c == 0x28, j + 2 < b.count, b[j + 1] == 0x30, b[j + 2] == 0x29, plus || digits.starts(with: [0x30, 0x30]) {
                        j += 3
                        continue
                    }
                    if j + 1 < b.count, !(isDigit(b[j + 1]) || b[j + 1] == 0x20 || b[j + 1] == 0x28) { break }
                } else {
                    break
                }
                j += 1
            }
            // An id glues digits to letters; a number written in groups is not an id.
            if wordAt(b, end), groups < 3 {
                i = end
                continue
            }
            let n = digits.count
            let international = (plus && (8...15).contains(n)) || (digits.starts(with: [0x30, 0x30]) && (10...17).contains(n))
            // A search box turns `+33 6…` into ` 33 6…`: the French country code without its plus.
            let national =
                !plus
                && ((n == 10 && digits.first == 0x30 && digits.dropFirst().first != 0x30)
                    || (n == 11 && digits.starts(with: [0x33, 0x33]) && digits[2] != 0x30 && current < n))
            if international || national {
                out.append((i..<end, true))
            } else if longest >= 9 {
                out.append((i..<end, false))
            }
            i = max(end, i + 1)
        }
        return out
    }
}
