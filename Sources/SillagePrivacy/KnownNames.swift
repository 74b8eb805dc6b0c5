import SillageCore

/// The names met in the inputs — user names, full names, xAPI account and actor names, Open
/// edX usernames, Moodle report names — remembered only as keyed hashes (SPEC §6).
///
/// A name is kept as the hash of each of its words when it is one word (`jdupont00`), else
/// of each pair of adjacent words and of its words run together (`jean dupont`,
/// `jeandupont`), all case-folded without accents. A text is checked word by word and pair
/// by pair, a word being a run of letters and digits, so `cours-de-jdupont00`,
/// `jdupont00_rattrapage` and `Jean.Dupont` are all found; a word's trailing digits are also
/// tried off (`Jean07 Dupont`). The hash is `HMAC(master key, "known-name" ‖ 0 ‖ word)`, so
/// the store proves nothing about a name to someone without the key.
public struct KnownNames: Sendable {
    private let prepared: Pseudonymiser.Prepared
    private var hashes: Set<ActorKey>
    /// Hashes learnt since `init`, for the store.
    public private(set) var added: [ActorKey] = []

    public init(key: MasterKey, stored: some Sequence<ActorKey> = []) {
        prepared = Pseudonymiser(key: key.bytes).prepare("known-name")
        hashes = Set(stored)
    }

    public var isEmpty: Bool { hashes.isEmpty }
    public var count: Int { hashes.count }

    /// Learns a raw identifier or name. Of an e-mail address only the local part names the
    /// person, of a URL its last segment; one-word names under three characters or of digits
    /// only cannot be told apart from ordinary words and numbers and are not kept.
    public mutating func learn(_ raw: [UInt8]) {
        var text = raw
        if text.starts(with: Array("mailto:".utf8)) { text.removeFirst(7) }
        if let at = text.firstIndex(of: 0x40) { text = Array(text[..<at]) }
        if let slash = text.lastIndex(of: UInt8(ascii: "/")), slash + 1 < text.count { text = Array(text[(slash + 1)...]) }
        let words = KnownNames.words(in: PersonalText.folded(text)).map { Array(PersonalText.folded(text)[$0]) }
        guard !words.isEmpty else { return }
        if words.count == 1 {
            let word = words[0]
            guard word.count >= 3, word.contains(where: { !PersonalText.isDigit($0) }) else { return }
            insert(hash(word))
            return
        }
        for i in 0..<(words.count - 1) { insert(hash(words[i] + [0x20] + words[i + 1])) }
        let joined = words.joined()
        if joined.count >= 3 { insert(hash(Array(joined))) }
    }

    private mutating func insert(_ h: ActorKey) {
        if hashes.insert(h).inserted { added.append(h) }
    }

    private func hash(_ word: [UInt8]) -> ActorKey { word.withUnsafeBytes { prepared.key($0) } }

    /// Ranges of the words of `text`: runs of ASCII letters and digits and of non-ASCII bytes.
    static func words(in text: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start: Int? = nil
        for i in 0...text.count {
            let inWord = i < text.count && PersonalText.isAlnum(text[i])
            if inWord, start == nil { start = i }
            if !inWord, let s = start {
                out.append(s..<i)
                start = nil
            }
        }
        return out
    }

    /// A word and, when it ends in digits after letters, the word without them.
    private static func forms(_ word: [UInt8]) -> [[UInt8]] {
        var cut = word.count
        while cut > 0, PersonalText.isDigit(word[cut - 1]) { cut -= 1 }
        return cut > 0 && cut < word.count ? [word, Array(word[..<cut])] : [word]
    }

    /// The spans of `text` that hold a known name (a word or a pair of adjacent words).
    func nameSpans(_ text: [UInt8]) -> [Range<Int>] {
        guard !hashes.isEmpty else { return [] }
        let ranges = KnownNames.words(in: text).filter { r in
            // A placeholder the gate wrote (`{email}`) is not a word of the text.
            !(r.lowerBound > 0 && text[r.lowerBound - 1] == UInt8(ascii: "{") && r.upperBound < text.count
                && text[r.upperBound] == UInt8(ascii: "}"))
        }
        let folded = ranges.map { KnownNames.forms(PersonalText.folded(Array(text[$0]))) }
        var out: [Range<Int>] = []
        var i = 0
        while i < ranges.count {
            if i + 1 < ranges.count,
                folded[i].contains(where: { a in folded[i + 1].contains { b in hashes.contains(hash(a + [0x20] + b)) } })
            {
                out.append(ranges[i].lowerBound..<ranges[i + 1].upperBound)
                i += 2
                continue
            }
            if folded[i].contains(where: { hashes.contains(hash($0)) }) { out.append(ranges[i]) }
            i += 1
        }
        return out
    }

    /// True when `text` holds a known name.
    public func finds(in text: String) -> Bool { !nameSpans(Array(text.utf8)).isEmpty }

    /// `value` with every known name replaced by `{name}`.
    public func check(_ value: Publishable) -> Publishable {
        let text = Array(value.text.utf8)
        let spans = nameSpans(text)
        guard !spans.isEmpty else { return value }
        return PublishableGate.admit(PersonalText.replacing(text, spans.map { ($0, .name) }))
    }
}
