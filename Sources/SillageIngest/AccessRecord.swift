/// One access-log record as a reader found it, whatever the format (text, JSON, W3C):
/// byte views into the record, valid only while `WebRecordClassifier` judges it.
///
/// A reader rejects what it cannot read (layout, timestamp, status); everything it can read
/// becomes one of these, and the classifier decides what it is.
struct AccessRecord {
    /// The instant, UTC milliseconds.
    var time: Int64
    var status: Int
    /// The request method; empty when the format records none.
    var method: UnsafeRawBufferPointer
    /// The format records a method (a request line or a method field): a missing or odd one
    /// is then a skip, not a pass.
    var checksMethod: Bool
    /// Path and query as requested.
    var target: UnsafeRawBufferPointer
    /// The request line could not be split into method and target.
    var malformedRequest: Bool
    /// The authenticated user (`-` or empty when none).
    var user: UnsafeRawBufferPointer
    /// The client address (empty when the format has none).
    var host: UnsafeRawBufferPointer
    /// The user agent, when the format records one.
    var userAgent: UnsafeRawBufferPointer?
    /// Response bytes, when the format records them (0 otherwise, and for `-`).
    var bytes = 0

    static var none: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    /// The record names an authenticated user (not empty, not `-`).
    @inline(__always)
    var hasUser: Bool { user.count > 0 && !(user.count == 1 && user[0] == UInt8(ascii: "-")) }

    /// A byte count written in decimal (`%b`, `$body_bytes_sent`, `sc-bytes`); 0 for `-`,
    /// an empty field, anything that is not digits, or more than 18 digits.
    @inline(__always)
    static func size(_ field: UnsafeRawBufferPointer) -> Int {
        guard !field.isEmpty, field.count <= 18 else { return 0 }
        var n = 0
        for b in field {
            guard b >= 48 && b <= 57 else { return 0 }
            n = n * 10 + Int(b - 48)
        }
        return n
    }

    /// Splits a request line `METHOD SP target [SP protocol]`; nil when it has no space.
    static func splitRequest(_ r: UnsafeRawBufferPointer) -> (method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer)? {
        var sp1 = 0
        while sp1 < r.count, r[sp1] != 0x20 { sp1 += 1 }
        guard sp1 < r.count else { return nil }
        var sp2 = r.count
        while sp2 > sp1 + 1, r[sp2 - 1] != 0x20 { sp2 -= 1 }
        var end = sp2 > sp1 + 1 ? sp2 - 1 : r.count
        while end > sp1 + 1, r[end - 1] == 0x20 { end -= 1 }
        return (UnsafeRawBufferPointer(rebasing: r[0..<sp1]), UnsafeRawBufferPointer(rebasing: r[(sp1 + 1)..<end]))
    }
}
