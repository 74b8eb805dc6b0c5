/// One field of a CSV record: a byte range (without the enclosing quotes).
public struct CSVField {
    public var start: Int
    public var end: Int
    /// The field holds `""` pairs that stand for one quote.
    public var hasDoubledQuotes: Bool
}

/// Reads RFC 4180 records from a chunk of whole records, without a `String` per field.
///
/// Quoted fields may hold commas, doubled quotes and newlines. CR before LF is dropped. A
/// record whose quotes do not close, or with text after a closing quote, is flagged
/// `isMalformed` and the reader resynchronises at the next line.
public struct CSVRecordReader {
    public let bytes: UnsafeRawBufferPointer
    public let delimiter: UInt8
    private var position = 0
    /// Physical line (1-based, within the chunk) on which the current record starts.
    public private(set) var line = 0
    private var nextLine = 1
    public private(set) var fields: [CSVField] = []
    public private(set) var isMalformed = false

    public init(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8 = UInt8(ascii: ",")) {
        self.bytes = bytes
        self.delimiter = delimiter
        fields.reserveCapacity(32)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
    }

    /// The delimiter a header line uses: the most frequent of `,` `;` and tab outside quotes.
    public static func detectDelimiter(header: UnsafeRawBufferPointer) -> UInt8 {
        var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0]
        var inQuotes = false
        for c in header {
            if c == 0x0A { break }
            if c == 0x22 { inQuotes.toggle() } else if !inQuotes, counts[c] != nil { counts[c]! += 1 }
        }
        return counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key
    }

    /// Moves to the next record; false at the end of the chunk. Blank lines are skipped.
    public mutating func next() -> Bool {
        fields.removeAll(keepingCapacity: true)
        isMalformed = false
        let n = bytes.count
        while position < n, bytes[position] == 0x0A || (bytes[position] == 0x0D && position + 1 < n && bytes[position + 1] == 0x0A) {
            if bytes[position] == 0x0A { nextLine += 1 }
            position += 1
        }
        guard position < n else { return false }
        line = nextLine
        var i = position
        while true {
            if i < n, bytes[i] == 0x22 {
                // Quoted field.
                var j = i + 1
                var doubled = false
                var closed = false
                while j < n {
                    let c = bytes[j]
                    if c == 0x22 {
                        if j + 1 < n, bytes[j + 1] == 0x22 { doubled = true; j += 2; continue }
                        closed = true
                        break
                    }
                    if c == 0x0A { nextLine += 1 }
                    j += 1
                }
                fields.append(CSVField(start: i + 1, end: closed ? j : n, hasDoubledQuotes: doubled))
                i = closed ? j + 1 : n
                if !closed { isMalformed = true; position = n; return true }
                if i < n, bytes[i] == delimiter { i += 1; continue }
                if i < n, bytes[i] == 0x0D, i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                if i >= n || bytes[i] == 0x0A {
                    if i < n { nextLine += 1 }
                    position = i + 1
                    return true
                }
                // Text after the closing quote: malformed; skip to the end of the line.
                isMalformed = true
                while i < n, bytes[i] != 0x0A { i += 1 }
                if i < n { nextLine += 1 }
                position = i + 1
                return true
            }
            var j = i
            while j < n, bytes[j] != delimiter, bytes[j] != 0x0A { j += 1 }
            var end = j
            if end > i, bytes[end - 1] == 0x0D, j == n || bytes[j] == 0x0A { end -= 1 }
            fields.append(CSVField(start: i, end: end, hasDoubledQuotes: false))
            if j < n, bytes[j] == delimiter { i = j + 1; continue }
            if j < n { nextLine += 1 }
            position = j + 1
            return true
        }
    }

    /// The raw bytes of field `index` (doubled quotes still doubled), or empty when absent.
    public func raw(_ index: Int) -> UnsafeRawBufferPointer {
        guard index >= 0, index < fields.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let f = fields[index]
        return UnsafeRawBufferPointer(rebasing: bytes[f.start..<f.end])
    }

    /// Field `index` with doubled quotes undone, appended to `out`.
    public func append(_ index: Int, to out: inout [UInt8]) {
        guard index >= 0, index < fields.count else { return }
        let f = fields[index]
        if !f.hasDoubledQuotes { out.append(contentsOf: raw(index)); return }
        var i = f.start
        while i < f.end {
            out.append(bytes[i])
            i += bytes[i] == 0x22 && i + 1 < f.end && bytes[i + 1] == 0x22 ? 2 : 1
        }
    }

    /// Field `index` as text (allocates; for headers and rare values).
    public func string(_ index: Int) -> String {
        var out: [UInt8] = []
        append(index, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Field `index` as an integer, or nil when it is not one.
    public func int(_ index: Int) -> Int64? {
        let b = raw(index)
        guard b.count > 0, b.count <= 19 else { return nil }
        var v: Int64 = 0
        var negative = false
        for (k, c) in b.enumerated() {
            if k == 0 && c == UInt8(ascii: "-") { negative = true; continue }
            guard c >= 48, c <= 57 else { return nil }
            // Nineteen digits may overflow: such a number is not an integer we read.
            let (times10, o1) = v.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(c - 48))
            guard !o1, !o2 else { return nil }
            v = sum
        }
        return negative ? -v : v
    }

    /// True when field `index` is absent, empty, or one of the null spellings (`NULL`, `\N`, `-`).
    public func isNull(_ index: Int) -> Bool {
        let b = raw(index)
        if b.count == 0 { return true }
        if b.count == 1 { return b[0] == UInt8(ascii: "-") }
        if b.count == 2 { return b[0] == UInt8(ascii: "\\") && b[1] == UInt8(ascii: "N") }
        if b.count == 4 {
            return (b[0] | 0x20) == UInt8(ascii: "n") && (b[1] | 0x20) == UInt8(ascii: "u") && (b[2] | 0x20) == UInt8(ascii: "l")
                && (b[3] | 0x20) == UInt8(ascii: "l")
        }
        return false
    }
}

/// A CSV header: column names mapped to indices, matched case-insensitively.
public struct CSVHeader: Sendable {
    public let names: [String]
    public let delimiter: UInt8

    /// Reads the header from a file's first bytes.
    public init?(head: [UInt8]) {
        let (names, delimiter) = head.withUnsafeBytes { raw -> ([String], UInt8) in
            let delimiter = CSVRecordReader.detectDelimiter(header: raw)
            var reader = CSVRecordReader(raw, delimiter: delimiter)
            guard reader.next() else { return ([], delimiter) }
            return ((0..<reader.fields.count).map { reader.string($0).trimmingCharacters(in: .whitespaces) }, delimiter)
        }
        guard !names.isEmpty else { return nil }
        self.names = names
        self.delimiter = delimiter
    }

    /// The first row described by its shape, never by its values (it may be a data row of
    /// names and ids): how many fields, and which of the `expected` names it holds.
    public func shape(expected: [String]) -> String {
        let present = expected.filter { index($0) != nil }
        let names =
            present.isEmpty
            ? "none of the expected names \(expected.joined(separator: ", "))"
            : "\(present.joined(separator: ", ")) of the expected names \(expected.joined(separator: ", "))"
        return "its first row has \(self.names.count) field\(self.names.count == 1 ? "" : "s") and \(names)"
    }

    /// The index of the first column called one of `candidates`.
    public func index(_ candidates: String...) -> Int? {
        for c in candidates {
            if let i = names.firstIndex(where: { $0.caseInsensitiveCompare(c) == .orderedSame }) { return i }
        }
        return nil
    }
}

import Foundation
