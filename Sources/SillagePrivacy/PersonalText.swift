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
    /// True when `text` holds a run of 9 decimal digits or more: a hex run or UUID that does
    /// is no id, whatever its shape (`0612345678abcdefabcd` hides a phone number), so the
    /// number detectors see it. A random 32-digit id does with probability about 0.15.
    public static func holdsLongNumber(_ text: ArraySlice<UInt8>) -> Bool {
        var run = 0
        for c in text {
            run = isDigit(c) ? run + 1 : 0
            if run >= 9 { return true }
        }
        return false
    }

    public static func gluedNumbers(_ word: [UInt8]) -> [UInt8]? {
        // A hash (20 hex digits or more) is an id; anything else with letters and a long run
        // of digits holds a number (`tel0612345678`, `0612345678de`, `0612345678é`).
        let isHash = word.count >= 20 && word.allSatisfy(isHex) && !holdsLongNumber(word[...])
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
}
