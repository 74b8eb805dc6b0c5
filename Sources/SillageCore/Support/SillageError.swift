#if canImport(Glibc)
    import Glibc
#endif

/// Why a Sillage command stopped, with enough context to fix the cause.
///
/// Every failure that input or configuration can provoke is one of these values: the
/// `description` names the file, line or JSON path and the cause, and `exitCode` follows
/// SPEC §9 (1 run failure, 2 usage or configuration error, 3 data error).
public struct SillageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The families of failure, each mapped to one exit code.
    public enum Kind: String, Sendable {
        /// The command line is wrong.
        case usage
        /// A pipeline file, key file or option value is wrong.
        case configuration
        /// The data broke a threshold or a privacy guard.
        case data
        /// Something in the environment failed (I/O, store, disk).
        case runtime
    }

    public var kind: Kind
    /// Where the problem is: a file path, `path:line`, or `pipeline.json at $.inputs[0].type`.
    public var location: String?
    /// What is wrong, in one sentence.
    public var message: String
    /// A hint on the likely cause or the fix, when one is known.
    public var hint: String?

    public init(_ kind: Kind, _ message: String, at location: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.hint = hint
    }

    /// The process exit code for this failure (SPEC §9).
    public var exitCode: Int32 {
        switch kind {
        case .usage, .configuration: return 2
        case .data: return 3
        case .runtime: return 1
        }
    }

    public var description: String {
        var text = ""
        if let location { text += "\(location): " }
        text += message
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }

    public static func usage(_ message: String, hint: String? = nil) -> SillageError {
        SillageError(.usage, message, hint: hint)
    }

    public static func configuration(_ message: String, at location: String? = nil, hint: String? = nil) -> SillageError {
        SillageError(.configuration, message, at: location, hint: hint)
    }

    public static func data(_ message: String, at location: String? = nil, hint: String? = nil) -> SillageError {
        SillageError(.data, message, at: location, hint: hint)
    }

    public static func runtime(_ message: String, at location: String? = nil, hint: String? = nil) -> SillageError {
        SillageError(.runtime, message, at: location, hint: hint)
    }
}

/// The text of the C library's message for `errno`.
package func systemErrorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
