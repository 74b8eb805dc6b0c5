/// The detectors of `PersonalText`: what an e-mail address, an IP address, a phone number, a
/// date or a long number looks like once a text is decoded, each bounded by non-word
/// characters, and what an id looks like (hex runs, UUIDs), which none of them may cut into.
extension PersonalText {

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
                if !holdsLongNumber(b[i..<uuid]) { out.append(i..<uuid) }
                i = uuid
                continue
            }
            var j = i
            var letter = false
            while j < b.count, isHex(b[j]) {
                if isLetter(b[j]) { letter = true }
                j += 1
            }
            if letter, j - i >= 20, !wordAt(b, j), !holdsLongNumber(b[i..<j]) { out.append(i..<j) }
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
