import SillageCore

/// The gate every publishable text passes on its way out of a parser (SPEC §6), holding the
/// texts one chunk admitted.
///
/// Each entry point applies the rule for its kind of value — URL paths scrubbed, IRIs reduced
/// to their key, search terms folded and checked, Moodle modules spelt `cm:N`, keys and
/// reference values as the source spells them — and the text it gives is admitted by
/// `admit`, the one place a `Publishable` is made. Ids are 1-based indices of `values()`;
/// 0 means that nothing was admitted. Works on bytes: a text becomes a `String` once per
/// chunk, not once per record.
public struct PublishableGate {
    private var table: ByteKeyTable<Void>
    private var scratch: [UInt8] = []

    public init(capacity: Int = 512) {
        table = ByteKeyTable<Void>(capacity: capacity)
        scratch.reserveCapacity(256)
    }

    /// Texts admitted so far.
    public var count: Int { table.count }

    /// The admitted texts in id order, each after its kind's rule (`GateRule`): a text is
    /// checked once per chunk however many records carry it.
    public func values() -> [Publishable] {
        (0..<table.count).map { i in
            let entry = table.key(at: i)
            guard let kind = entry.first.flatMap(GateRule.init(rawValue:)) else { return Publishable.none }
            return PublishableGate.admit(kind.apply(Array(entry.dropFirst())))
        }
    }

    /// The one place a `Publishable` is made.
    static func admit(_ bytes: [UInt8]) -> Publishable {
        Publishable(admitted: String(decoding: bytes, as: UTF8.self))
    }

    /// A request target as an object: scheme, host, fragment and all but allow-listed
    /// parameters dropped, personal-looking segments replaced (`URLScrubber`). With
    /// `emptyIsNone`, a target that scrubs to nothing gives 0 instead of an empty object.
    public mutating func path(_ target: UnsafeRawBufferPointer, scrubber: URLScrubber, emptyIsNone: Bool = false) -> UInt32 {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(GateRule.path.rawValue)
        scrubber.normalise(target, into: &scratch)
        return emptyIsNone && scratch.count == 1 ? 0 : intern()
    }

    /// The Open edX usage key that starts at `start` in `text` (up to `/`, `?`, `#` or a space).
    public mutating func openEdxKey(_ text: [UInt8], from start: Int) -> UInt32 {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(GateRule.key.rawValue)
        ObjectKeys.appendUntil(text, from: start, into: &scratch)
        return intern()
    }

    /// Reduces an IRI (an xAPI or Open edX object id) to its canonical key, kept aside until
    /// `admitIRI()`; returns whether the IRI names a course.
    public mutating func prepareIRI(_ iri: UnsafeRawBufferPointer) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(GateRule.key.rawValue)
        return ObjectKeys.fromIRI(iri, into: &scratch)
    }

    /// Admits the key the last `prepareIRI` made.
    public mutating func admitIRI() -> UInt32 { intern() }

    /// `prepareIRI` and `admitIRI` at once.
    public mutating func iri(_ iri: UnsafeRawBufferPointer) -> (id: UInt32, isCourse: Bool) {
        let isCourse = prepareIRI(iri)
        return (admitIRI(), isCourse)
    }

    /// A search term as `search:<term>`, folded and cut, or its placeholder when it looks personal.
    public mutating func searchTerm(_ raw: UnsafeRawBufferPointer) -> UInt32 {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(GateRule.search.rawValue)
        ObjectKeys.searchTerm(raw, into: &scratch)
        return intern()
    }

    /// The Moodle course module `cm:N`.
    public mutating func moodleModule(_ cmid: Int64) -> UInt32 {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(GateRule.verbatim.rawValue)
        ObjectKeys.moodleModule(cmid: cmid, into: &scratch)
        return intern()
    }

    /// A course or object key as the source spells it, JSON escapes undone by the caller (a
    /// Moodle course id, an Open edX `course_id`, a reference table's course); 0 when empty.
    /// Known shapes keep their structure and each part is checked (`GateRule.key`).
    public mutating func key(_ raw: UnsafeRawBufferPointer) -> UInt32 {
        guard raw.count > 0 else { return 0 }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(GateRule.key.rawValue)
        scratch.append(contentsOf: raw)
        return intern()
    }

    /// A value the store wrote from an admitted one, read back. Only the store uses it (it
    /// imports the `Store` SPI, and `ArchitectureTests` checks that no other target does).
    @_spi(Store) public static func stored(_ text: String) -> Publishable {
        Publishable(admitted: text)
    }

    /// A reference table's value (a catalogue key or name, an organisation) as the source spells it.
    public static func reference(_ text: String) -> Publishable {
        admit(Array(text.utf8))
    }

    /// Interns `scratch` (its rule's byte, then the text); 0 when the text is empty.
    private mutating func intern() -> UInt32 {
        guard scratch.count > 1 else { return 0 }
        return scratch.withUnsafeBytes { UInt32(table.insert($0) { () } + 1) }
    }
}
