import SillageCore
import SillagePrivacy

/// How anonymous web visitors are keyed (SPEC §6).
public enum VisitorScope: String, Sendable {
    /// IP + user agent + local day: nobody is followed across days (the default).
    case day
    /// IP + user agent: an explicit opt-in.
    case persistent
}

/// Judges an access record (SPEC §7): a page view of a normalised object by a pseudonymous
/// visitor, or a counted skip (outside the window, bot, invalid request, method, status,
/// static asset). Shared by every access-log format, so a page view means the same thing
/// whatever wrote the log.
///
/// The client address, user name and user agent are keyed and forgotten here: only the
/// pseudonym, the normalised object and the agent class leave.
struct WebRecordClassifier: Sendable {
    let stream: UInt8
    let profile: AssetProfile
    let visitorScope: VisitorScope
    let zone: ZoneRules
    let classifier: UserAgentClassifier
    let scrubber: URLScrubber
    let users: Pseudonymiser.Prepared
    let visitors: Pseudonymiser.Prepared
    var window: DayWindow? = nil
    /// People on the opt-out list: their page views and errors are dropped here, before the
    /// server report counts them (their bots' and assets' requests are no one's).
    var optOuts: Set<ActorKey> = []

    init(
        stream: UInt8, profile: AssetProfile, visitorScope: VisitorScope, zone: ZoneRules, pseudonymiser: Pseudonymiser,
        userNamespace: String, classifier: UserAgentClassifier
    ) {
        self.stream = stream
        self.profile = profile
        self.visitorScope = visitorScope
        self.zone = zone
        self.classifier = classifier
        scrubber = URLScrubber(profile: profile)
        users = pseudonymiser.prepare(userNamespace)
        visitors = pseudonymiser.prepare(Pseudonymiser.Namespace.webVisitor)
    }

    /// What one chunk's records share: memoised agent classes, pseudonyms and objects. The
    /// identity bytes stay inside the chunk's task and are dropped with it.
    struct Memo {
        var agents = ByteKeyTable<AgentClass>(capacity: 256)
        /// Every object passes the gate.
        var gate = PublishableGate(capacity: 1024)
        var actors = ByteKeyTable<ActorKey>(capacity: 1024)
        var scratch: [UInt8] = []

        init() { scratch.reserveCapacity(1024) }

        /// The chunk's objects, in the order events index them (1-based).
        var objects: [Publishable] { gate.values() }
    }

    /// Judges `r` and records the outcome in `result`: an event, or a counted skip.
    @inline(__always)
    func classify(_ r: AccessRecord, memo: inout Memo, into result: inout ChunkResult) {
        let (day, hour) = zone.localDayAndHour(utcMillis: r.time)
        if let window, !window.contains(day) {
            result.counts[skip: .outsideWindow] += 1
            return
        }
        // Client class first: bots are skipped before anything is keyed.
        var agentClass = AgentClass.unknown
        if let agent = r.userAgent {
            let index = memo.agents.insert(agent) { classifier.classify(agent) }
            agentClass = memo.agents.values[index]
        }
        let reason = skipReason(r, agentClass: agentClass)
        // A page view, or an error a person met: keyed, for the opt-out list and the report.
        // With an opt-out list, any request of a signed-in user is keyed too (an asset, an
        // odd method): an opted-out person's requests are counted nowhere, not even in totals.
        let isError = reason == .status && r.status >= 400
        if !optOuts.isEmpty, reason != nil, !isError, agentClass != .bot, r.hasUser,
            optOuts.contains(key(r, day: day, memo: &memo, result: &result))
        {
            result.counts[skip: .optedOut] += 1
            return
        }
        var actor: ActorKey? = nil
        if reason == nil || isError {
            let a = key(r, day: day, memo: &memo, result: &result)
            if !optOuts.isEmpty && optOuts.contains(a) {
                result.counts[skip: .optedOut] += 1
                return
            }
            actor = a
        }
        result.server[day, default: ServerDay()].count(status: r.status, bytes: r.bytes, hour: hour)
        let statusClass = UInt8(ServerDay.statusClass(r.status))
        if let reason {
            result.counts[skip: reason] += 1
            result.daily[day, default: DailyCounts()][skip: reason] += 1
            if let actor {
                // An error a person met: its path, for the report's hot spots (page views are events).
                let object = memo.gate.path(r.target, scrubber: scrubber)
                result.serverObjects[ServerObjectKey(day: day, object: object, statusClass: statusClass, actor: actor), default: 0] += 1
            }
            return
        }
        guard let actor else { return }
        let object = memo.gate.path(r.target, scrubber: scrubber)
        result.daily[day, default: DailyCounts()].events += 1
        result.events.append(
            Event(
                time: r.time, actor: actor, day: day, stream: stream, kind: .pageView,
                object: object, status: UInt16(r.status), agentClass: agentClass))
    }

    /// Why the record is not a page view, in the order the checks are made; nil for a page view.
    @inline(__always)
    func skipReason(_ r: AccessRecord, agentClass: AgentClass) -> SkipReason? {
        if agentClass == .bot { return .bot }
        if r.malformedRequest { return .invalidRequest }
        if !r.method.isEmpty || r.checksMethod {
            let m = r.method
            let isGet = m.count == 3 && m[0] == UInt8(ascii: "G") && m[1] == UInt8(ascii: "E") && m[2] == UInt8(ascii: "T")
            let isPost =
                m.count == 4 && m[0] == UInt8(ascii: "P") && m[1] == UInt8(ascii: "O") && m[2] == UInt8(ascii: "S")
                && m[3] == UInt8(ascii: "T")
            if !isGet && !isPost {
                let printable = m.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
                return printable && !m.isEmpty ? .method : .invalidRequest
            }
        }
        guard !r.target.isEmpty, r.target[0] == UInt8(ascii: "/") || r.target[0] == UInt8(ascii: "h") else { return .invalidRequest }
        if r.status < 200 || r.status > 399 { return .status }
        let path = UnsafeRawBufferPointer(rebasing: r.target[URLScrubber.pathRange(r.target)])
        if profile.isAsset(path: path) { return .staticAsset }
        return nil
    }

    /// The visitor's pseudonym: the authenticated user, or address + agent (+ local day by
    /// default); memoised per chunk, and a user name noted for the PII guard once.
    @inline(__always)
    func key(_ r: AccessRecord, day: Int32, memo: inout Memo, result: inout ChunkResult) -> ActorKey {
        let isUser = r.hasUser
        let agent = r.userAgent ?? AccessRecord.none
        // Memo key: kind ‖ day ‖ identity parts, separated by 0x00 (not in log fields).
        memo.scratch.removeAll(keepingCapacity: true)
        memo.scratch.append(isUser ? 1 : 2)
        if !isUser && visitorScope == .day {
            withUnsafeBytes(of: day.bigEndian) { memo.scratch.append(contentsOf: $0) }
        }
        if isUser {
            memo.scratch.append(contentsOf: r.user)
        } else {
            memo.scratch.append(contentsOf: r.host)
            memo.scratch.append(0)
            memo.scratch.append(contentsOf: agent)
        }
        let known = memo.actors.count
        let index = memo.scratch.withUnsafeBytes { k in
            memo.actors.insert(k) {
                if isUser {
                    // Only on a memo miss: a user name is keyed in its folded form (`IdentifierForm`).
                    var user = Array(r.user)
                    IdentifierForm.webUser(&user)
                    return user.withUnsafeBytes { users.key($0) }
                }
                switch visitorScope {
                case .day:
                    var dayValue = day.bigEndian
                    return withUnsafeBytes(of: &dayValue) { visitors.key(parts: $0, r.host, agent) }
                case .persistent:
                    return visitors.key(parts: r.host, agent)
                }
            }
        }
        if isUser && memo.actors.count > known { result.noteIdentifier(r.user) }
        return memo.actors.values[index]
    }
}

/// Room for the bytes a reader rebuilds from a line (unescaped JSON strings, a path joined
/// to its query, a decoded user agent): allocated once per chunk, reused for every line, so
/// the views an `AccessRecord` holds stay valid until the classifier has judged it.
struct ScratchBytes: ~Copyable {
    private let storage: UnsafeMutableRawBufferPointer
    private var used = 0

    init(capacity: Int) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(capacity, 64), alignment: 1)
    }

    deinit { storage.deallocate() }

    /// Forgets the previous line's bytes.
    mutating func reset() { used = 0 }

    /// A view of the bytes `write` appends; `write` may append at most `limit` bytes.
    mutating func append(limit: Int, _ write: (inout ByteSink) -> Void) -> UnsafeRawBufferPointer {
        let room = min(limit, storage.count - used)
        var sink = ByteSink(base: UnsafeMutableRawBufferPointer(rebasing: storage[used..<(used + room)]))
        write(&sink)
        let view = UnsafeRawBufferPointer(rebasing: storage[used..<(used + sink.count)])
        used += sink.count
        return view
    }

    /// A copy of `bytes`.
    mutating func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        append(limit: bytes.count) { $0.append(bytes) }
    }
}

/// Where `ScratchBytes.append` writes; bytes beyond the room given are dropped.
struct ByteSink {
    let base: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(base: UnsafeMutableRawBufferPointer) { self.base = base }

    mutating func append(_ byte: UInt8) {
        guard count < base.count else { return }
        base[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes { append(b) }
    }
}

/// Reads one line of an access-log format into an `AccessRecord`, for the shared line loop.
protocol AccessLineReader {
    /// The record of a non-blank line, or nil when the line is rejected or skipped (counted
    /// in `result`); views may point into `line` or `scratch`.
    mutating func record(
        _ line: UnsafeRawBufferPointer, _ lineNumber: Int, _ scratch: inout ScratchBytes, _ result: inout ChunkResult
    ) -> AccessRecord?
}

extension WebRecordClassifier {
    /// Walks a chunk's lines — blank ones skipped, overlong ones rejected — and judges the
    /// record `reader` makes of each of the others.
    func parse<Reader: AccessLineReader>(_ chunk: LineChunk, reader: inout Reader) -> ChunkResult {
        if let rejected = ChunkResult.overlong(chunk) { return rejected }
        var result = ChunkResult()
        var memo = Memo()
        var scratch = ScratchBytes(capacity: 2 * min(chunk.bytes.count, LineChunkerDefaults.maxLineBytes) + 64)
        result.lines = chunk.forEachLine { line, lineNumber in
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                result.counts[skip: .blankLine] += 1
                return
            }
            if line.count > LineChunkerDefaults.maxLineBytes {
                result.reject(.lineTooLong, line: lineNumber, bytes: line)
                return
            }
            scratch.reset()
            if let record = reader.record(line, lineNumber, &scratch, &result) {
                classify(record, memo: &memo, into: &result)
            }
        }
        result.objects = memo.objects
        return result
    }
}
