#if canImport(Glibc)
    import Glibc
#endif
import SillageCore
import SillagePrivacy

/// Parses Open edX tracking logs: one JSON event per line, optionally behind a logger prefix
/// or in the Segment wrapper of the mobile apps.
///
/// `time` is UTC. Server events carry the request path in `event_type`; browser events carry
/// their payload in `event` as a JSON string, which may be truncated (then only the fields
/// outside it are used). The learner is `context.user_id` (or, for enrolment and completion
/// events, the payload's `user_id`, the learner concerned), else `username`; no identifier,
/// path parameter or IP address leaves the parser.
public struct OpenEdxTrackingParser: ChunkParser {
    public static let userNamespace = "openedx-userid"
    public static let usernameNamespace = "openedx-username"

    let stream: UInt8
    let zone: ZoneRules
    /// Local days to read (`--since`/`--until`); events outside are skipped.
    public var window: DayWindow? = nil
    let users: Pseudonymiser.Prepared
    let usernames: Pseudonymiser.Prepared
    let scrubber = URLScrubber(allowedParameters: [])

    public init(stream: UInt8, zone: ZoneRules, pseudonymiser: Pseudonymiser, identity: String? = nil) {
        self.stream = stream
        self.zone = zone
        users = pseudonymiser.prepare(identity ?? OpenEdxTrackingParser.userNamespace)
        usernames = pseudonymiser.prepare(OpenEdxTrackingParser.usernameNamespace)
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        var tape = JSONTape()
        var payload = JSONTape()
        var kinds = ByteKeyTable<EventKind>(capacity: 128)
        var scratch: [UInt8] = []
        var unescaped: [UInt8] = []
        return ActivityChunk.parseLines(chunk, zone: zone, stream: stream, window: window) { out, line, number in
            parseLine(line, number, &out, &tape, &payload, &scratch, &unescaped, &kinds)
        }
    }

    /// Parses one tracking-log line (exposed for tests of single events).
    func parseLine(
        _ line: UnsafeRawBufferPointer, _ number: Int, _ out: inout ActivityChunk, _ tape: inout JSONTape,
        _ payload: inout JSONTape, _ scratch: inout [UInt8], _ unescaped: inout [UInt8],
        _ kinds: inout ByteKeyTable<EventKind>
    ) {
        guard let brace = line.firstIndex(of: UInt8(ascii: "{")) else {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                out.skip(.blankLine, time: nil)
            } else {
                out.reject(.invalidJSON, line: number, bytes: line)
            }
            return
        }
        let json = UnsafeRawBufferPointer(rebasing: line[brace...])
        guard tape.parse(json), let root = tape.root, tape.kind(root) == .object else {
            out.reject(.invalidJSON, line: number, bytes: line)
            return
        }
        // The Segment wrapper of the mobile apps: the edX event is `properties` (`name`,
        // `data`, `context`) and the learner the root `userId`, as the LMS's segmentio
        // endpoint reads it; the root `event` is a human-readable label, not the payload.
        let segment = tape.member(root, "properties").flatMap { p in
            tape.kind(p) == .object && tape.member(p, "name") != nil && tape.member(root, "userId") != nil ? p : nil
        }
        let typeNode = segment.flatMap { tape.member($0, "name") } ?? tape.member(root, "event_type") ?? tape.member(root, "name")
        guard let typeNode, tape.kind(typeNode) == .string, tape.isPresent(typeNode) else {
            out.reject(.missingField, line: number, bytes: line)
            return
        }
        guard let timeNode = tape.member(root, "time") ?? tape.member(root, "timestamp"), tape.kind(timeNode) == .string,
            let parsed = Timestamps.iso8601(tape.bytes(timeNode))
        else {
            out.reject(.badTimestamp, line: number, bytes: line)
            return
        }
        let time = parsed.millis  // Open edX writes UTC; a missing offset means UTC too.
        let context = segment.map { tape.member($0, "context") } ?? tape.member(root, "context")
        let contextUserNode = segment != nil ? tape.member(root, "userId") : context.flatMap { tape.member($0, "user_id") }
        // The payload: `event` (an object, or a JSON string), or `data` (processed events).
        let eventNode = segment.map { tape.member($0, "data") } ?? tape.member(root, "event") ?? tape.member(root, "data")
        unescaped.removeAll(keepingCapacity: true)
        let stringPayload = eventNode.map { tape.kind($0) == .string } ?? false
        if stringPayload, let e = eventNode { tape.appendUnescaped(e, to: &unescaped) }
        // A string payload is parsed and used inside this closure, while its bytes are pinned.
        return unescaped.withUnsafeBytes { pinned in
            var payloadTape: JSONTape? = nil
            var payloadRoot: Int? = nil
            if let e = eventNode, tape.kind(e) == .object {
                payloadRoot = e
            } else if stringPayload, payload.parse(pinned), let r = payload.root, payload.kind(r) == .object {
                payloadTape = payload
                payloadRoot = r
            }
            func payloadNode(_ key: StaticString) -> (JSONTape, Int)? {
                guard let r = payloadRoot else { return nil }
                let t = payloadTape ?? tape
                return t.member(r, key).map { (t, $0) }
            }
            let typeBytes = tape.bytes(typeNode)
            var kind: EventKind
            var isPath = false
            if typeBytes.count > 0, typeBytes[0] == UInt8(ascii: "/") {
                isPath = true
                kind = OpenEdxTrackingParser.pathKind(typeBytes)
            } else {
                // Memoised by the type's bytes: a String is made once per distinct event type.
                let index = kinds.insert(typeBytes) { EventMapping.openEdxKind(tape.string(typeNode)) }
                kind = kinds.values[index]
            }
            if kind == .activityCompleted {
                let completion = payloadNode("completion").flatMap { $0.0.double($0.1) } ?? 0
                if completion < 1 { kind = .other }
            }
            // The learner: the payload's user for events about a learner (enrolment,
            // completion), else the context's only — a payload's user_id elsewhere is whom an
            // operator acted on (a bulk password reset, a settings change), not a learner's
            // activity.
            // A browser event is written by the learner's browser: its payload names no one
            // else (forged completions of other accounts count for its sender or not at all).
            let fromBrowser = tape.member(root, "event_source").map { tape.equals($0, "browser") } ?? false
            let subjectFirst = !fromBrowser && (kind == .enrolled || kind == .activityCompleted || kind == .courseCompleted)
            var actor: ActorKey? = nil
            var actorNode: (JSONTape, Int)? = nil
            let contextUser = contextUserNode.flatMap { tape.int($0) }
            let candidates: [(JSONTape, Int)?] =
                subjectFirst ? [payloadNode("user_id"), contextUserNode.map { (tape, $0) }] : [contextUserNode.map { (tape, $0) }]
            for candidate in candidates {
                guard let (t, node) = candidate, t.isPresent(node) else { continue }
                if t.kind(node) == .number || t.kind(node) == .string, let id = t.int(node), id > 0 {
                    actor = withDecimalBytes(id) { out.actor(users, tag: 1, $0) }
                    actorNode = (t, node)
                    break
                }
            }
            // The username is a name the gate must know even when the user id keys the learner.
            let nameNode = tape.member(root, "username") ?? context.flatMap { tape.member($0, "username") }
            if let nameNode, tape.kind(nameNode) == .string, tape.isPresent(nameNode), !tape.equals(nameNode, "anonymous") {
                scratch.removeAll(keepingCapacity: true)
                tape.appendUnescaped(nameNode, to: &scratch)
                if actor == nil {
                    IdentifierForm.fold(&scratch)
                    actor = scratch.withUnsafeBytes { out.actor(usernames, tag: 2, $0) }
                } else {
                    scratch.withUnsafeBytes { out.noteName($0) }
                }
            }
            guard let actor else {
                out.skip(.unauthenticated, time: time)
                return
            }
            // Course: the context's, else the payload's.
            var course: UInt32 = 0
            // The key is the decoded text: `\u0040` must reach the gate as `@`.
            let contextCourse = context.flatMap { c in tape.member(c, "course_id").map { (tape, $0) } }.flatMap { $0.0.isPresent($0.1) ? $0 : nil }
            if let (t, node) = contextCourse ?? payloadNode("course_id"), t.isPresent(node) {
                scratch.removeAll(keepingCapacity: true)
                t.appendUnescaped(node, to: &scratch)
                course = scratch.withUnsafeBytes { out.gate.key($0) }
            }
            // Object and search details.
            var object: UInt32 = 0
            var results: Int32 = -1
            if isPath {
                if ObjectKeys.contains(typeBytes, "block-v1:"), case let bytes = Array(typeBytes),
                    let start = ObjectKeys.find(bytes, Array("block-v1:".utf8))
                {
                    object = out.gate.openEdxKey(bytes, from: start)
                } else {
                    object = out.gate.path(typeBytes, scrubber: scrubber, emptyIsNone: true)
                }
            } else if kind == .search {
                if let (t, node) = payloadNode("search_term") ?? payloadNode("query"), t.kind(node) == .string {
                    var term: [UInt8] = []
                    t.appendUnescaped(node, to: &term)
                    object = term.withUnsafeBytes { out.gate.searchTerm($0) }
                }
                if let (t, node) = payloadNode("total") ?? payloadNode("results_count"), let n = t.int(node) {
                    results = Int32(clamping: n)
                }
            } else if let (t, node) = payloadNode("block_id") ?? payloadNode("id") ?? payloadNode("target_id") ?? payloadNode("usage_key"),
                t.kind(node) == .string
            {
                var raw: [UInt8] = []
                t.appendUnescaped(node, to: &raw)
                // Video events name the block by its bare hash: rebuild the usage key from the
                // course key, as Open edX's own xAPI transformer does, so both sides agree.
                // Only a bare id of key characters is rebuilt: anything else (a learner's text
                // in a forged event) goes to the gate whole, not cut at its first space.
                let isVideo = ObjectKeys.contains(typeBytes, "video")
                let isBareID =
                    !raw.isEmpty
                    && raw.allSatisfy { c in
                        (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c == 0x5F || c == 0x2D || c == 0x2E
                    }
                if isVideo, isBareID,
                    let courseNode = context.flatMap({ tape.member($0, "course_id") })
                {
                    var courseKey: [UInt8] = []
                    tape.appendUnescaped(courseNode, to: &courseKey)
                    let prefix = Array("course-v1:".utf8)
                    if courseKey.starts(with: prefix) {
                        raw = Array("block-v1:".utf8) + courseKey.dropFirst(prefix.count) + Array("+type@video+block@".utf8) + raw
                    }
                }
                object = raw.withUnsafeBytes { out.gate.iri($0).id }
            }
            if kind == .courseView && object == 0 { object = course }
            // An enrolment or completion made by someone else (staff, a management command) is
            // a fact about the learner, not their activity.
            let subjectID = actorNode.flatMap { $0.0.int($0.1) }
            let isFact = subjectFirst && kind != .other && subjectID != nil && contextUser != subjectID
            out.emit(time: time, actor: actor, kind: kind, course: course, object: object, searchResults: results, isFact: isFact)
        }
    }

    /// The kind of a server event whose type is a request path.
    static func pathKind(_ p: UnsafeRawBufferPointer) -> EventKind {
        if ObjectKeys.contains(p, "/handler") || ObjectKeys.contains(p, "/xblock/") || ObjectKeys.contains(p, "/api/")
            || ObjectKeys.contains(p, "_ajax")
        {
            return .other
        }
        if ObjectKeys.contains(p, "/courseware") || ObjectKeys.contains(p, "/jump_to") { return .contentView }
        if ObjectKeys.contains(p, "/courses/") || ObjectKeys.contains(p, "/course/") { return .courseView }
        return .pageView
    }
}
