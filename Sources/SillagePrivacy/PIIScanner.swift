/// The PII guard's checks (SPEC §6): run on every published cell before anything is written.
///
/// A cell fails when it holds an e-mail address, an IP address or a phone number
/// (`PersonalText.guardFinding`, the gate's own detectors), or a name met in any run
/// (`KnownNames`, the store's keyed hashes). Values from the logs passed the gate at the
/// parser; whatever the guard still finds in one (a name learnt after it was stored) is
/// replaced at publication (`rescrubbed`), so a learner cannot stop a release. The
/// operator's reference values (catalogue names) are never rewritten: a hit on one stops
/// the release (`referenceFinding`).
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

    /// What was found in a reference value: an address, a phone, an IP, or a full name met
    /// in the inputs. One-word names are not looked for there: a learner picks their user
    /// name, and one named after a word of the catalogue would stop every release.
    public func referenceFinding(in text: String) -> String? {
        if let found = PersonalText.guardFinding(Array(text.utf8)) { return found.description }
        if let names, names.findsFullName(in: text) { return "a full name met in the inputs" }
        return nil
    }

    /// `value` from the logs with what the guard finds replaced: names by `{name}`, the
    /// rest by the gate's placeholders; `{personal}` when placeholders cannot clear it.
    public func rescrubbed(_ value: Publishable) -> Publishable {
        var current = value
        if var names { current = names.check(current) }
        for _ in 0..<3 {
            let bytes = Array(current.text.utf8)
            guard PersonalText.guardFinding(bytes) != nil else { return current }
            current = PublishableGate.admit(PersonalText.scrub(bytes))
        }
        return PersonalText.guardFinding(Array(current.text.utf8)) == nil ? current : PublishableGate.admit(Array("{personal}".utf8))
    }
}
