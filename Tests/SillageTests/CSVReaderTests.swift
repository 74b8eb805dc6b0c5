import Testing
@testable import SillageIngest

private func records(_ text: String, delimiter: UInt8 = 0x2C) -> [([String], Int, Bool)] {
    Array(text.utf8).withUnsafeBytes { raw in
        var reader = CSVRecordReader(raw, delimiter: delimiter)
        var out: [([String], Int, Bool)] = []
        while reader.next() {
            out.append(((0..<reader.fields.count).map { reader.string($0) }, reader.line, reader.isMalformed))
        }
        return out
    }
}

@Test func csvRecordsWithQuotesNewlinesAndCRLF() {
    let r = records("a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"multi\nline\",\r\n\n3,,\"\"\n4")
    #expect(r.map(\.0) == [["a", "b", "c"], ["1", "x, y", "say \"hi\""], ["2", "multi\nline", ""], ["3", "", ""], ["4"]])
    #expect(r.map(\.1) == [1, 2, 3, 6, 7], "physical line numbers count newlines inside quotes and blank lines")
    #expect(r.allSatisfy { !$0.2 })
}

@Test func malformedCSVRecordsAreFlaggedAndTheReaderResynchronises() {
    let r = records("1,\"ok\"\n2,\"bad\"x,3\n4,fine\n5,\"never closed\n6")
    #expect(r.map(\.2) == [false, true, false, true])
    #expect(r[2].0 == ["4", "fine"])
}

@Test func delimitersAreDetectedFromTheHeader() {
    for (header, expected) in [("a;b;c\n", UInt8(ascii: ";")), ("a,b,\"c;d\"\n", UInt8(ascii: ",")), ("a\tb\n", 0x09)] {
        #expect(Array(header.utf8).withUnsafeBytes { CSVRecordReader.detectDelimiter(header: $0) } == expected)
    }
    #expect(records("1;\"a;b\"\n", delimiter: UInt8(ascii: ";")).first?.0 == ["1", "a;b"])
}

@Test func headersMapNamesCaseInsensitivelyAndSkipTheBOM() throws {
    let header = try #require(CSVHeader(head: [0xEF, 0xBB, 0xBF] + Array("id,EventName,userid\n1,x,2\n".utf8)))
    #expect(header.names == ["id", "EventName", "userid"])
    #expect(header.index("eventname") == 1)
    #expect(header.index("nothing", "USERID") == 2)
}
