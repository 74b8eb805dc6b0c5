/// What a canonical event records (SPEC §4).
public enum EventKind: UInt8, Sendable, CaseIterable, Codable {
    case pageView, login, logout, courseView, contentView, download
    case activityCompleted, courseCompleted, enrolled, search, other

    /// The name used in pipelines, the store and exports.
    public var name: String {
        switch self {
        case .pageView: "pageView"
        case .login: "login"
        case .logout: "logout"
        case .courseView: "courseView"
        case .contentView: "contentView"
        case .download: "download"
        case .activityCompleted: "activityCompleted"
        case .courseCompleted: "courseCompleted"
        case .enrolled: "enrolled"
        case .search: "search"
        case .other: "other"
        }
    }

    /// True when the event counts as a page visited in a session (SPEC §7).
    public var countsAsPage: Bool {
        switch self {
        case .pageView, .courseView, .contentView: true
        default: false
        }
    }
}

/// The client class of a web request (SPEC §4).
public enum AgentClass: UInt8, Sendable, CaseIterable {
    case desktop, mobile, tablet, bot, unknown

    /// The class called `name`, as stored.
    public init?(name: String) {
        guard let match = AgentClass.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    public var name: String {
        switch self {
        case .desktop: "desktop"
        case .mobile: "mobile"
        case .tablet: "tablet"
        case .bot: "bot"
        case .unknown: "unknown"
        }
    }
}

/// A 128-bit pseudonymous actor key: the truncated HMAC of a namespaced identifier (SPEC §6).
public struct ActorKey: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads the first 16 bytes of a digest, big-endian, so `hex` matches the digest's hex prefix.
    public init(digest: UnsafeRawPointer) {
        high = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        low = UInt64(bigEndian: digest.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// The 16 bytes, big-endian: as stored, and as the hex form spells them.
    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return bytes
    }

    /// 32 lower-case hex digits.
    public var hex: String { hexString(bytes) }

    /// Parses 32 hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 32, let bytes = bytesFromHex(hex) else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        self.init(high: h, low: l)
    }

    public static func < (a: ActorKey, b: ActorKey) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }
}

/// The canonical event every parser produces (SPEC §4), packed for large arrays.
///
/// Strings (course, object) are interned: `object` and `course` index the run's
/// `Interner`; 0 means "none".
public struct Event: Sendable, Equatable {
    /// Instant in UTC, milliseconds since 1970.
    public var time: Int64
    public var actor: ActorKey
    /// Local day (pipeline time zone) of `time`, computed once at parse time.
    public var day: Int32
    public var object: UInt32
    public var course: UInt32
    /// Result count of a search, or -1 when unknown.
    public var searchResults: Int32
    /// HTTP status for web events, 0 otherwise.
    public var status: UInt16
    /// Index of the input's stream in the run's stream list.
    public var stream: UInt8
    public var kind: EventKind
    public var agentClass: AgentClass
    /// A recorded fact (an enrolment or completion from a reference table), not something the
    /// learner did at that time: it feeds completion metrics but never sessions or connection days.
    public var isFact: Bool

    public init(
        time: Int64, actor: ActorKey, day: Int32, stream: UInt8, kind: EventKind,
        object: UInt32 = 0, course: UInt32 = 0, status: UInt16 = 0,
        agentClass: AgentClass = .unknown, searchResults: Int32 = -1, isFact: Bool = false
    ) {
        self.isFact = isFact
        self.time = time
        self.actor = actor
        self.day = day
        self.object = object
        self.course = course
        self.searchResults = searchResults
        self.status = status
        self.stream = stream
        self.kind = kind
        self.agentClass = agentClass
    }
}

/// Run-wide table of interned values (objects, courses); index 0 is `none`.
public struct Interner<Value: Hashable & Sendable>: Sendable {
    private var ids: [Value: UInt32]
    public private(set) var strings: [Value]

    public init(none: Value) {
        ids = [none: 0]
        strings = [none]
    }

    /// The id of `value`, adding it when new.
    public mutating func intern(_ value: Value) -> UInt32 {
        if let id = ids[value] { return id }
        let id = UInt32(strings.count)
        strings.append(value)
        ids[value] = id
        return id
    }

    public subscript(id: UInt32) -> Value { strings[Int(id)] }
}
