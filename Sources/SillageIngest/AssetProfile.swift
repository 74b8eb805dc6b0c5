import SillagePrivacy

/// Decides which request paths are static assets (SPEC §7) and which query parameters may stay.
///
/// A profile is chosen per input. The built-in `moodle` profile adds the `/theme/` and
/// `/lib/` prefixes and allows the `id` parameter; `generic` has the static extensions only.
public struct AssetProfile: Sendable, Equatable {
    public static let staticExtensions = [
        "css", "js", "mjs", "png", "jpg", "jpeg", "gif", "svg", "ico",
        "webp", "avif", "woff", "woff2", "ttf", "otf", "eot", "map",
    ]

    public var name: String
    public var extensions: [String]
    public var prefixes: [String]
    /// Query parameters kept in normalised objects (after scrubbing their values).
    public var allowedParameters: [String]
    /// Path prefixes whose parameters are never kept: there, `id` names a person (a profile,
    /// a conversation), not a course or an activity.
    public var personalPathPrefixes: [String]

    private var extensionBytes: [[UInt8]] = []
    private var prefixBytes: [[UInt8]] = []

    public init(
        name: String, extensions: [String], prefixes: [String], allowedParameters: [String],
        personalPathPrefixes: [String] = []
    ) {
        self.name = name
        self.extensions = extensions
        self.prefixes = prefixes
        self.allowedParameters = allowedParameters
        self.personalPathPrefixes = personalPathPrefixes
        extensionBytes = extensions.map { Array(("." + $0.lowercased()).utf8) }
        prefixBytes = prefixes.map { Array($0.utf8) }
    }

    /// The Moodle profile, the default for web inputs.
    public static let moodle = AssetProfile(
        name: "moodle", extensions: staticExtensions,
        prefixes: ["/theme/", "/lib/"], allowedParameters: URLScrubber.moodleParameters,
        personalPathPrefixes: URLScrubber.moodlePersonalPrefixes)
    /// Static extensions only, no parameters kept.
    public static let generic = AssetProfile(
        name: "generic", extensions: staticExtensions,
        prefixes: [], allowedParameters: [])

    /// The built-in profile called `name`.
    public static func named(_ name: String) -> AssetProfile? {
        switch name {
        case "moodle": return .moodle
        case "generic": return .generic
        default: return nil
        }
    }

    /// This profile with more extensions, prefixes or parameters.
    public func adding(extensions: [String] = [], prefixes: [String] = [], parameters: [String] = []) -> AssetProfile {
        AssetProfile(
            name: name, extensions: self.extensions + extensions, prefixes: self.prefixes + prefixes,
            allowedParameters: allowedParameters + parameters, personalPathPrefixes: personalPathPrefixes)
    }

    /// True when `path` (without query) names a static asset.
    public func isAsset(path: UnsafeRawBufferPointer) -> Bool {
        for prefix in prefixBytes where path.count >= prefix.count {
            var same = true
            for i in 0..<prefix.count where path[i] != prefix[i] { same = false; break }
            if same { return true }
        }
        for ext in extensionBytes where path.count > ext.count {
            let start = path.count - ext.count
            var same = true
            for i in 0..<ext.count {
                let c = path[start + i]
                if ((c >= 65 && c <= 90) ? c | 0x20 : c) != ext[i] { same = false; break }
            }
            if same { return true }
        }
        return false
    }

    public static func == (a: AssetProfile, b: AssetProfile) -> Bool {
        a.name == b.name && a.extensions == b.extensions && a.prefixes == b.prefixes
            && a.allowedParameters == b.allowedParameters && a.personalPathPrefixes == b.personalPathPrefixes
    }
}

extension URLScrubber {
    /// A profile's scrubber.
    public init(profile: AssetProfile) {
        self.init(allowedParameters: profile.allowedParameters, personalPathPrefixes: profile.personalPathPrefixes)
    }
}
