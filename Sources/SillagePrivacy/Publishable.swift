/// A text that may reach a published table or report (SPEC §6): a course or object key, an
/// activity or course name, a search term, a reference name.
///
/// Only the privacy layer makes one, in `PublishableGate.admit`: the initialiser is internal,
/// so a parser cannot hand on text that has not passed the gate.
public struct Publishable: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let text: String

    init(admitted text: String) {
        self.text = text
    }

    public var description: String { text }

    public static func < (a: Publishable, b: Publishable) -> Bool { a.text < b.text }
}
