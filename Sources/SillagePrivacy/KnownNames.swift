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
    /// Words and word pairs already hashed: a run's texts share most of their words.
    private var memo = ByteKeyTable<ActorKey>(capacity: 4096)
    /// Identifiers already learnt: each chunk names its people again.
    private var learnt = ByteKeyTable<Void>(capacity: 1024)
    static let memoLimit = 1 << 20

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
        if learnt.count > KnownNames.memoLimit { learnt = ByteKeyTable<Void>(capacity: 1024) }
        let before = learnt.count
        _ = raw.withUnsafeBytes { learnt.insert($0) { () } }
        guard learnt.count > before else { return }
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

    /// The spans of `text` that hold a known name (a word or a pair of adjacent words).
    ///
    /// Runs once per distinct text of every chunk, on the merging thread: words are folded
    /// into one buffer and hashed in place, with no array per word.
    func nameSpans(_ text: [UInt8]) -> [Range<Int>] {
        KnownNames.nameSpans(text, hashes: hashes) { prepared.key($0) }
    }

    static func nameSpans(_ text: [UInt8], hashes: Set<ActorKey>, hash: (UnsafeRawBufferPointer) -> ActorKey) -> [Range<Int>] {
        guard !hashes.isEmpty else { return [] }
        // Each word: its range in `text`, its folded bytes in `folded`, and the length of the
        // folded word without its trailing digits (0 when it has none to drop).
        var words: [(text: Range<Int>, folded: Range<Int>, stripped: Int)] = []
        var folded: [UInt8] = []
        folded.reserveCapacity(text.count + 8)
        var i = 0
        while i < text.count {
            guard PersonalText.isAlnum(text[i]) else {
                i += 1
                continue
            }
            var j = i
            var ascii = true
            while j < text.count, PersonalText.isAlnum(text[j]) {
                if text[j] >= 0x80 { ascii = false }
                j += 1
            }
            // A placeholder the gate wrote (`{email}`) is not a word of the text.
            if i > 0, text[i - 1] == UInt8(ascii: "{"), j < text.count, text[j] == UInt8(ascii: "}") {
                i = j
                continue
            }
            let start = folded.count
            if ascii {
                for k in i..<j { folded.append(text[k] >= 65 && text[k] <= 90 ? text[k] | 0x20 : text[k]) }
            } else {
                folded.append(contentsOf: PersonalText.folded(Array(text[i..<j])))
            }
            var cut = folded.count
            while cut > start, PersonalText.isDigit(folded[cut - 1]) { cut -= 1 }
            words.append((i..<j, start..<folded.count, cut > start && cut < folded.count ? cut - start : 0))
            i = j
        }
        guard !words.isEmpty else { return [] }
        var pair: [UInt8] = []
        pair.reserveCapacity(64)
        func stripped(_ w: Int) -> Range<Int>? {
            words[w].stripped > 0 ? words[w].folded.lowerBound..<(words[w].folded.lowerBound + words[w].stripped) : nil
        }
        func known(_ range: Range<Int>) -> Bool {
            folded.withUnsafeBytes { hashes.contains(hash(UnsafeRawBufferPointer(rebasing: $0[range]))) }
        }
        func knownPair(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            pair.removeAll(keepingCapacity: true)
            pair.append(contentsOf: folded[a])
            pair.append(0x20)
            pair.append(contentsOf: folded[b])
            return pair.withUnsafeBytes { hashes.contains(hash($0)) }
        }
        /// The pair of words `w` and `w + 1`, each also without its trailing digits.
        func pairIsKnown(_ w: Int) -> Bool {
            let a = words[w].folded, b = words[w + 1].folded, a2 = stripped(w), b2 = stripped(w + 1)
            if knownPair(a, b) { return true }
            if let a2, knownPair(a2, b) { return true }
            if let b2, knownPair(a, b2) { return true }
            if let a2, let b2, knownPair(a2, b2) { return true }
            return false
        }
        var out: [Range<Int>] = []
        var w = 0
        while w < words.count {
            if w + 1 < words.count, pairIsKnown(w) {
                out.append(words[w].text.lowerBound..<words[w + 1].text.upperBound)
                w += 2
                continue
            }
            if known(words[w].folded) || stripped(w).map(known) == true { out.append(words[w].text) }
            w += 1
        }
        return out
    }

    /// True when `text` holds a known name.
    public func finds(in text: String) -> Bool { !nameSpans(Array(text.utf8)).isEmpty }

    /// `value` with every known name replaced by `{name}`; remembers the hashes it computes.
    public mutating func check(_ value: Publishable) -> Publishable {
        guard !hashes.isEmpty else { return value }
        let text = Array(value.text.utf8)
        if memo.count > KnownNames.memoLimit { memo = ByteKeyTable<ActorKey>(capacity: 4096) }
        let prepared = self.prepared
        let spans = KnownNames.nameSpans(text, hashes: hashes) { bytes in
            let index = memo.insert(bytes) { prepared.key(bytes) }
            return memo.values[index]
        }
        guard !spans.isEmpty else { return value }
        return PublishableGate.admit(PersonalText.replacing(text, spans.map { ($0, .name) }))
    }
}
