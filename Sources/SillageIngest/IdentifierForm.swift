import Foundation
import SillageCore
import SillagePrivacy

/// How each namespace writes its identifiers before they are keyed (SPEC §6): one function
/// per namespace, used by the parsers and by `forget` and `access`, so a request reaches
/// the pseudonym a parser made whatever the case or spacing the operator types.
///
/// - e-mail addresses (`xapi-mbox`): `mailto:` then Unicode case folding (`Élodie@…` and
///   `élodie@…` are one address);
/// - user names (`web-user`, `openedx-username`) and report full names (`moodle-fullname`):
///   Unicode case folding, runs of spaces as one; full names also trimmed;
/// - SHA-1 sums: lower-case hex; numeric ids (`moodle-userid`, `openedx-userid`): the decimal
///   number without leading zeros; accounts and OpenID URLs: as written.
public enum IdentifierForm {
    /// Trimmed and case-folded in place: ASCII at byte speed, other text in Unicode NFKC
    /// (composed and decomposed spellings are one) with full case folding (`STRASSE` is
    /// `straße`).
    public static func fold(_ b: inout [UInt8]) {
        while let last = b.last, last == 0x20 || last == 0x09 { b.removeLast() }
        if let first = b.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), first > 0 { b.removeFirst(first) }
        if b.contains(where: { $0 >= 0x80 }) {
            let text = String(decoding: b, as: UTF8.self).precomposedStringWithCompatibilityMapping
            b = Array(text.folding(options: .caseInsensitive, locale: nil).trimmingCharacters(in: .whitespaces).utf8)
        } else {
            for i in b.indices where b[i] >= 65 && b[i] <= 90 { b[i] |= 0x20 }
        }
    }

    /// A web user name: nginx's `\xHH` escapes undone, then folded.
    public static func webUser(_ b: inout [UInt8]) {
        if b.contains(0x5C) {
            var out: [UInt8] = []
            var i = 0
            while i < b.count {
                if b[i] == 0x5C, i + 3 < b.count, b[i + 1] == UInt8(ascii: "x"), let h = ObjectKeys.hexValue(b[i + 2]),
                    let l = ObjectKeys.hexValue(b[i + 3])
                {
                    out.append(h << 4 | l)
                    i += 4
                } else {
                    out.append(b[i])
                    i += 1
                }
            }
            b = out
        }
        fold(&b)
    }

    /// A decimal id written by another source (`058`): without its leading zeros.
    public static func number(_ b: inout [UInt8]) {
        guard b.count > 1, b.allSatisfy({ $0 >= 48 && $0 <= 57 }), b[0] == 48 else { return }
        while b.count > 1, b[0] == 48 { b.removeFirst() }
    }

    /// An xAPI account name: trimmed, in Unicode NFC (composed and decomposed accents are
    /// one name); case kept, since accounts are ids.
    public static func account(_ b: inout [UInt8]) {
        while let last = b.last, last == 0x20 || last == 0x09 { b.removeLast() }
        if let first = b.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), first > 0 { b.removeFirst(first) }
        if b.contains(where: { $0 >= 0x80 }) { b = Array(String(decoding: b, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8) }
    }

    /// An xAPI `homePage`: without a trailing `/`.
    public static func homePage(_ b: inout [UInt8]) {
        while b.count > 1, b.last == UInt8(ascii: "/") { b.removeLast() }
    }

    /// An xAPI `mbox`: `mailto:` added when missing, case-folded.
    public static func mbox(_ b: inout [UInt8]) {
        fold(&b)
        if !b.starts(with: Array("mailto:".utf8)) { b.insert(contentsOf: Array("mailto:".utf8), at: 0) }
    }

    /// A full name: trimmed, inner runs of spaces as one, case-folded.
    public static func fullName(_ b: inout [UInt8]) {
        // NFKC first: a no-break space is a space.
        if b.contains(where: { $0 >= 0x80 }) { b = Array(String(decoding: b, as: UTF8.self).precomposedStringWithCompatibilityMapping.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        for c in b {
            if c == 0x20 || c == 0x09 {
                if let last = out.last, last != 0x20 { out.append(0x20) }
            } else {
                out.append(c)
            }
        }
        while out.last == 0x20 { out.removeLast() }
        b = out
        fold(&b)
    }

    /// The identifier `text` as the parsers of `namespace` key it, or nil when it cannot be
    /// one (a numeric id that is not a number).
    public static func normalised(_ namespace: String, _ text: String) -> [UInt8]? {
        var b = Array(text.utf8)
        switch namespace {
        case XAPIStatementsParser.mboxNamespace: mbox(&b)
        case Pseudonymiser.Namespace.webUser: webUser(&b)
        case OpenEdxTrackingParser.usernameNamespace: fold(&b)
        case MoodleReportParser.nameNamespace: fullName(&b)
        case XAPIStatementsParser.mboxSHA1Namespace: fold(&b)
        case MoodleLogstoreParser.userNamespace, OpenEdxTrackingParser.userNamespace:
            guard let n = Int64(text), n > 0 else { return nil }
            b = Array(String(n).utf8)
        default: break
        }
        return b
    }
}
