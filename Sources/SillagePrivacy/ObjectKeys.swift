import SillageCore

/// Canonical keys for courses and activities, shared by every source so that the same
/// course read from Moodle, from xAPI or from Open edX gets the same key.
///
/// Moodle courses are their numeric id (`12`), Moodle activities `cm:<course-module id>`
/// (completion events do not say the module type, so views and completions meet on the id);
/// Open edX keys are kept (`course-v1:…`, `block-v1:…`); other IRIs keep their path,
/// scrubbed. Search terms become `search:<term>` after scrubbing.
public enum ObjectKeys {
    /// `cm:45` for the Moodle course module 45.
    public static func moodleModule(cmid: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: Array("cm:\(cmid)".utf8))
    }

    /// Appends the canonical key of an activity or course IRI (an xAPI object id).
    ///
    /// Returns `true` when the IRI names a course.
    @discardableResult
    public static func fromIRI(_ iri: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        let text = Array(iri)
        // Open edX keys anywhere in the IRI.
        if let at = find(text, Array("block-v1:".utf8)) {
            appendUntil(text, from: at, into: &out)
            return false
        }
        if let at = find(text, Array("course-v1:".utf8)) {
            appendUntil(text, from: at, into: &out)
            return true
        }
        let isURL = find(text, Array("://".utf8)) != nil
        if isURL {
            let path = text.withUnsafeBytes { URLScrubber.pathRange($0) }
            let pathBytes = Array(text[path])
            var id: [UInt8] = []
            if let q = text.firstIndex(of: UInt8(ascii: "?")) {
                for pair in text[(q + 1)...].split(separator: UInt8(ascii: "&")) where pair.starts(with: Array("id=".utf8)) {
                    id = Array(pair.dropFirst(3))
                }
            }
            let isNumber = !id.isEmpty && id.count < 12 && id.allSatisfy { $0 >= 48 && $0 <= 57 }
            // Moodle: /course/view.php?id=N is course N; /mod/<type>/view.php?id=N is activity <type>:N.
            if isNumber, pathBytes.elementsEqual(Array("/course/view.php".utf8)) {
                // Course 1 is Moodle's site front page, not a course (as in the logstore parser).
                if id == [UInt8(ascii: "1")] { return false }
                out.append(contentsOf: id)
                return true
            }
            if isNumber, pathBytes.starts(with: Array("/mod/".utf8)), pathBytes.count > 5 {
                out.append(contentsOf: Array("cm:".utf8))
                out.append(contentsOf: id)
                return false
            }
            text.withUnsafeBytes { moodleScrubber.normalise($0, into: &out) }
            return false
        }
        // Other identifiers (uuid://…, urn:…): kept, unless they hold something personal.
        let before = out.count
        text.withUnsafeBytes { URLScrubber.appendEncoded($0, into: &out) }
        if text.contains(UInt8(ascii: "@")) {
            out.removeSubrange(before...)
            out.append(contentsOf: URLScrubber.emailPlaceholder)
        } else if out.count - before > URLScrubber.maxObjectBytes {
            out.removeSubrange((before + URLScrubber.maxObjectBytes)...)
        }
        return false
    }

    /// Appends a search term as `search:<term>`: percent-decoded, lower-cased, white space
    /// folded to single spaces; the gate then checks it and cuts it to `searchTermBytes` (`GateRule.search`).
    public static func searchTerm(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(contentsOf: Array("search:".utf8))
        var term: [UInt8] = []
        var lastSpace = true
        var i = 0
        while i < raw.count && term.count < 4 * searchTermBytes {
            // A `+` is kept: the sources write terms decoded (a JSON string, Moodle's `other`),
            // where `+33 6…` is a phone number, not a space.
            var c = raw[i]
            if c == UInt8(ascii: "%"), i + 2 < raw.count, let h = hexValue(raw[i + 1]), let l = hexValue(raw[i + 2]) {
                c = h << 4 | l
                i += 2
            }
            i += 1
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                if !lastSpace { term.append(0x20) }
                lastSpace = true
                continue
            }
            lastSpace = false
            term.append((c >= 65 && c <= 90) ? c | 0x20 : c)
        }
        while term.last == 0x20 { term.removeLast() }
        URLScrubber.appendEncodedText(term, into: &out)
    }

    /// The longest search term published, in bytes.
    public static let searchTermBytes = 64

    /// `term` cut to `searchTermBytes` at a character boundary, never inside a placeholder.
    static func cutSearchTerm(_ term: [UInt8]) -> [UInt8] {
        guard term.count > searchTermBytes else { return term }
        var cut = Array(term[..<searchTermBytes])
        while let last = cut.last, last & 0xC0 == 0x80 || (last & 0x80 != 0 && String(validating: cut, as: UTF8.self) == nil) {
            cut.removeLast()
        }
        if let open = cut.lastIndex(of: UInt8(ascii: "{")), !cut[open...].contains(UInt8(ascii: "}")) { cut.removeSubrange(open...) }
        while cut.last == 0x20 { cut.removeLast() }
        return cut
    }

    static var moodleScrubber: URLScrubber { URLScrubber.moodle }

    /// True when `haystack` contains `needle`, without copying either.
    package static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard n > 0, haystack.count >= n else { return n == 0 }
        let first = needle.utf8Start[0]
        for i in 0...(haystack.count - n) where haystack[i] == first {
            if Bytes.equal(haystack, at: i, Bytes.view(needle)) { return true }
        }
        return false
    }

    package static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    package static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }

    /// Appends from `start` to the end of the key (before `/`, `?`, `#` or a space).
    package static func appendUntil(_ text: [UInt8], from start: Int, into out: inout [UInt8]) {
        var i = start
        while i < text.count, text[i] != UInt8(ascii: "/"), text[i] != UInt8(ascii: "?"), text[i] != UInt8(ascii: "#"),
            text[i] != 0x20, i - start < 200
        {
            out.append(text[i])
            i += 1
        }
    }
}
