import Foundation
import SillageCore
import SillagePrivacy

/// A person named the way one input names them, for `forget` and `access`.
///
/// The pseudonym is computed exactly as the parser computes it, so that a request reaches
/// every row the person's records produced — and nothing else.
public struct PersonIdentifier: Sendable {
    public var namespace: String
    /// The identifier's bytes as the parser keys them.
    public var bytes: [UInt8]

    /// Namespaces a person can be named in, with the form of their identifiers: every
    /// namespace a parser keys people in.
    public static let namespaces: [(name: String, form: String)] = [
        (MoodleLogstoreParser.userNamespace, "a Moodle user id (logstore userid, report and xAPI when declared)"),
        (MoodleReportParser.nameNamespace, "a full name as the Moodle Logs report writes it (rows without a user id)"),
        (OpenEdxTrackingParser.userNamespace, "an Open edX user id"),
        (OpenEdxTrackingParser.usernameNamespace, "an Open edX username"),
        (XAPIStatementsParser.accountNamespace, "HOMEPAGE|NAME of an xAPI account"),
        (XAPIStatementsParser.mboxNamespace, "an e-mail address (xAPI mbox)"),
        (XAPIStatementsParser.mboxSHA1Namespace, "the SHA-1 of an xAPI mbox"),
        (XAPIStatementsParser.openIDNamespace, "an OpenID URL"),
        (Pseudonymiser.Namespace.webUser, "an authenticated web user name (%u)"),
    ]

    /// Reads `text` in `namespace`, in the namespace's form (`IdentifierForm`); `declared`
    /// are the identity namespaces the pipeline declares.
    public init(namespace: String, _ text: String, declared: [String] = []) throws(SillageError) {
        self.namespace = namespace
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw SillageError.usage("an empty identifier") }
        switch namespace {
        case Pseudonymiser.Namespace.webVisitor:
            throw SillageError.usage(
                "anonymous web visitors cannot be named: they are keyed by address, browser and day, and followed no further",
                hint: "for authenticated users give --namespace \(Pseudonymiser.Namespace.webUser)")
        case XAPIStatementsParser.accountNamespace:
            guard let bar = trimmed.firstIndex(of: "|") else {
                throw SillageError.usage("an xapi-account identifier is HOMEPAGE|NAME (the name is not repeated here)")
            }
            var home = Array(trimmed[..<bar].utf8)
            IdentifierForm.homePage(&home)
            var name = Array(trimmed[trimmed.index(after: bar)...].utf8)
            IdentifierForm.account(&name)
            // `|NAME`: an account the statement gave without a homePage is keyed by its name.
            bytes = home.isEmpty ? name : home + [0] + name
        default:
            guard PersonIdentifier.namespaces.contains(where: { $0.name == namespace }) || declared.contains(namespace) else {
                throw SillageError.usage(
                    "unknown namespace \"\(namespace)\"",
                    hint: PersonIdentifier.namespaceHint(declared))
            }
            guard let form = IdentifierForm.normalised(namespace, trimmed) else {
                throw SillageError.usage("a \(namespace) identifier is a positive number (the value is not repeated here)")
            }
            bytes = form
        }
    }

    /// The namespaces an identifier may name, each once (a pipeline may declare a built-in one
    /// as an input's identity).
    static func namespaceHint(_ declared: [String]) -> String {
        var names = PersonIdentifier.namespaces.map(\.name)
        for d in declared where !names.contains(d) { names.append(d) }
        return "namespaces: " + names.joined(separator: ", ")
    }

    /// Reads `NS:ID` (`moodle-userid:42`, `xapi-mbox:mailto:a@b.fr`): the namespace is the
    /// text before the first colon.
    public init(qualified text: String, declared: [String] = []) throws(SillageError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let colon = trimmed.firstIndex(of: ":") else {
            throw SillageError.usage(
                "an identifier is NAMESPACE:ID (for example moodle-userid:42), or give --namespace",
                hint: PersonIdentifier.namespaceHint(declared))
        }
        try self.init(namespace: String(trimmed[..<colon]), String(trimmed[trimmed.index(after: colon)...]), declared: declared)
    }

    /// The identifiers in a file, one per line, for `forget --file`; blank lines and `#`
    /// comment lines are not people.
    public static func lines(ofFile path: String) throws(SillageError) -> [String] {
        String(decoding: try readWholeFile(path), as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// The person's pseudonym under `pseudonymiser`'s key.
    public func pseudonym(_ pseudonymiser: Pseudonymiser) -> ActorKey {
        bytes.withUnsafeBytes { pseudonymiser.prepare(namespace).key($0) }
    }
}
