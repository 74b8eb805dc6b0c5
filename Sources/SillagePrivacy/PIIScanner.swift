/// Finds things in outgoing text that look like personal data (SPEC §6, PII guard).
///
/// Checks every cell for e-mail addresses, IPv4 and IPv6 addresses and French phone
/// numbers, and for any of the raw identifiers the caller registers (held in memory only).
public struct PIIScanner: Sendable {
    /// Registered identifiers of one word, and of several words (joined by one space),
    /// lower-cased.
    private var words: Set<String> = []
    private var phrases: Set<String> = []
    private var longestPhrase = 1

    /// `identifiers` are raw identifiers met in the run; those of digits only or shorter than
    /// three characters cannot be told apart from counts and ids and are not looked for.
    public init(identifiers: Set<String> = []) {
        for id in identifiers {
            let parts = PIIScanner.tokens(id.lowercased())
            guard let first = parts.first, parts.joined().utf8.count >= 3,
                parts.joined().utf8.contains(where: { $0 < 48 || $0 > 57 })
            else { continue }
            if parts.count == 1 {
                words.insert(first)
            } else {
                phrases.insert(parts.joined(separator: " "))
                longestPhrase = max(longestPhrase, parts.count)
            }
        }
    }

    /// Words of `text`: runs between white space and punctuation that never occurs inside a
    /// user name or an address (`. _ - @ +` stay inside words).
    static func tokens(_ text: String) -> [String] {
        text.split(whereSeparator: { c in
            c.isWhitespace || ",;:()[]{}\"'/?=&<>|!*#«»".contains(c)
        }).map(String.init)
    }

    /// What was found in `text`, or nil.
    public func finding(in text: String) -> String? {
        let b = Array(text.utf8)
        if let email = PIIScanner.findEmail(b) { return "an e-mail address (\(email))" }
        if PIIScanner.findIPv4(b) { return "an IPv4 address" }
        if PIIScanner.findIPv6(b) { return "an IPv6 address" }
        if PIIScanner.findFrenchPhone(b) { return "a phone number" }
        if words.isEmpty && phrases.isEmpty { return nil }
        let found = PIIScanner.tokens(text.lowercased())
        for (i, word) in found.enumerated() {
            if words.contains(word) { return "a raw identifier from the input" }
            var phrase = word
            for n in 1..<longestPhrase where i + n < found.count {
                phrase += " " + found[i + n]
                if phrases.contains(phrase) { return "a raw identifier from the input" }
            }
        }
        return nil
    }

    static func isLocalPart(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 46 || c == 95 || c == 45 || c == 43 || c == 37
    }

    static func findEmail(_ b: [UInt8]) -> String? {
        for (i, c) in b.enumerated() where c == UInt8(ascii: "@") {
            var s = i
            while s > 0, isLocalPart(b[s - 1]) { s -= 1 }
            var e = i + 1
            var dot = false
            while e < b.count, isLocalPart(b[e]) || b[e] == 46 { if b[e] == 46 { dot = true }; e += 1 }
            // A domain has at least two labels (`x@....` in a course name is not an address).
            let labels = b[(i + 1)..<e].split(separator: 46)
            if s < i, dot, e > i + 3, labels.count >= 2, let last = labels.last {
                return "…@….\(String(decoding: last, as: UTF8.self))"
            }
        }
        return nil
    }

    static func findIPv4(_ b: [UInt8]) -> Bool {
        var i = 0
        while i < b.count {
            if b[i] >= 48 && b[i] <= 57 && (i == 0 || !(b[i - 1] >= 48 && b[i - 1] <= 57) && b[i - 1] != 46) {
                var j = i
                var parts = 0
                var ok = true
                while parts < 4 {
                    var v = 0, n = 0
                    while j < b.count, b[j] >= 48, b[j] <= 57, n < 4 { v = v * 10 + Int(b[j] - 48); j += 1; n += 1 }
                    if n == 0 || n > 3 || v > 255 { ok = false; break }
                    parts += 1
                    if parts < 4 {
                        guard j < b.count, b[j] == 46 else { ok = false; break }
                        j += 1
                    }
                }
                if ok && parts == 4 && (j == b.count || !(b[j] >= 48 && b[j] <= 57) && b[j] != 46) { return true }
            }
            i += 1
        }
        return false
    }

    static func isHex(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) }

    /// An IPv6 address: hex groups and colons with at least two colons, either eight groups
    /// or a `::` with at least two groups, bounded by non-address characters.
    static func findIPv6(_ b: [UInt8]) -> Bool {
        var i = 0
        while i < b.count {
            guard isHex(b[i]) || b[i] == 58 else { i += 1; continue }
            var j = i
            while j < b.count, isHex(b[j]) || b[j] == 58 || b[j] == 46 { j += 1 }
            let run = b[i..<j]
            let colons = run.filter { $0 == 58 }.count
            let groups = run.split(separator: 58, omittingEmptySubsequences: true)
            let hasDouble = zip(run, run.dropFirst()).contains { $0 == 58 && $1 == 58 }
            let groupsValid = groups.allSatisfy { $0.count <= 4 || $0.contains(46) }
            if colons >= 2 && groupsValid && ((groups.count == 8 && !hasDouble) || (hasDouble && groups.count >= 2 && colons <= 7)) {
                return true
            }
            i = j + 1
        }
        return false
    }

    /// French numbers: 0X XX XX XX XX or +33 X XX XX XX XX, with optional separators.
    static func findFrenchPhone(_ b: [UInt8]) -> Bool {
        var i = 0
        while i < b.count {
            let startsPlus = b[i] == 43 && i + 3 < b.count && b[i + 1] == 51 && b[i + 2] == 51
            let startsZero = b[i] == 48 && (i == 0 || !(b[i - 1] >= 48 && b[i - 1] <= 57))
            if startsPlus || startsZero {
                var j = startsPlus ? i + 3 : i
                var digits = startsPlus ? 1 : 0
                var seps = 0
                while j < b.count, digits < 10 {
                    let c = b[j]
                    if c >= 48 && c <= 57 { digits += 1 } else if c == 32 || c == 46 || c == 45 { seps += 1; if seps > 5 { break } } else { break }
                    j += 1
                }
                let nextIsDigit = j < b.count && b[j] >= 48 && b[j] <= 57
                if digits == 10 && !nextIsDigit { return true }
            }
            i += 1
        }
        return false
    }
}
