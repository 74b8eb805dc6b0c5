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
    /// Pairs of words are keyed apart (`known-name-pair`), so the guard can tell a full name
    /// from a one-word user name without keeping anything in clear.
    private let preparedPair: Pseudonymiser.Prepared
    private var hashes: Set<ActorKey>
    /// Hashes learnt since `init`, for the store.
    public private(set) var added: [ActorKey] = []
    /// Words and word pairs already hashed: a run's texts share most of their words.
    private var memo = ByteKeyTable<ActorKey>(capacity: 4096)
    /// Identifiers already learnt: each chunk names its people again.
    private var learnt = ByteKeyTable<Void>(capacity: 1024)
    static let memoLimit = 1 << 20

    public init(key: MasterKey, stored: some Sequence<ActorKey> = []) {
        let pseudonymiser = Pseudonymiser(key: key.bytes)
        prepared = pseudonymiser.prepare("known-name")
        preparedPair = pseudonymiser.prepare("known-name-pair")
        hashes = Set(stored)
    }

    public var isEmpty: Bool { hashes.isEmpty }
    public var count: Int { hashes.count }

    /// Learns a raw identifier or name. Of an e-mail address only the local part names the
    /// person, of a URL its last segment. A one-word name is kept with its trailing digits
    /// and, when five letters or more remain, without them (`jdupont00`, `jdupont`); a name of
    /// several words as its adjacent pairs in both orders (`jean dupont`, `dupont jean`) and
    /// run together. One-word names under three characters, of digits only, or that are the
    /// words keys and paths are made of (`courses`, `block`…) are not kept: they cannot be
    /// told apart from the text around them, and would let anyone rename every key.
    public mutating func learn(_ raw: [UInt8]) {
        if learnt.count > KnownNames.memoLimit { learnt = ByteKeyTable<Void>(capacity: 1024) }
        let before = learnt.count
        _ = raw.withUnsafeBytes { learnt.insert($0) { () } }
        guard learnt.count > before else { return }
        var text = raw
        if text.starts(with: Array("mailto:".utf8)) { text.removeFirst(7) }
        if let at = text.firstIndex(of: 0x40) { text = Array(text[..<at]) }
        if let slash = text.lastIndex(of: UInt8(ascii: "/")), slash + 1 < text.count { text = Array(text[(slash + 1)...]) }
        let folded = PersonalText.folded(PersonalText.percentDecoded(text) ?? text)
        let words = KnownNames.words(in: folded).map { Array(folded[$0]) }
        guard !words.isEmpty else { return }
        if words.count == 1 {
            let word = words[0]
            guard word.count >= 3, word.contains(where: { !PersonalText.isDigit($0) }), !KnownNames.structural.contains(word) else { return }
            insert(hash(word))
            var cut = word.count
            while cut > 0, PersonalText.isDigit(word[cut - 1]) { cut -= 1 }
            if cut >= 5, cut < word.count, !KnownNames.structural.contains(Array(word[..<cut])) { insert(hash(Array(word[..<cut]))) }
            return
        }
        for i in 0..<(words.count - 1) {
            insert(hashPair(words[i] + [0x20] + words[i + 1]))
            insert(hashPair(words[i + 1] + [0x20] + words[i]))
        }
        let joined = Array(words.joined())
        if joined.count >= 3 { insert(hash(joined)) }
    }

    /// A word too short or too common to make half of a full name in the operator's data.
    static func isParticle(_ word: ArraySlice<UInt8>) -> Bool {
        word.count < 3 || particles.contains(Array(word))
    }

    static let particles: Set<[UInt8]> = Set(
        ["les", "des", "del", "der", "den", "van", "von", "the", "and", "aux", "sur", "pour", "dans", "avec", "san"].map { Array($0.utf8) })

    /// Words the keys and paths of the supported platforms are made of: never one-word names.
    static let structural: Set<[UInt8]> = Set(
        [
            "course", "courses", "courseware", "block", "type", "mod", "view", "php", "user", "users", "search", "index",
            "html", "page", "http", "https", "www", "com", "org", "api", "xblock", "handler", "jump", "video", "sequential",
            "vertical", "problem", "chapter", "discussion", "forum", "quiz", "resource", "urn", "login", "logout", "profile",
            "dashboard", "admin", "student", "learner", "guest", "anonymous", "null", "none", "test", "demo",
        ].map { Array($0.utf8) })

    private mutating func insert(_ h: ActorKey) {
        if hashes.insert(h).inserted { added.append(h) }
    }

    private func hash(_ word: [UInt8]) -> ActorKey { word.withUnsafeBytes { prepared.key($0) } }
    private func hashPair(_ pair: [UInt8]) -> ActorKey { pair.withUnsafeBytes { preparedPair.key($0) } }

    /// Ranges of the words of `text`: runs of letters, digits and marks of any script.
    static func words(in text: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start: Int? = nil
        var i = 0
        while i <= text.count {
            var length = 1
            var inWord = false
            if i < text.count {
                if text[i] < 0x80 {
                    inWord = PersonalText.isDigit(text[i]) || PersonalText.isLetter(text[i])
                } else if let (scalar, n) = PersonalText.scalar(text, at: i) {
                    // An invisible character inside a word (a soft hyphen, U+200B) stays in it:
                    // folding drops it, so `jea\u{AD}n` is `jean`.
                    inWord = PersonalText.isWordScalar(scalar) || (start != nil && scalar.properties.generalCategory == .format)
                    length = n
                }
            }
            if inWord, start == nil { start = i }
            if !inWord, let s = start {
                out.append(s..<i)
                start = nil
            }
            i += length
        }
        return out
    }

    /// The spans of `text` that hold a known name (a word or a pair of adjacent words).
    ///
    /// Runs once per distinct text of every chunk, on the merging thread: words are folded
    /// into one buffer and hashed in place, with no array per word.
    func nameSpans(_ text: [UInt8], pairsOnly: Bool = false) -> [Range<Int>] {
        KnownNames.nameSpans(text, hashes: hashes, pairsOnly: pairsOnly, word: { prepared.key($0) }, pair: { preparedPair.key($0) })
    }

    static func nameSpans(
        _ text: [UInt8], hashes: Set<ActorKey>, pairsOnly: Bool = false, word hashWord: (UnsafeRawBufferPointer) -> ActorKey,
        pair hashPair: (UnsafeRawBufferPointer) -> ActorKey
    ) -> [Range<Int>] {
        guard !hashes.isEmpty else { return [] }
        // Each word: its range in `text`, its folded bytes in `folded`, and the length of the
        // folded word without its trailing digits (0 when it has none to drop).
        var words: [(text: Range<Int>, folded: Range<Int>, stripped: Int)] = []
        var folded: [UInt8] = []
        folded.reserveCapacity(text.count + 8)
        for range in KnownNames.words(in: text) where !PersonalText.isPlaceholder(text, word: range) {
            let start = folded.count
            if text[range].allSatisfy({ $0 < 0x80 }) {
                for k in range { folded.append(text[k] >= 65 && text[k] <= 90 ? text[k] | 0x20 : text[k]) }
            } else {
                folded.append(contentsOf: PersonalText.folded(Array(text[range])))
            }
            var cut = folded.count
            while cut > start, PersonalText.isDigit(folded[cut - 1]) { cut -= 1 }
            words.append((range, start..<folded.count, cut > start && cut < folded.count ? cut - start : 0))
        }
        guard !words.isEmpty else { return [] }
        var pair: [UInt8] = []
        pair.reserveCapacity(64)
        func stripped(_ w: Int) -> Range<Int>? {
            words[w].stripped > 0 ? words[w].folded.lowerBound..<(words[w].folded.lowerBound + words[w].stripped) : nil
        }
        func known(_ range: Range<Int>) -> Bool {
            folded.withUnsafeBytes { hashes.contains(hashWord(UnsafeRawBufferPointer(rebasing: $0[range]))) }
        }
        func knownPair(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            pair.removeAll(keepingCapacity: true)
            pair.append(contentsOf: folded[a])
            pair.append(0x20)
            pair.append(contentsOf: folded[b])
            return pair.withUnsafeBytes { hashes.contains(hashPair($0)) }
        }
        /// The pair of words `w` and `w + 1`, each also without its trailing digits. In the
        /// operator's data (`pairsOnly`) a full name is two words of three letters or more,
        /// particles aside: `de la` or `a la` (from `a.la@…`) names nobody there.
        func pairIsKnown(_ w: Int) -> Bool {
            let a = words[w].folded, b = words[w + 1].folded, a2 = stripped(w), b2 = stripped(w + 1)
            if pairsOnly, KnownNames.isParticle(folded[a]) || KnownNames.isParticle(folded[b]) { return false }
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
                // A longer name goes on as long as its next pair is known (`pat o'brien`).
                var end = w + 1
                while end + 1 < words.count, pairIsKnown(end) { end += 1 }
                out.append(words[w].text.lowerBound..<words[end].text.upperBound)
                w = end + 1
                continue
            }
            if !pairsOnly, known(words[w].folded) || stripped(w).map(known) == true { out.append(words[w].text) }
            w += 1
        }
        return out
    }

    /// True when `text` holds a known name.
    public func finds(in text: String) -> Bool { !decodedSpans(Array(text.utf8), pairsOnly: false).isEmpty }

    /// True when `text` holds a known name of several words (a full name): what the guard
    /// looks for in the operator's reference data, where a one-word user name a learner chose
    /// (`statistique`) would let them stop every release.
    public func findsFullName(in text: String) -> Bool { !decodedSpans(Array(text.utf8), pairsOnly: true).isEmpty }

    /// The spans of a known name in `text`, percent-decoded first when it is encoded (a path
    /// segment `Jean%20Dupont`).
    private func decodedSpans(_ text: [UInt8], pairsOnly: Bool) -> [Range<Int>] {
        nameSpans(PersonalText.percentDecoded(text) ?? text, pairsOnly: pairsOnly)
    }

    /// `value` with every known name replaced by `{name}`; remembers the hashes it computes.
    public mutating func check(_ value: Publishable) -> Publishable {
        guard !hashes.isEmpty else { return value }
        let text = Array(value.text.utf8)
        let decoded = PersonalText.percentDecoded(text)
        let base = decoded ?? text
        if memo.count > KnownNames.memoLimit { memo = ByteKeyTable<ActorKey>(capacity: 4096) }
        let prepared = self.prepared, preparedPair = self.preparedPair
        var tagged: [UInt8] = []
        tagged.reserveCapacity(64)
        // Words and pairs are remembered apart: a pair is keyed with its own preparation.
        let spans = KnownNames.nameSpans(
            base, hashes: hashes,
            word: { bytes in
                let index = memo.insert(bytes) { prepared.key(bytes) }
                return memo.values[index]
            },
            pair: { bytes in
                tagged.removeAll(keepingCapacity: true)
                tagged.append(0)
                tagged.append(contentsOf: bytes)
                let index = tagged.withUnsafeBytes { t in memo.insert(t) { preparedPair.key(bytes) } }
                return memo.values[index]
            })
        guard !spans.isEmpty else { return value }
        let replaced = PersonalText.replacing(base, spans.map { ($0, .name) })
        guard decoded != nil else { return PublishableGate.admit(replaced) }
        // Decoded to be read: encoded again as the value was.
        var out: [UInt8] = []
        replaced.withUnsafeBytes { URLScrubber.appendEncoded($0, into: &out) }
        return PublishableGate.admit(out)
    }
}
