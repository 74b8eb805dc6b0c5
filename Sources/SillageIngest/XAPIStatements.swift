#if canImport(Glibc)
    import Glibc
#endif
import SillageCore
import SillagePrivacy

/// Parses xAPI statements: NDJSON, one JSON array, or LRS pages (`{"statements": [...], "more": ...}`).
///
/// The actor is identified by `account` (home page and name), `mbox`, `mbox_sha1sum` or
/// `openid`, each in its own namespace unless the pipeline declares (`identity`) that account
/// names are another input's ids. Verbs map through `EventMapping.xapiVerbs`; a course-type
/// object turns views into course views and completions into course completions, and
/// `result.completion = true` is a completion whatever the verb.
public struct XAPIStatementsParser: ChunkParser {
    public static let accountNamespace = "xapi-account"
    public static let mboxNamespace = "xapi-mbox"
    public static let mboxSHA1Namespace = "xapi-mbox-sha1sum"
    public static let openIDNamespace = "xapi-openid"

    let stream: UInt8
    let zone: ZoneRules
    /// Local days to read (`--since`/`--until`); events outside are skipped.
    public var window: DayWindow? = nil
    let declaredIdentity: Bool
    /// The platform whose account names are the declared identity; other platforms'
    /// accounts keep their own namespace (nil: every account's name is the identity).
    let identityHomePage: [UInt8]?
    let accounts: Pseudonymiser.Prepared
    let otherAccounts: Pseudonymiser.Prepared
    let mboxes: Pseudonymiser.Prepared
    let mboxHashes: Pseudonymiser.Prepared
    let openIDs: Pseudonymiser.Prepared
    /// True when the file is one document (array or page) rather than NDJSON.
    public let wholeDocument: Bool

    public init(
        stream: UInt8, zone: ZoneRules, pseudonymiser: Pseudonymiser, identity: String? = nil, identityHomePage: String? = nil,
        wholeDocument: Bool = false
    ) {
        self.stream = stream
        self.zone = zone
        declaredIdentity = identity != nil
        self.identityHomePage = identityHomePage.map { XAPIStatementsParser.homePageForm(Array($0.utf8)) }
        accounts = pseudonymiser.prepare(identity ?? XAPIStatementsParser.accountNamespace)
        otherAccounts = pseudonymiser.prepare(XAPIStatementsParser.accountNamespace)
        mboxes = pseudonymiser.prepare(XAPIStatementsParser.mboxNamespace)
        mboxHashes = pseudonymiser.prepare(XAPIStatementsParser.mboxSHA1Namespace)
        openIDs = pseudonymiser.prepare(XAPIStatementsParser.openIDNamespace)
        self.wholeDocument = wholeDocument
    }

    /// A homePage as compared with the declared one: without a trailing `/`, case-folded.
    static func homePageForm(_ b: [UInt8]) -> [UInt8] {
        var out = b
        IdentifierForm.homePage(&out)
        IdentifierForm.fold(&out)
        return out
    }

    /// Whether a file is one JSON document, judged from its first bytes: an array, or an
    /// object that does not close on its first line (pretty-printed) or holds `statements`.
    /// A first line that is not JSON makes NDJSON all the same when one of the next lines
    /// is a whole object on its own, so that one bad line does not make a document of the
    /// file (and reject it whole).
    public static func isWholeDocument(head: [UInt8]) -> Bool {
        guard let first = head.firstIndex(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF })
        else { return false }
        if head[first] == UInt8(ascii: "[") { return true }
        let lineEnd = head[first...].firstIndex(of: 0x0A) ?? head.count
        if lineEnd == head.count && head.count >= LineChunkerDefaults.fingerprintBytes { return true }
        var tape = JSONTape()
        let firstLine = Array(head[first..<lineEnd])
        let firstIsObject = firstLine.withUnsafeBytes { raw -> Bool? in
            guard tape.parse(raw), let root = tape.root else { return nil }
            return tape.member(root, "statements") == nil
        }
        if let firstIsObject { return !firstIsObject }
        // A first line that only opens an object is a pretty-printed document (an LRS page),
        // whose indented lines may hold whole statements.
        if firstLine.allSatisfy({ $0 == UInt8(ascii: "{") || $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return true }
        // Whole lines after the first (the head's last line may be cut), unindented as NDJSON's are.
        let rest = head[(lineEnd + 1 < head.count ? lineEnd + 1 : head.count)...].split(separator: 0x0A)
            .dropLast(head.count >= LineChunkerDefaults.fingerprintBytes ? 1 : 0)
        let objectLine = rest.prefix(8).contains { line in
            line.first == UInt8(ascii: "{")
                && Array(line).withUnsafeBytes { raw in
                    tape.parse(raw) && tape.root.map { tape.kind($0) == .object && tape.member($0, "statements") == nil } == true
                }
        }
        return !objectLine
    }

    public func parse(_ chunk: LineChunk) -> ChunkResult {
        var tape = JSONTape()
        var scratch: [UInt8] = []
        var verbs = ByteKeyTable<EventKind>(capacity: 64)
        guard wholeDocument else {
            return ActivityChunk.parseLines(chunk, zone: zone, stream: stream, window: window) { out, line, number in
                guard tape.parse(line), let root = tape.root else {
                    out.reject(.invalidJSON, line: number, bytes: line)
                    return
                }
                let list = statements(tape, root)
                if list.isEmpty { out.skip(.emptyDocument, time: nil) }
                for statement in list {
                    handle(tape, statement, record: number, &out, &scratch, &verbs, raw: line)
                }
            }
        }
        // One document: statements are numbered by their position in it.
        if let rejected = ChunkResult.overlong(chunk) { return rejected }
        var out = ActivityChunk(zone: zone, stream: stream, window: window)
        var lines = 0
        chunk.bytes.withUnsafeBytes { all in
            lines = all.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            guard tape.parse(all), let root = tape.root else {
                out.reject(.invalidJSON, line: 1, bytes: all)
                return
            }
            let list = statements(tape, root)
            if list.isEmpty { out.skip(.emptyDocument, time: nil) }
            out.countsStatements = true
            // A rejected statement's sample is its own text, not the document's start.
            for (index, statement) in list.enumerated() {
                handle(tape, statement, record: index + 1, &out, &scratch, &verbs, raw: tape.bytes(statement))
            }
        }
        return out.finish(lines: lines)
    }

    /// The statements of a document: the array's elements, a page's `statements`, or itself.
    func statements(_ tape: JSONTape, _ root: Int) -> [Int] {
        switch tape.kind(root) {
        case .array: return tape.elements(root)
        case .object:
            if let list = tape.member(root, "statements"), tape.kind(list) == .array { return tape.elements(list) }
            return [root]
        default: return [root]
        }
    }

    static func isCourseType(_ tape: JSONTape, _ activity: Int) -> Bool {
        guard let type = tape.path(activity, "definition", "type"), tape.kind(type) == .string else { return false }
        let b = tape.bytes(type)
        let suffix = Array("/course".utf8)
        guard b.count >= suffix.count else { return false }
        return suffix.indices.allSatisfy { b[b.count - suffix.count + $0] == suffix[$0] }
    }

    func handle(
        _ tape: JSONTape, _ s: Int, record: Int, _ out: inout ActivityChunk, _ scratch: inout [UInt8],
        _ verbs: inout ByteKeyTable<EventKind>, raw: UnsafeRawBufferPointer
    ) {
        guard tape.kind(s) == .object else {
            out.reject(.missingField, line: record, bytes: raw)
            return
        }
        guard let timeNode = tape.member(s, "timestamp") ?? tape.member(s, "stored"), tape.kind(timeNode) == .string,
            let parsed = Timestamps.iso8601(tape.bytes(timeNode))
        else {
            out.reject(.badTimestamp, line: record, bytes: raw)
            return
        }
        let time = parsed.hasOffset ? parsed.millis : zone.utcSeconds(fromLocalSeconds: parsed.millis / 1000) * 1000 + parsed.millis % 1000
        guard let verbID = tape.path(s, "verb", "id"), tape.kind(verbID) == .string,
            let objectID = tape.path(s, "object", "id"), tape.kind(objectID) == .string
        else {
            out.reject(.missingField, line: record, bytes: raw)
            return
        }
        guard let actor = actorKey(tape, s, &out, &scratch) else {
            out.reject(.missingField, line: record, bytes: raw)
            return
        }
        // Memoised by the verb's bytes: a String is made once per distinct verb.
        let verbIndex = verbs.insert(tape.bytes(verbID)) { EventMapping.xapiKind(verb: tape.string(verbID)) }
        var kind = verbs.values[verbIndex]
        // Object and course.
        let object = tape.member(s, "object")!
        var iri: [UInt8] = []
        tape.appendUnescaped(objectID, to: &iri)
        let iriIsCourse = iri.withUnsafeBytes { out.gate.prepareIRI($0) }
        let objectIsCourse = iriIsCourse || XAPIStatementsParser.isCourseType(tape, object)
        let objectKey = out.gate.admitIRI()
        var course: UInt32 = objectIsCourse ? objectKey : 0
        if course == 0, let activities = tape.path(s, "context", "contextActivities") {
            for group in ["parent", "grouping"] as [StaticString] {
                guard course == 0, let list = tape.member(activities, group) else { continue }
                let items = tape.kind(list) == .array ? tape.elements(list) : [list]
                for item in items {
                    guard let id = tape.member(item, "id"), tape.kind(id) == .string else { continue }
                    iri.removeAll(keepingCapacity: true)
                    tape.appendUnescaped(id, to: &iri)
                    let isCourse = iri.withUnsafeBytes { out.gate.prepareIRI($0) } || XAPIStatementsParser.isCourseType(tape, item)
                    if isCourse { course = out.gate.admitIRI(); break }
                }
            }
        }
        if let completion = tape.path(s, "result", "completion"), tape.kind(completion) == .bool, tape.nodes[completion].flag {
            kind = .activityCompleted
        }
        if objectIsCourse {
            switch kind {
            case .contentView: kind = .courseView
            case .activityCompleted: kind = .courseCompleted
            default: break
            }
        }
        var results: Int32 = -1
        var eventObject = objectKey
        if kind == .search {
            var term: [UInt8] = []
            if let response = tape.path(s, "result", "response"), tape.kind(response) == .string {
                tape.appendUnescaped(response, to: &term)
            }
            eventObject = term.withUnsafeBytes { out.gate.searchTerm($0) }
            if let extensions = tape.path(s, "result", "extensions") {
                for (key, value) in tape.members(extensions) where tape.kind(value) == .number {
                    let k = tape.string(key).lowercased()
                    if k.hasSuffix("results") || k.hasSuffix("total") || k.hasSuffix("result-count") || k.hasSuffix("count") {
                        results = Int32(clamping: tape.int(value) ?? -1)
                    }
                }
            }
        }
        out.emit(time: time, actor: actor, kind: kind, course: course, object: eventObject, searchResults: results)
    }

    func actorKey(_ tape: JSONTape, _ s: Int, _ out: inout ActivityChunk, _ scratch: inout [UInt8]) -> ActorKey? {
        guard let actor = tape.member(s, "actor"), tape.kind(actor) == .object else { return nil }
        // The actor's display name is dropped, but the gate and the PII guard must know it.
        if let name = tape.member(actor, "name"), tape.kind(name) == .string, tape.isPresent(name) {
            scratch.removeAll(keepingCapacity: true)
            tape.appendUnescaped(name, to: &scratch)
            scratch.withUnsafeBytes { out.noteName($0) }
        }
        scratch.removeAll(keepingCapacity: true)
        if let account = tape.member(actor, "account"), let name = tape.member(account, "name"), tape.isPresent(name) {
            var declared = declaredIdentity
            if let home = tape.member(account, "homePage"), tape.kind(home) == .string {
                tape.appendUnescaped(home, to: &scratch)
                IdentifierForm.homePage(&scratch)
                // Declared for one platform only: another platform's account is another person.
                if let identityHomePage, XAPIStatementsParser.homePageForm(scratch) != identityHomePage { declared = false }
                if declared { scratch.removeAll(keepingCapacity: true) } else { scratch.append(0) }
            }
            var accountName: [UInt8] = []
            tape.appendUnescaped(name, to: &accountName)
            IdentifierForm.account(&accountName)
            // Under a declared identity the name is that namespace's id (`058` is `58`).
            if declared { IdentifierForm.number(&accountName) }
            scratch.append(contentsOf: accountName)
            return scratch.withUnsafeBytes { out.actor(declared ? accounts : otherAccounts, tag: declared ? 1 : 5, $0) }
        }
        if let mbox = tape.member(actor, "mbox"), tape.isPresent(mbox) {
            tape.appendUnescaped(mbox, to: &scratch)
            IdentifierForm.mbox(&scratch)
            return scratch.withUnsafeBytes { out.actor(mboxes, tag: 2, $0) }
        }
        if let hash = tape.member(actor, "mbox_sha1sum"), tape.isPresent(hash) {
            tape.appendUnescaped(hash, to: &scratch)
            IdentifierForm.fold(&scratch)
            return scratch.withUnsafeBytes { out.actor(mboxHashes, tag: 3, $0) }
        }
        if let openid = tape.member(actor, "openid"), tape.isPresent(openid) {
            tape.appendUnescaped(openid, to: &scratch)
            return scratch.withUnsafeBytes { out.actor(openIDs, tag: 4, $0) }
        }
        return nil
    }
}
