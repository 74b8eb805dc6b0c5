/// How the gate checks one kind of text before admitting it (SPEC §6).
///
/// A rule keeps the structure of the identifiers it knows and checks each of their parts
/// with `PersonalText`, so that a personal-looking part becomes a placeholder and the rest of
/// the key stays usable: `course-v1:Org+cours_jean.dupont@example.fr+2025` is published as
/// `course-v1:Org+cours_{email}+2025`. The names met in the inputs are checked later, when
/// the run merges a chunk's texts (`KnownNames`), because they are known only then.
enum GateRule: UInt8 {
    /// Our own spelling (`cm:45`): nothing to check.
    case verbatim = 0
    /// A scrubbed URL path: each segment checked once decoded.
    case path = 1
    /// A course or object key: Moodle ids, Open edX keys, IRIs reduced to a key, other ids.
    case key = 2
    /// `search:<term>`: the term checked as free text, word by word.
    case search = 3

    func apply(_ text: [UInt8]) -> [UInt8] {
        switch self {
        case .verbatim: return text
        case .path: return GateRule.checkPath(text)
        case .key: return GateRule.checkKey(text)
        case .search:
            let prefix = Array("search:".utf8)
            guard text.starts(with: prefix) else { return GateRule.checkText(text) }
            // Checked, cut, and checked again: a cut can make a finding (`0612345678xyz`).
            let checked = ObjectKeys.cutSearchTerm(GateRule.checkText(Array(text.dropFirst(prefix.count))))
            return prefix + GateRule.checkText(checked)
        }
    }

    static let openEdxPrefixes = ["course-v1:", "block-v1:", "library-v1:", "lib-block-v1:"].map { Array($0.utf8) }

    static func checkKey(_ text: [UInt8]) -> [UInt8] {
        // A Moodle id; nine digits or more could be a phone or a personal number.
        if text.count <= 8, text.allSatisfy(PersonalText.isDigit) { return text }
        if let prefix = openEdxPrefixes.first(where: { text.starts(with: $0) }) {
            return prefix + checkOpenEdxParts(Array(text.dropFirst(prefix.count)))
        }
        if text.first == UInt8(ascii: "/") { return checkPath(text) }
        // Other ids (`urn:course:…`, `uuid://…`): the whole text checked (a date spans `/`),
        // then each part between `:` and `/` for the token shapes.
        return checkParts(scrubbedEncoded(text) ?? text, separators: [UInt8(ascii: ":"), UInt8(ascii: "/")], check: checkSegment)
    }

    /// `Org+Course+Run+type@video+block@<hex>`: each `+` part checked; in a `name@value`
    /// part the value is; a block's hex id is an id, not a token.
    static func checkOpenEdxParts(_ text: [UInt8]) -> [UInt8] {
        checkParts(text, separators: [UInt8(ascii: "+")]) { part in
            if let at = part.firstIndex(of: 0x40), case let name = Array(part[..<at]), name == Array("type".utf8) || name == Array("block".utf8) {
                let value = Array(part[(at + 1)...])
                // A block's hash: hex digits with a letter among them (a real one has 32).
                let isHexID =
                    value.count >= 20 && value.count <= 64 && value.allSatisfy(PersonalText.isHex) && value.contains(where: PersonalText.isLetter)
                    && !PersonalText.holdsLongNumber(value[...])
                return name + [0x40] + (isHexID ? value : checkSegment(value))
            }
            return checkSegment(part)
        }
    }

    /// A path: each segment (decoded) checked; the query a scrubber kept is ids only.
    static func checkPath(_ text: [UInt8]) -> [UInt8] {
        let query = text.firstIndex(of: UInt8(ascii: "?")) ?? text.count
        let path = Array(text[..<query])
        // Each segment (a number glued to letters is found there only), then what spans
        // segments (`/ch/06/12/34/56/78/`) in the whole path.
        let segments = checkParts(path, separators: [UInt8(ascii: "/")], check: checkSegment)
        let (base, spans) = PersonalText.comparable(segments)
        guard !spans.isEmpty else { return segments + text[query...] }
        var out: [UInt8] = []
        PersonalText.replacing(base, spans).withUnsafeBytes { URLScrubber.appendEncoded($0, into: &out) }
        return out + text[query...]
    }

    /// `text` scrubbed and, being then decoded text with placeholders, encoded again as the
    /// rest of a key is; nil when nothing was found.
    static func scrubbedEncoded(_ text: [UInt8]) -> [UInt8]? {
        let scrubbed = PersonalText.scrub(text)
        guard scrubbed != text else { return nil }
        var out: [UInt8] = []
        scrubbed.withUnsafeBytes { URLScrubber.appendEncoded($0, into: &out) }
        return out
    }

    /// One part of a key or path: the text check, then the token and long-number shapes.
    static func checkSegment(_ part: [UInt8]) -> [UInt8] {
        if let scrubbed = scrubbedEncoded(part) { return scrubbed }
        return part.withUnsafeBytes { URLScrubber.placeholder(for: $0) } ?? PersonalText.gluedNumbers(part) ?? part
    }

    /// Free text (a search term): the text check, then each word's token shape.
    static func checkText(_ text: [UInt8]) -> [UInt8] {
        var checked = PersonalText.scrub(text)
        if checked != text {
            // Decoded with its placeholders: encoded again as the term was.
            let decoded = checked
            checked = []
            URLScrubber.appendEncodedText(decoded, into: &checked)
        }
        return checkParts(checked, separators: [0x20]) { word in
            if PersonalText.placeholders.contains(word) { return word }
            return word.withUnsafeBytes { URLScrubber.placeholder(for: $0) } ?? PersonalText.gluedNumbers(word) ?? word
        }
    }

    static func checkParts(_ text: [UInt8], separators: Set<UInt8>, check: ([UInt8]) -> [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var start = 0
        for i in 0...text.count where i == text.count || separators.contains(text[i]) {
            if i > start { out.append(contentsOf: check(Array(text[start..<i]))) }
            if i < text.count { out.append(text[i]) }
            start = i + 1
        }
        return out
    }
}
