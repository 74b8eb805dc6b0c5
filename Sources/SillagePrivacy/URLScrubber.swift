/// Normalises request targets into objects that carry no personal data (SPEC §6).
///
/// The scheme and host are dropped, the fragment is dropped, the query is dropped except for
/// allow-listed parameters whose values look like plain ids. Path segments that look like an
/// e-mail address, a phone number, a long number or a token are replaced by a placeholder,
/// and bytes outside printable ASCII are percent-encoded. Works on bytes, into a reused buffer.
public struct URLScrubber: Sendable {
    /// Parameters never kept, even when a profile allows them.
    public static let neverKept: Set<String> = [
        "sesskey", "token", "wstoken", "password", "pass", "passwd", "pwd", "key", "secret",
        "email", "mail", "session", "sessionid", "sid", "auth", "code", "ticket", "username",
        "user", "login", "phone", "tel", "q", "search", "query",
    ]
    public static let emailPlaceholder = Array("{email}".utf8)
    public static let tokenPlaceholder = Array("{token}".utf8)
    public static let numberPlaceholder = Array("{number}".utf8)
    public static let phonePlaceholder = Array("{phone}".utf8)
    public static let maxObjectBytes = 512
    /// Moodle's query parameters that may stay (`id`), and the paths whose segments name a person.
    public static let moodleParameters = ["id"]
    public static let moodlePersonalPrefixes = [
        "/user/", "/message/", "/blog/", "/badges/user",
        "/report/log/user.php", "/report/outline/user.php",
        "/mod/forum/user.php", "/course/user.php",
    ]
    /// The scrubber of Moodle's URLs (the `moodle` web profile's).
    public static let moodle = URLScrubber(allowedParameters: moodleParameters, personalPathPrefixes: moodlePersonalPrefixes)

    private let allowed: [[UInt8]]
    private let personalPrefixes: [[UInt8]]

    public init(allowedParameters: [String], personalPathPrefixes: [String] = []) {
        allowed =
            allowedParameters
            .filter { !URLScrubber.neverKept.contains($0.lowercased()) }
            .map { Array($0.utf8) }
        personalPrefixes = personalPathPrefixes.map { Array($0.utf8) }
    }

    /// The byte range of the path in a request target (scheme, host, query and fragment excluded).
    public static func pathRange(_ target: UnsafeRawBufferPointer) -> Range<Int> {
        var start = 0
        let n = target.count
        // Absolute form: scheme://authority/path
        if n > 8 {
            var i = 0
            while i < n && i < 10, target[i] != UInt8(ascii: ":") { i += 1 }
            if i < n - 2, target[i] == UInt8(ascii: ":"), target[i + 1] == UInt8(ascii: "/"), target[i + 2] == UInt8(ascii: "/") {
                var j = i + 3
                while j < n, target[j] != UInt8(ascii: "/"), target[j] != UInt8(ascii: "?") { j += 1 }
                start = j
            }
        }
        var end = start
        while end < n, target[end] != UInt8(ascii: "?"), target[end] != UInt8(ascii: "#") { end += 1 }
        return start..<end
    }

    /// Appends the normalised object for `target` to `out`.
    public func normalise(_ target: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let path = URLScrubber.pathRange(target)
        let startCount = out.count
        if path.isEmpty || target[path.lowerBound] != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        var segmentStart = path.lowerBound
        var i = path.lowerBound
        while i <= path.upperBound {
            if i == path.upperBound || target[i] == UInt8(ascii: "/") {
                if i > segmentStart {
                    appendSegment(UnsafeRawBufferPointer(rebasing: target[segmentStart..<i]), into: &out)
                }
                if i < path.upperBound { out.append(UInt8(ascii: "/")) }
                segmentStart = i + 1
            }
            i += 1
        }
        let pathBytes = UnsafeRawBufferPointer(rebasing: target[path])
        let personal = personalPrefixes.contains { prefix in
            pathBytes.count >= prefix.count && prefix.indices.allSatisfy { pathBytes[$0] == prefix[$0] }
        }
        if !personal, path.upperBound < target.count, target[path.upperBound] == UInt8(ascii: "?"), !allowed.isEmpty {
            appendQuery(UnsafeRawBufferPointer(rebasing: target[(path.upperBound + 1)...]), into: &out)
        }
        if out.count - startCount > URLScrubber.maxObjectBytes {
            out.removeSubrange((startCount + URLScrubber.maxObjectBytes)...)
        }
    }

    private func appendSegment(_ segment: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        if let placeholder = URLScrubber.placeholder(for: segment) {
            out.append(contentsOf: placeholder)
        } else {
            URLScrubber.appendEncoded(segment, into: &out)
        }
    }

    /// The placeholder replacing a path segment or value that looks personal, or nil.
    public static func placeholder(for text: UnsafeRawBufferPointer) -> [UInt8]? {
        var digits = 0, letters = 0, phoneSeparators = 0, other = 0
        var tokenChars = true
        var i = 0
        let n = text.count
        while i < n {
            let c = text[i]
            if c == UInt8(ascii: "@") { return emailPlaceholder }
            if c == UInt8(ascii: "%"), i + 2 < n, text[i + 1] == UInt8(ascii: "4"), text[i + 2] == UInt8(ascii: "0") {
                return emailPlaceholder
            }
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): letters += 1
            case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: " "), UInt8(ascii: "+"),
                UInt8(ascii: "("), UInt8(ascii: ")"):
                phoneSeparators += 1
                if c != UInt8(ascii: "-") { tokenChars = false }
            case UInt8(ascii: "_"), UInt8(ascii: "="): break
            default:
                other += 1
                tokenChars = false
            }
            i += 1
        }
        // Hex ids (Open edX block ids, hashes) and UUIDs name objects: each stays itself, and
        // the gate's k-vocabulary rule decides whether enough people produced it.
        if isHexIdentifier(text) { return nil }
        if letters == 0 && other == 0 && digits >= 9 {
            return phoneSeparators > 0 || (n > 0 && (text[0] == UInt8(ascii: "0") || text[0] == UInt8(ascii: "+")))
                ? phonePlaceholder : numberPlaceholder
        }
        if tokenChars && n >= 16 && digits >= 2 && letters >= 2 && digits * 5 >= n {
            return tokenPlaceholder
        }
        if tokenChars && n >= 32 && digits > 0 && letters > 0 {
            return tokenPlaceholder
        }
        return nil
    }

    /// A run of 20 or more hex digits with letters and digits in one case, or a UUID
    /// (8-4-4-4-12 hex digits): what the gate takes for an id (`PersonalPatterns.idRanges`).
    static func isHexIdentifier(_ text: UnsafeRawBufferPointer) -> Bool {
        let n = text.count
        let isUUID = n == 36 && [8, 13, 18, 23].allSatisfy { text[$0] == UInt8(ascii: "-") }
        guard isUUID || n >= 20 else { return false }
        var lower = false, upper = false, digit = false, letter = false
        for (i, c) in text.enumerated() where !(isUUID && [8, 13, 18, 23].contains(i)) {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = true
            case UInt8(ascii: "a")...UInt8(ascii: "f"): lower = true; letter = true
            case UInt8(ascii: "A")...UInt8(ascii: "F"): upper = true; letter = true
            default: return false
            }
        }
        return isUUID || (digit && letter && !(lower && upper))
    }

    /// Appends bytes, percent-encoding anything outside printable ASCII and the CSV-hostile `"` `\`.
    public static func appendEncoded(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        for c in bytes {
            if c > 0x20 && c < 0x7F && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") {
                out.append(c)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 15)])
            }
        }
    }

    /// Appends UTF-8 text as is, percent-encoding only control bytes, `"` and `\`
    /// (for search terms, which may be in any language).
    public static func appendEncodedText(_ bytes: [UInt8], into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        for c in bytes {
            if c >= 0x20 && c != 0x7F && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") {
                out.append(c)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 15)])
            }
        }
    }

    private func appendQuery(_ query: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var kept: [(key: [UInt8], value: [UInt8])] = []
        var start = 0
        let n = query.count
        var i = 0
        while i <= n {
            if i == n || query[i] == UInt8(ascii: "&") || query[i] == UInt8(ascii: ";") || query[i] == UInt8(ascii: "#") {
                if i > start {
                    let pair = UnsafeRawBufferPointer(rebasing: query[start..<i])
                    var eq = 0
                    while eq < pair.count, pair[eq] != UInt8(ascii: "=") { eq += 1 }
                    let key = UnsafeRawBufferPointer(rebasing: pair[..<eq])
                    if allowed.contains(where: { $0.elementsEqual(key) }), eq < pair.count {
                        let value = UnsafeRawBufferPointer(rebasing: pair[(eq + 1)...])
                        if URLScrubber.isPlainValue(value) { kept.append((Array(key), Array(value))) }
                    }
                }
                if i < n, query[i] == UInt8(ascii: "#") { break }
                start = i + 1
            }
            i += 1
        }
        guard !kept.isEmpty else { return }
        kept.sort { $0.key != $1.key ? $0.key.lexicographicallyPrecedes($1.key) : $0.value.lexicographicallyPrecedes($1.value) }
        for (index, pair) in kept.enumerated() {
            out.append(index == 0 ? UInt8(ascii: "?") : UInt8(ascii: "&"))
            out.append(contentsOf: pair.key)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: pair.value)
        }
    }

    /// True when a parameter value is a short plain id: letters, digits, `-_.:` and no placeholder match.
    public static func isPlainValue(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.count > 0, value.count <= 32 else { return false }
        for c in value {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: ":"):
                continue
            default:
                return false
            }
        }
        return placeholder(for: value) == nil
    }
}
