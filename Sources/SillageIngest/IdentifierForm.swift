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
    /// Case-folded in place (ASCII at byte speed, other text through Unicode lower-casing).
    public static func fold(_ b: inout [UInt8]) {
        if b.contains(where: { $0 >= 0x80 }) {
            b = Array(String(decoding: b, as: UTF8.self).lowercased().utf8)
        } else {
            for i in b.indices where b[i] >= 65 && b[i] <= 90 { b[i] |= 0x20 }
        }
    }

    /// An xAPI `mbox`: `mailto:` added when missing, case-folded.
    public static func mbox(_ b: inout [UInt8]) {
        fold(&b)
        if !b.starts(with: Array("mailto:".utf8)) { b.insert(contentsOf: Array("mailto:".utf8), at: 0) }
    }

    /// A full name: trimmed, inner runs of spaces as one, case-folded.
    public static func fullName(_ b: inout [UInt8]) {
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
        case Pseudonymiser.Namespace.webUser, OpenEdxTrackingParser.usernameNamespace: fold(&b)
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
