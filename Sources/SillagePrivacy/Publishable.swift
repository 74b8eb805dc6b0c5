/// A text that may reach a published table or report (SPEC §6): a course or object key, an
/// activity or course name, a search term, a reference name.
///
/// Only the privacy layer makes one, in `PublishableGate.admit`: the initialiser is internal,
/// so a parser cannot hand on text that has not passed the gate.
public struct Publishable: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let text: String

    init(admitted text: String) {
        // Spreadsheets read a cell that starts with = + - @ (or a tab or CR) as a formula: such
        // a value is published behind an apostrophe, as OWASP advises for CSV files.
        if let first = text.utf8.first, Publishable.formulaStarts.contains(first) {
            self.text = "'" + text
        } else {
            self.text = text
        }
    }

    static let formulaStarts: Set<UInt8> = [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D]

    public var description: String { text }

    /// No value (an event without a course or object).
    public static let none = Publishable(admitted: "")

    public var isEmpty: Bool { text.isEmpty }

    /// The rest of an admitted value after `prefix` (a search term after `search:`), or nil.
    public func removingPrefix(_ prefix: String) -> Publishable? {
        guard text.hasPrefix(prefix), text.count > prefix.count else { return nil }
        return Publishable(admitted: String(text.dropFirst(prefix.count)))
    }

    public static func < (a: Publishable, b: Publishable) -> Bool { a.text < b.text }
}
