import Foundation
import Testing
@testable import SillageCore
@testable import SillagePrivacy
@testable import SillageIngest
@testable import SillagePipeline

private func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

@Test func gzipRoundTripsThroughOurWriterAndReader() throws {
    let text = Array((0..<5000).map { "line \($0) with some text\n" }.joined().utf8)
    let compressed = try GzipWriter.compress(text)
    #expect(Array(compressed.prefix(10)) == [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
    var reader: any ByteReader = GzipReader(source: MemoryReader(compressed, step: 13), displayName: "mem")
    #expect(try readAll(&reader, bufferSize: 1000) == text)
    #expect(try GzipWriter.compress(text) == compressed, "gzip output must be deterministic")
}

@Test func gzipReadsEveryMemberOfAMultiMemberFile() throws {
    let a = Array("first member\n".utf8), b = Array("second member\n".utf8)
    var reader: any ByteReader = GzipReader(source: MemoryReader(try GzipWriter.compress(a) + GzipWriter.compress(b)), displayName: "mem")
    #expect(try readAll(&reader) == a + b)
}

@Test func gzipFromTheSystemToolIsRead() throws {
    let dir = TestSupport.temporaryDirectory("gz")
    defer { TestSupport.remove(dir) }
    writeFile(dir + "/a.log", Array("hello from gzip(1)\n".utf8))
    let r = try TestSupport.run("/usr/bin/env", ["gzip", "-9", dir + "/a.log"])
    #expect(r.status == 0)
    #expect(try TestSupport.gunzip(dir + "/a.log.gz") == "hello from gzip(1)\n")
}

@Test(arguments: [
    ("truncated", "ends inside its compressed data"),
    ("corrupt", "has corrupt compressed data"),
    ("badcrc", "fails its CRC-32 check"),
    ("trailing", "is followed by bytes that are not a gzip member"),
    ("header", "ends inside its header"),
])
func damagedGzipIsAnErrorNamingTheMember(kind: String, message: String) throws {
    let text = Array((0..<2000).map { "row \($0) \($0 * 7919 % 1000)\n" }.joined().utf8)
    var bytes = try GzipWriter.compress(text)
    switch kind {
    case "truncated": bytes.removeLast(bytes.count / 2)
    case "corrupt": for i in 20..<40 { bytes[i] ^= 0xA5 }
    case "badcrc": bytes[bytes.count - 6] ^= 1
    case "trailing": bytes += [0x00, 0x01, 0x02]
    default: bytes = Array(bytes.prefix(6))
    }
    var reader: any ByteReader = GzipReader(source: MemoryReader(bytes), displayName: "x.gz")
    do {
        _ = try readAll(&reader, bufferSize: 4096)
        Issue.record("expected an error for \(kind)")
    } catch {
        #expect(error.kind == .data)
        #expect(error.description.contains(message), "\(error.description)")
        #expect(error.description.hasPrefix("x.gz: gzip member"))
    }
}

@Test func gzipIsRecognisedByMagicBytesNotName() throws {
    let dir = TestSupport.temporaryDirectory("magic")
    defer { TestSupport.remove(dir) }
    writeFile(dir + "/plain.gz", Array("not compressed\n".utf8))
    writeFile(dir + "/compressed.log", try GzipWriter.compress(Array("compressed\n".utf8)))
    #expect(try InputFiles.open(dir + "/plain.gz").isGzip == false)
    #expect(try InputFiles.open(dir + "/compressed.log").isGzip == true)
    #expect(try TestSupport.gunzip(dir + "/compressed.log") == "compressed\n")
}

@Test func chunksEndOnLineBoundariesWhateverTheReadSizes() throws {
    let lines = (0..<3000).map { "entry number \($0) " + String(repeating: "x", count: $0 % 97) }
    let text = Array(lines.joined(separator: "\n").utf8) + [0x0A]
    for (chunk, step) in [(64, 5), (100, 1000), (4096, 7), (1 << 20, 1 << 20)] {
        var chunker = LineChunker(reader: MemoryReader(text, step: step), chunkSize: chunk, maxLineBytes: 1 << 16)
        var rebuilt: [UInt8] = []
        var index = 0
        while let c = try chunker.next() {
            #expect(c.index == index)
            #expect(c.offset == Int64(rebuilt.count))
            #expect(c.bytes.last == 0x0A)
            rebuilt += c.bytes
            index += 1
        }
        #expect(rebuilt == text, "chunk \(chunk), step \(step)")
    }
}

@Test func anOverlongLineIsDroppedAndReportedOnce() throws {
    let text = Array("short\n".utf8) + [UInt8](repeating: 65, count: 10_000) + Array("\nafter\n".utf8)
    var chunker = LineChunker(reader: MemoryReader(text, step: 100), chunkSize: 256, maxLineBytes: 1000)
    var chunks: [LineChunk] = []
    while let c = try chunker.next() { chunks.append(c) }
    #expect(chunks.filter(\.isOverlongLine).count == 1)
    let kept = chunks.filter { !$0.isOverlongLine }.flatMap(\.bytes)
    #expect(String(decoding: kept, as: UTF8.self) == "short\nafter\n")
    #expect(chunker.consumedOffset == Int64(text.count))
}

@Test func anUnterminatedLastLineIsHeldBackForGrowingFiles() throws {
    let text = Array("one\ntwo\nthr".utf8)
    var holding = LineChunker(reader: MemoryReader(text), chunkSize: 64, holdBackUnterminatedLine: true)
    var kept: [UInt8] = []
    while let c = try holding.next() { kept += c.bytes }
    #expect(String(decoding: kept, as: UTF8.self) == "one\ntwo\n")
    #expect(holding.heldBackBytes == 3)
    #expect(holding.consumedOffset == 8)
    var reading = LineChunker(reader: MemoryReader(text), chunkSize: 64)
    var all: [UInt8] = []
    while let c = try reading.next() { all += c.bytes }
    #expect(all == text)
}

@Test(arguments: [
    (["access.log", "access.log.1", "access.log.10.gz", "access.log.2.gz"], ["access.log.10.gz", "access.log.2.gz", "access.log.1", "access.log"]),
    (["b.log", "a.log.1", "a.log"], ["a.log.1", "a.log", "b.log"]),
    (["access.log-20261121", "access.log-20261120.gz", "access.log"], ["access.log", "access.log-20261120.gz", "access.log-20261121"]),
    (["logstore.csv", "logstore.2026.csv", "x.1a"], ["logstore.2026.csv", "logstore.csv", "x.1a"]),
])
func rotatedFilesAreReadOldestFirst(names: [String], expected: [String]) {
    #expect(InputFiles.readingOrder(names) == expected)
}

@Test func globsExpandSortedAndMissingInputsAreNamed() throws {
    let dir = TestSupport.temporaryDirectory("glob")
    defer { TestSupport.remove(dir) }
    for name in ["access.log.2.gz", "access.log", "access.log.1", "other.txt"] { writeFile(dir + "/" + name, [0x0A]) }
    // Rotated generations oldest first, so the files are read in time order.
    #expect(try InputFiles.expand(dir + "/access.log*") == ["access.log.2.gz", "access.log.1", "access.log"].map { dir + "/" + $0 })
    #expect(throws: SillageError.self) { try InputFiles.expand(dir + "/nothing*") }
    do {
        _ = try InputFiles.expand(dir + "/missing.log")
        Issue.record("expected an error")
    } catch {
        #expect(error.description.contains("missing.log: cannot read input"))
    }
    do {
        _ = try FileReader(path: dir)
        Issue.record("expected an error")
    } catch {
        #expect(error.description.contains("is a directory"))
    }
}

@Test func byteKeyTableInternsAndGrows() {
    var table = ByteKeyTable<Int>(capacity: 4)
    for i in 0..<5000 {
        let key = Array("key-\(i % 1000)".utf8)
        let index = key.withUnsafeBytes { table.insert($0) { i } }
        #expect(index == i % 1000)
    }
    #expect(table.count == 1000)
    #expect(Array("key-7".utf8).withUnsafeBytes { table.value(for: $0) } == 7)
    #expect(Array("key-x".utf8).withUnsafeBytes { table.value(for: $0) } == nil)
    #expect(String(decoding: table.key(at: 999), as: UTF8.self) == "key-999")
}

@Test func csvChunksNeverCutInsideAQuotedField() throws {
    var records: [String] = []
    for i in 0..<2000 {
        records.append("\(i),\"multi\nline \"\"quoted\"\" field \(i)\",\"a,b\"\n")
    }
    let text = Array(records.joined().utf8)
    for (chunk, step) in [(64, 7), (333, 1000), (4096, 4096)] {
        var chunker = LineChunker(reader: MemoryReader(text, step: step), chunkSize: chunk, boundary: .csvNewline)
        var rebuilt: [UInt8] = []
        while let c = try chunker.next() {
            // Every chunk holds whole records: an even number of quotes.
            #expect(c.bytes.filter { $0 == 0x22 }.count % 2 == 0)
            #expect(c.bytes.last == 0x0A)
            rebuilt += c.bytes
        }
        #expect(rebuilt == text)
    }
}

@Test func aWholeDocumentIsOneChunk() throws {
    let text = Array(("[\n" + (0..<5000).map { "  {\"n\": \($0)}" }.joined(separator: ",\n") + "\n]\n").utf8)
    var chunker = LineChunker(reader: MemoryReader(text, step: 1000), chunkSize: 512, maxLineBytes: 1 << 24, boundary: .wholeInput)
    let first = try #require(try chunker.next())
    #expect(first.bytes == text)
    #expect(try chunker.next() == nil)
}

@Test func courseAndObjectIdsAreMappedToTheRunsStringsAcrossChunks() async throws {
    // Two chunks intern different strings first: a course id that is not remapped shows up
    // as another chunk's object.
    let header =
        "id,eventname,component,action,target,objecttable,objectid,crud,edulevel,contextid,contextlevel,contextinstanceid,userid,courseid,relateduserid,anonymous,other,timecreated,origin,ip,realuserid\n"
    var csv = header
    for i in 0..<400 {
        csv +=
            "\(i),\"\\mod_page\\event\\course_module_viewed\",mod_page,v,t,,,r,2,1,70,\(900 + i),7,\(i % 2 == 0 ? 3 : 4),,0,,\(1_774_778_400 + i),web,,\n"
    }
    let parsing = FileParsing(
        parser: try MoodleLogstoreParser(
            header: try #require(CSVHeader(head: Array(header.utf8))), file: "f",
            stream: 0, zone: ZoneRules(fixedOffsetSeconds: 0),
            pseudonymiser: Pseudonymiser(key: [UInt8](repeating: 1, count: 32))),
        boundary: .csvNewline)
    var interner = Interner(none: Publishable.none)
    _ = interner.intern("something-else-first")
    var names = KnownNames(key: try MasterKey(bytes: [UInt8](repeating: 1, count: 32)))
    var events: [Event] = []
    var ends: [Int64] = []
    var lastFlags: [Bool] = []
    try await IngestDriver(threads: 2, chunkSize: 2048).ingest(
        reader: MemoryReader(Array(csv.utf8)), displayName: "f", parsing: parsing, startOffset: 0, startLine: 0,
        holdBackUnterminatedLine: false, sliceBytes: 10_000, objects: &interner, names: &names, progress: nil,
        onSlice: { slice, _ in
            events += slice.events
            ends.append(slice.endOffset)
            lastFlags.append(slice.isLast)
        })
    #expect(events.count == 400)
    for (i, e) in events.enumerated() {
        #expect(interner[e.course] == (i % 2 == 0 ? "3" : "4"))
        #expect(interner[e.object].text == "cm:\(900 + i)")
    }
    // Slices of about 10 kB, each ending after a whole record, the last one at the end.
    let bytes = Array(csv.utf8)
    #expect(ends.count >= 4)
    #expect(ends == ends.sorted())
    #expect(ends.last == Int64(bytes.count))
    #expect(lastFlags == Array(repeating: false, count: ends.count - 1) + [true])
    for end in ends { #expect(bytes[Int(end) - 1] == UInt8(ascii: "\n")) }
}

@Test(arguments: [
    ("plain line", "plain line"), ("tab\there", "tab\\there"), ("back\\slash", "back\\\\slash"), ("été", "été"),
])
func rejectSamplesAreEscapedOnOneLine(raw: String, expected: String) {
    #expect(String(decoding: RejectFile.escaped(Array(raw.utf8)), as: UTF8.self) == expected)
}

@Test func invalidBytesInRejectSamplesAreEscaped() {
    #expect(String(decoding: RejectFile.escaped([0x41, 0xFF, 0x00, 0xC3]), as: UTF8.self) == "A\\xff\\x00\\xc3")
}

/// The audited byte helpers accept empty views and refuse to read past a buffer's end.
@Test(
    arguments: [
        ("abc\ndef", UInt8(ascii: "\n"), 0, 3), ("abc\ndef", UInt8(ascii: "\n"), 4, nil), ("", UInt8(ascii: "\n"), 0, nil),
        ("abc", UInt8(ascii: "c"), 3, nil), ("abc", UInt8(ascii: "a"), -1, nil),
    ] as [(String, UInt8, Int, Int?)])
func bytesFindsAByteFromAnOffset(text: String, byte: UInt8, from: Int, expected: Int?) {
    Array(text.utf8).withUnsafeBytes { #expect(Bytes.firstIndex(of: byte, in: $0, from: from) == expected) }
}

@Test(arguments: [
    ("hello world", 6, "world", true), ("hello world", 7, "world", false), ("hello", 0, "", true), ("", 0, "", true),
    ("", 0, "a", false), ("abc", 2, "cd", false), ("abc", -1, "a", false),
])
func bytesComparesAViewAtAnOffset(text: String, offset: Int, other: String, expected: Bool) {
    Array(text.utf8).withUnsafeBytes { a in
        Array(other.utf8).withUnsafeBytes { b in #expect(Bytes.equal(a, at: offset, b) == expected) }
    }
    #expect(Bytes.equal(UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0)))
}

@Test func bytesMovesOverlappingRangesAndCopiesIntoPlace() {
    var buffer = Array("0123456789".utf8)
    buffer.withUnsafeMutableBytes { Bytes.move(in: $0, from: 2, to: 0, count: 5) }
    #expect(String(decoding: buffer, as: UTF8.self) == "2345656789")
    Array("ab".utf8).withUnsafeBytes { src in buffer.withUnsafeMutableBytes { Bytes.copy(src, into: $0, at: 8) } }
    #expect(String(decoding: buffer, as: UTF8.self) == "23456567ab")
}

/// Many gzip members in one reader, each inflated by the same pinned zlib stream (reset per member).
@Test func oneZlibStreamInflatesEveryMemberOfALongStream() throws {
    var members: [UInt8] = []
    var expected: [UInt8] = []
    for i in 0..<200 {
        let text = Array(String(repeating: "member \(i) ", count: i + 1).utf8)
        members += try GzipWriter.compress(text)
        expected += text
    }
    var reader: any ByteReader = GzipReader(source: MemoryReader(members), displayName: "m.gz", bufferSize: 4096)
    var out: [UInt8] = []
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1000, alignment: 8)
    defer { buffer.deallocate() }
    while true {
        let n = try reader.read(into: buffer)
        if n == 0 { break }
        out += UnsafeRawBufferPointer(rebasing: buffer[..<n])
    }
    #expect(out == expected)
}
