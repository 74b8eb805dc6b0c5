// libFuzzer entry point for Sillage's parsers, built by Fuzz/run.sh with
// `swiftc -sanitize=fuzzer,address` together with the library's sources.
// SILLAGE_FUZZ_TARGET picks the parser; each input is one chunk of records.
#if canImport(Glibc)
    import Glibc
#endif

private let zone = try! ZoneRules(identifier: "Europe/Paris")
private let pseudonymiser = Pseudonymiser(key: [UInt8](repeating: 9, count: 32))
private let logstoreHeader = Array(
    "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"
        .utf8)
private let reportHeader = Array("Time,User full name,Affected user,Event context,Component,Event name,Description,Origin,IP address\n".utf8)
private let catalogueHeader = Array("key,name,course,position\n".utf8)

private let target: String = getenv("SILLAGE_FUZZ_TARGET").map { String(cString: $0) } ?? "combined"

private let parser: (any ChunkParser)? = {
    switch target {
    case "combined":
        return AccessLogParser(
            format: AccessLogFormat.named("combined")!, stream: 0, profile: .moodle, visitorScope: .day,
            zone: zone, pseudonymiser: pseudonymiser)
    case "nginx":
        return AccessLogParser(
            format: try! AccessLogFormat.nginx(#"$time_iso8601 $remote_addr "$request" $status "$http_user_agent""#),
            stream: 0, profile: .moodle, visitorScope: .day, zone: zone, pseudonymiser: pseudonymiser)
    case "caddy-json":
        return JSONAccessLogParser(
            layout: JSONAccessLayout.presets["caddy-json"]!, stream: 0, profile: .moodle, visitorScope: .day, zone: zone,
            pseudonymiser: pseudonymiser)
    case "w3c":
        return W3CExtendedLogParser(
            separator: 0x20, defaultDirective: "#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status",
            stream: 0, profile: .moodle, visitorScope: .day, zone: zone, pseudonymiser: pseudonymiser)
    case "haproxy":
        return HAProxyLogParser(stream: 0, profile: .moodle, visitorScope: .day, zone: zone, pseudonymiser: pseudonymiser)
    case "alb":
        return AccessLogParser(
            format: AccessLogFormat.named("alb")!, stream: 0, profile: .moodle, visitorScope: .day, zone: zone,
            pseudonymiser: pseudonymiser)
    case "openedx-tracking": return OpenEdxTrackingParser(stream: 0, zone: zone, pseudonymiser: pseudonymiser)
    case "xapi": return XAPIStatementsParser(stream: 0, zone: zone, pseudonymiser: pseudonymiser)
    case "xapi-document": return XAPIStatementsParser(stream: 0, zone: zone, pseudonymiser: pseudonymiser, wholeDocument: true)
    case "moodle-logstore":
        return try! MoodleLogstoreParser(header: CSVHeader(head: logstoreHeader)!, file: "f", stream: 0, zone: zone, pseudonymiser: pseudonymiser)
    case "moodle-report":
        return try! MoodleReportParser(header: CSVHeader(head: reportHeader)!, file: "f", stream: 0, zone: zone, pseudonymiser: pseudonymiser)
    case "course-catalogue":
        return try! ReferenceTableParser(
            kind: .catalogue, header: CSVHeader(head: catalogueHeader)!, file: "f", stream: 0, zone: zone,
            pseudonymiser: pseudonymiser)
    default:
        return nil
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch target {
    case "json-tape":
        // The fast index must agree with the strict parser on every document.
        var tape = JSONTape()
        let fast = bytes.withUnsafeBytes { tape.parse($0) }
        let strict = (try? JSONParser.parse(bytes, source: "fuzz")) != nil
        if fast != strict { fatalError("JSONTape and JSONParser disagree") }
    case "gzip":
        var reader: any ByteReader = GzipReader(source: FuzzMemoryReader(bytes), displayName: "fuzz")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var total = 0
        while total < 64 << 20 {
            guard let n = try? reader.read(into: buffer), n > 0 else { break }
            total += n
        }
    case "pii-scanner":
        // Any text can be scanned, and an address added to it is always found.
        // Any text can be learnt as a name, scanned and scrubbed; an address added to it is
        // always found, and never survives the scrub.
        let text = String(decoding: bytes, as: UTF8.self)
        guard let key = try? MasterKey(bytes: [UInt8](repeating: 7, count: 32)) else { fatalError("no key") }
        var names = KnownNames(key: key)
        names.learn(bytes)
        _ = PIIScanner(names: names).finding(in: text)
        let marked = Array((text + " camille.martin@example.fr").utf8)
        if PIIScanner().finding(in: String(decoding: marked, as: UTF8.self)) == nil { fatalError("an address was missed") }
        if PersonalText.scrub(marked).count > 0, PIIScanner().finding(in: String(decoding: PersonalText.scrub(marked), as: UTF8.self)) != nil {
            fatalError("the scrub left an address")
        }
    case "url":
        var out: [UInt8] = []
        bytes.withUnsafeBytes { URLScrubber(profile: .moodle).normalise($0, into: &out) }
        if out.contains(UInt8(ascii: "@")) { fatalError("an @ passed the URL scrubber") }
    default:
        guard let parser else { fatalError("unknown SILLAGE_FUZZ_TARGET \(target)") }
        let r = parser.parse(LineChunk(bytes: bytes, index: 1, offset: 1, isOverlongLine: false))
        // Nothing lost: any non-blank input is accounted for.
        let blank = bytes.allSatisfy { $0 == 0x0A || $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }
        if !blank && r.events.count + r.references.count + r.counts.totalSkips + r.counts.totalRejects == 0 {
            fatalError("a record was neither an event, a skip nor a reject")
        }
        for e in r.events where Int(e.object) > r.objects.count || Int(e.course) > r.objects.count {
            fatalError("an event points past the chunk's strings")
        }
    }
    return 0
}

/// Bytes in memory as a reader, a few at a time.
final class FuzzMemoryReader: ByteReader {
    private let bytes: [UInt8]
    private var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SillageError) -> Int {
        let n = min(buffer.count, bytes.count - position, 97)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { Bytes.copy(UnsafeRawBufferPointer(rebasing: $0[position..<(position + n)]), into: buffer) }
        position += n
        return n
    }
}
