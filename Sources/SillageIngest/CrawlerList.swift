import SillageCore

/// A crawler list an operator supplies (`crawlerList`): the `crawler-user-agents` JSON
/// (`[{"pattern": "Googlebot\\/", …}]`, matched case-sensitively, as its Python and Go
/// users do) or Matomo's `bots.yml` (`- regex: '…'`, matched case-insensitively after the
/// start or a non-word byte, as Matomo's DeviceDetector does).
///
/// Its patterns are compiled once, when the pipeline is read; the classifier applies them
/// once per distinct user agent of a chunk, never per line.
public enum CrawlerList {
    /// The patterns of the list at `path`; errors name the file and the entry.
    public static func load(_ path: String) throws(SillageError) -> [BytePattern] {
        let bytes = try readWholeFile(path, limit: 64 << 20)
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        let patterns = first == UInt8(ascii: "[") ? try json(bytes, path) : try matomo(bytes, path)
        guard !patterns.isEmpty else {
            throw SillageError.configuration(
                "the crawler list holds no pattern", at: path,
                hint: "give the crawler-user-agents JSON file or Matomo's bots.yml")
        }
        return patterns
    }

    static func json(_ bytes: [UInt8], _ path: String) throws(SillageError) -> [BytePattern] {
        guard case .array(let entries) = try JSONParser.parse(bytes, source: path) else {
            throw SillageError.configuration("expected an array of {\"pattern\": …} objects", at: path)
        }
        var out: [BytePattern] = []
        for (i, entry) in entries.enumerated() {
            guard case .string(let pattern)? = entry["pattern"] else {
                throw SillageError.configuration("an entry has no \"pattern\" string", at: "\(path) at $[\(i)].pattern")
            }
            out.append(try compiled(pattern, caseInsensitive: false, at: "\(path) at $[\(i)].pattern"))
        }
        return out
    }

    static func matomo(_ bytes: [UInt8], _ path: String) throws(SillageError) -> [BytePattern] {
        var out: [BytePattern] = []
        for (n, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var text = line.drop { $0 == " " || $0 == "\t" }
            if text.hasPrefix("-") { text = text.dropFirst().drop { $0 == " " } }
            guard text.hasPrefix("regex:") else { continue }
            let value = try unquoted(text.dropFirst("regex:".count).trimmingSpaces, at: "\(path):\(n + 1)")
            // Matomo's own wrapping: a match starts the agent or follows a non-word byte.
            let wrapped = "(?:^|[^a-z0-9_-]|[^a-z0-9-]_|sprd-|mz-)(?:\(value))"
            out.append(try compiled(wrapped, caseInsensitive: true, at: "\(path):\(n + 1)"))
        }
        return out
    }

    /// A YAML scalar: single-quoted (`''` is a quote), double-quoted (backslash escapes) or plain.
    static func unquoted(_ text: Substring, at location: String) throws(SillageError) -> String {
        guard let quote = text.first, quote == "'" || quote == "\"" else { return String(text) }
        guard text.count >= 2, text.last == quote else {
            throw SillageError.configuration("a regex value's quote is not closed (multi-line values are not read)", at: location)
        }
        let inner = text.dropFirst().dropLast()
        if quote == "'" { return inner.replacingOccurrences(of: "''", with: "'") }
        var out = ""
        var escaping = false
        for c in inner {
            if escaping {
                out.append(c == "\\" || c == "\"" || c == "/" ? c : c == "t" ? "\t" : c == "n" ? "\n" : c)
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    static func compiled(_ pattern: String, caseInsensitive: Bool, at location: String) throws(SillageError) -> BytePattern {
        do throws(SillageError) {
            return try BytePattern(pattern, caseInsensitive: caseInsensitive)
        } catch {
            throw SillageError.configuration(error.message, at: location, hint: "the crawler list's patterns are regular expressions")
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }

    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var out = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
