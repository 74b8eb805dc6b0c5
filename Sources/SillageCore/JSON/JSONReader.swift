/// Reads a JSON object field by field, tracking the JSON path, and refuses unknown keys.
///
/// Each accessor marks its key as known; `finish()` then fails on any key left over,
/// naming its path and the closest known key ("did you mean ...?").
public final class JSONObjectReader {
    public let path: String
    private let members: [(String, JSONValue)]
    private var known: [String] = []
    private let source: String

    public init(_ value: JSONValue, path: String, source: String) throws(SillageError) {
        guard case .object(let members) = value else {
            throw SillageError.configuration("expected an object, found \(value.typeName)", at: "\(source) at \(path)")
        }
        self.members = members
        self.path = path
        self.source = source
    }

    public func location(_ key: String) -> String { "\(source) at \(path).\(key)" }

    public func has(_ key: String) -> Bool { members.contains { $0.0 == key } }

    public func raw(_ key: String) -> JSONValue? {
        known.append(key)
        return members.first { $0.0 == key }?.1
    }

    private func typeError(_ key: String, _ expected: String, _ found: JSONValue) -> SillageError {
        SillageError.configuration("expected \(expected), found \(found.typeName)", at: location(key))
    }

    public func string(_ key: String) throws(SillageError) -> String? {
        guard let v = raw(key), v != .null else { return nil }
        guard case .string(let s) = v else { throw typeError(key, "a string", v) }
        return s
    }

    public func requiredString(_ key: String) throws(SillageError) -> String {
        guard let s = try string(key) else {
            throw SillageError.configuration("missing required key", at: location(key))
        }
        return s
    }

    public func int(_ key: String, in range: ClosedRange<Int64>? = nil) throws(SillageError) -> Int64? {
        guard let v = raw(key), v != .null else { return nil }
        guard case .int(let i) = v else { throw typeError(key, "an integer", v) }
        if let range, !range.contains(i) {
            throw SillageError.configuration("\(i) is out of range \(range.lowerBound)...\(range.upperBound)", at: location(key))
        }
        return i
    }

    public func double(_ key: String, in range: ClosedRange<Double>? = nil) throws(SillageError) -> Double? {
        guard let v = raw(key), v != .null else { return nil }
        let d: Double
        switch v {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default: throw typeError(key, "a number", v)
        }
        if let range, !range.contains(d) {
            throw SillageError.configuration("\(d) is out of range \(range.lowerBound)...\(range.upperBound)", at: location(key))
        }
        return d
    }

    public func bool(_ key: String) throws(SillageError) -> Bool? {
        guard let v = raw(key), v != .null else { return nil }
        guard case .bool(let b) = v else { throw typeError(key, "true or false", v) }
        return b
    }

    public func strings(_ key: String) throws(SillageError) -> [String]? {
        guard let v = raw(key), v != .null else { return nil }
        if case .string(let s) = v { return [s] }
        guard case .array(let items) = v else { throw typeError(key, "a string or an array of strings", v) }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                throw SillageError.configuration("expected a string, found \(item.typeName)", at: "\(location(key))[\(i)]")
            }
            out.append(s)
        }
        return out
    }

    public func objects(_ key: String) throws(SillageError) -> [JSONObjectReader]? {
        guard let v = raw(key), v != .null else { return nil }
        guard case .array(let items) = v else { throw typeError(key, "an array of objects", v) }
        var out: [JSONObjectReader] = []
        for (i, item) in items.enumerated() {
            out.append(try JSONObjectReader(item, path: "\(path).\(key)[\(i)]", source: source))
        }
        return out
    }

    public func object(_ key: String) throws(SillageError) -> JSONObjectReader? {
        guard let v = raw(key), v != .null else { return nil }
        return try JSONObjectReader(v, path: "\(path).\(key)", source: source)
    }

    /// Fails on the first key no accessor asked for.
    public func finish() throws(SillageError) {
        for (key, _) in members where !known.contains(key) {
            let suggestion = known.min { editDistance($0, key) < editDistance($1, key) }
            let hint =
                suggestion.flatMap { editDistance($0, key) <= max(2, key.count / 3) ? "did you mean \"\($0)\"?" : nil }
                ?? "known keys here: \(known.joined(separator: ", "))"
            throw SillageError.configuration("unknown key \"\(key)\"", at: location(key), hint: hint)
        }
    }
}

/// Levenshtein distance, for "did you mean" hints.
package func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[y.count]
}
