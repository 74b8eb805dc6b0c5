/// The PII guard's checks (SPEC §6): run on every published cell before anything is written.
///
/// A cell fails when it holds an e-mail address, an IP address or a phone number
/// (`PersonalText.guardFinding`, the gate's own detectors), or a name met in any run
/// (`KnownNames`, the store's keyed hashes). Values from the logs passed the gate at the
/// parser; a name learnt after they were stored is replaced at publication
/// (`replacingNames`), so a learner cannot block a release. Operator-supplied reference
/// values (catalogue names) are never rewritten: a hit on one stops the release.
public struct PIIScanner: Sendable {
    public let names: KnownNames?

    public init(names: KnownNames? = nil) {
        self.names = names
    }

    /// What was found in `text` (in words, never the value), or nil.
    public func finding(in text: String) -> String? {
        if let found = PersonalText.guardFinding(Array(text.utf8)) { return found.description }
        if let names, names.finds(in: text) { return PersonalText.Finding.name.description }
        return nil
    }

    /// `value` with the names met in any run replaced by `{name}`.
    public func replacingNames(_ value: Publishable) -> Publishable {
        guard var names else { return value }
        return names.check(value)
    }
}
