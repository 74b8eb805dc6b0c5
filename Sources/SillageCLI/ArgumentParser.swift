import SillageCore

/// One option of a command: `--name VALUE` or a `--flag`.
public struct OptionSpec: Sendable {
    public var name: String
    public var valueName: String?
    public var repeatable: Bool
    public var help: String

    public init(_ name: String, value: String? = nil, repeatable: Bool = false, help: String) {
        self.name = name
        self.valueName = value
        self.repeatable = repeatable
        self.help = help
    }
}

/// A command's grammar: its options and positional arguments, and its help text.
public struct CommandSpec: Sendable {
    public var path: String
    public var summary: String
    public var positionals: [(name: String, optional: Bool, help: String)]
    public var options: [OptionSpec]
    public var details: String

    public init(
        path: String, summary: String, positionals: [(name: String, optional: Bool, help: String)] = [],
        options: [OptionSpec] = [], details: String = ""
    ) {
        self.path = path
        self.summary = summary
        self.positionals = positionals
        self.options = options
        self.details = details
    }

    /// The `--help` text.
    public var help: String {
        var usage = "usage: \(path)"
        for p in positionals { usage += p.optional ? " [\(p.name)]" : " \(p.name)" }
        for o in options {
            let item = o.valueName.map { "\(o.name) \($0)" } ?? o.name
            usage += " [\(item)]\(o.repeatable ? "..." : "")"
        }
        var text = "\(usage)\n\n\(summary)\n"
        if !positionals.isEmpty {
            text += "\narguments:\n"
            for p in positionals { text += "  \(p.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(p.help)\n" }
        }
        text += "\noptions:\n"
        for o in options + [OptionSpec("--help", help: "show this help")] {
            let item = o.valueName.map { "\(o.name) \($0)" } ?? o.name
            text += "  \(item.padding(toLength: 24, withPad: " ", startingAt: 0)) \(o.help)\n"
        }
        if !details.isEmpty { text += "\n\(details)\n" }
        return text
    }
}

/// Arguments parsed against a `CommandSpec`.
public struct ParsedArguments: Sendable, Equatable {
    public var positionals: [String] = []
    public var values: [String: [String]] = [:]
    public var flags: Set<String> = []
    public var wantsHelp = false

    public func value(_ name: String) -> String? { values[name]?.last }
    public func all(_ name: String) -> [String] { values[name] ?? [] }
    public func has(_ name: String) -> Bool { flags.contains(name) }
}

/// Parses command-line words: `--opt value`, `--opt=value`, flags, `--` and positionals.
public enum ArgumentParser {
    public static func parse(_ words: [String], _ spec: CommandSpec) throws(SillageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var i = 0
        var onlyPositionals = false
        func usage(_ message: String) -> SillageError {
            SillageError.usage(message, hint: "see `\(spec.path) --help`")
        }
        while i < words.count {
            let word = words[i]
            i += 1
            if onlyPositionals || !word.hasPrefix("-") || word == "-" {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" { onlyPositionals = true; continue }
            if word == "--help" || word == "-h" { parsed.wantsHelp = true; continue }
            var name = word
            var inline: String? = nil
            if let eq = word.firstIndex(of: "=") {
                name = String(word[..<eq])
                inline = String(word[word.index(after: eq)...])
            }
            guard let option = spec.options.first(where: { $0.name == name }) else {
                let close = spec.options.map(\.name).min { editDistance($0, name) < editDistance($1, name) }
                let hint = close.flatMap { editDistance($0, name) <= 3 ? "did you mean \($0)?" : nil } ?? "see `\(spec.path) --help`"
                throw SillageError.usage("unknown option \(name)", hint: hint)
            }
            if let valueName = option.valueName {
                let value: String
                if let inline {
                    value = inline
                } else {
                    guard i < words.count else { throw usage("\(name) needs a value (\(valueName))") }
                    value = words[i]
                    i += 1
                }
                if !option.repeatable, parsed.values[name] != nil {
                    throw usage("\(name) is given twice")
                }
                parsed.values[name, default: []].append(value)
            } else {
                if inline != nil { throw usage("\(name) takes no value") }
                parsed.flags.insert(name)
            }
        }
        if parsed.wantsHelp { return parsed }
        let required = spec.positionals.filter { !$0.optional }.count
        if parsed.positionals.count < required {
            throw usage("missing \(spec.positionals[parsed.positionals.count].name)")
        }
        if parsed.positionals.count > spec.positionals.count {
            throw usage("unexpected argument \"\(parsed.positionals[spec.positionals.count])\"")
        }
        return parsed
    }
}
