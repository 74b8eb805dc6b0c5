/// Why a well-formed record was deliberately not turned into an event.
public enum SkipReason: Int, Sendable, CaseIterable {
    case bot, staticAsset, status, method, invalidRequest, blankLine
    /// Activity records without a learner (not logged in, guest, system).
    case unauthenticated
    /// Moodle records flagged `anonymous`: never attributed to a learner.
    case anonymous
    /// Actions done by someone "logged in as" the learner (Moodle `realuserid`).
    case loggedInAs
    /// Records written by scheduled tasks or restores rather than by a learner.
    case systemOrigin
    /// Header rows of CSV inputs.
    case header
    /// Records dated outside the run's `--since`/`--until` window.
    case outsideWindow
    /// A JSON document (an xAPI array or LRS page) that holds no statement.
    case emptyDocument
    /// Records of a person who objected or asked for erasure (`sillage forget`).
    case optedOut
    /// Directive lines of W3C extended logs (`#Fields:`, `#Version:`, `#Date:`).
    case directive

    public var name: String {
        switch self {
        case .unauthenticated: "unauthenticated"
        case .anonymous: "anonymous"
        case .loggedInAs: "logged-in-as"
        case .systemOrigin: "system-origin"
        case .header: "header"
        case .outsideWindow: "outside-window"
        case .emptyDocument: "empty-document"
        case .optedOut: "opted-out"
        case .directive: "directive"
        case .bot: "bot"
        case .staticAsset: "static-asset"
        case .status: "status"
        case .method: "method"
        case .invalidRequest: "invalid-request"
        case .blankLine: "blank-line"
        }
    }
}

/// Why a record could not be read.
public enum RejectReason: Int, Sendable, CaseIterable {
    case malformedLine, badTimestamp, badStatus, lineTooLong
    /// The record is not well-formed JSON.
    case invalidJSON
    /// The record is not a well-formed CSV record, or has fewer fields than the header.
    case malformedCSV
    /// A field the format requires (the actor, the event name) is missing.
    case missingField

    public var name: String {
        switch self {
        case .invalidJSON: "invalid-json"
        case .malformedCSV: "malformed-csv"
        case .missingField: "missing-field"
        case .malformedLine: "malformed-line"
        case .badTimestamp: "bad-timestamp"
        case .badStatus: "bad-status"
        case .lineTooLong: "line-too-long"
        }
    }

    public var explanation: String {
        switch self {
        case .malformedLine: "the line does not match the declared format"
        case .badTimestamp: "the timestamp is missing or not a valid date and time"
        case .badStatus: "the status is not a three-digit HTTP code"
        case .lineTooLong: "the line is longer than the line-length limit"
        case .invalidJSON: "the record is not well-formed JSON"
        case .malformedCSV: "the record is not a well-formed CSV record"
        case .missingField: "a required field is missing"
        }
    }
}

/// Counts of skips and rejects, indexed by reason.
public struct OutcomeCounts: Sendable, Equatable {
    public var skips = [Int](repeating: 0, count: SkipReason.allCases.count)
    public var rejects = [Int](repeating: 0, count: RejectReason.allCases.count)

    public init() {}

    public var totalSkips: Int { skips.reduce(0, +) }
    public var totalRejects: Int { rejects.reduce(0, +) }

    public mutating func add(_ other: OutcomeCounts) {
        for i in skips.indices { skips[i] += other.skips[i] }
        for i in rejects.indices { rejects[i] += other.rejects[i] }
    }

    public subscript(skip reason: SkipReason) -> Int {
        get { skips[reason.rawValue] }
        set { skips[reason.rawValue] = newValue }
    }

    public subscript(reject reason: RejectReason) -> Int {
        get { rejects[reason.rawValue] }
        set { rejects[reason.rawValue] = newValue }
    }
}

/// Where a rejected record was, and why; never its content (it may hold personal data).
public struct RejectSample: Sendable, Equatable {
    /// 1-based line number in the (decompressed) input, or statement number in a document.
    public var line: Int
    public var reason: RejectReason
    /// True when `line` counts the statements of one JSON document (an xAPI array or LRS
    /// page), not lines.
    public var isStatement = false

    public init(line: Int, reason: RejectReason, isStatement: Bool = false) {
        self.line = line
        self.reason = reason
        self.isStatement = isStatement
    }

    /// `line 12` or `statement 3`.
    public var position: String { "\(isStatement ? "statement" : "line") \(line)" }
}

/// Per local day: events and skips by reason, for records whose timestamp could be read.
public struct DailyCounts: Sendable, Equatable {
    /// Index 0: events; index 1 + reason: skips for that reason.
    public var values = [Int](repeating: 0, count: 1 + SkipReason.allCases.count)

    public init() {}

    public var events: Int {
        get { values[0] }
        set { values[0] = newValue }
    }

    public subscript(skip reason: SkipReason) -> Int {
        get { values[1 + reason.rawValue] }
        set { values[1 + reason.rawValue] = newValue }
    }

    public mutating func add(_ other: DailyCounts) {
        for i in values.indices { values[i] += other.values[i] }
    }

    /// (name, count) pairs with a non-zero count, events first, for storage.
    public var named: [(String, Int)] {
        var out: [(String, Int)] = []
        if events > 0 { out.append(("events", events)) }
        for reason in SkipReason.allCases where self[skip: reason] > 0 { out.append(("skip:" + reason.name, self[skip: reason])) }
        return out
    }
}
