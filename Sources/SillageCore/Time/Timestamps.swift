/// Byte-level timestamp readers for log formats; no `DateFormatter`, no allocation.
public enum Timestamps {
    /// Instants Sillage accepts: from 1970 to 2200 (UTC ms). Anything else is a bad timestamp,
    /// so absurd values cannot overflow date arithmetic.
    public static let plausible: ClosedRange<Int64> = 0...7_258_118_400_000

    @inline(__always)
    package static func digits(_ p: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> Int? {
        guard start + count <= p.count else { return nil }
        var v = 0
        for i in start..<(start + count) {
            let d = p[i] &- 48
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int(d)
        }
        return v
    }

    /// Month number from a three-letter English abbreviation, any case.
    @inline(__always)
    static func month(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        let key = (UInt32(a | 0x20) << 16) | (UInt32(b | 0x20) << 8) | UInt32(c | 0x20)
        switch key {
        case 0x6a616e: return 1  // jan
        case 0x666562: return 2  // feb
        case 0x6d6172: return 3  // mar
        case 0x617072: return 4  // apr
        case 0x6d6179: return 5  // may
        case 0x6a756e: return 6  // jun
        case 0x6a756c: return 7  // jul
        case 0x617567: return 8  // aug
        case 0x736570: return 9  // sep
        case 0x6f6374: return 10  // oct
        case 0x6e6f76: return 11  // nov
        case 0x646563: return 12  // dec
        default: return nil
        }
    }

    @inline(__always)
    static func validated(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Bool {
        (1...12).contains(mo) && d >= 1 && d <= CivilTime.daysInMonth(year: y, month: mo)
            && h < 24 && mi < 60 && s <= 60 && y >= 1970 && y < 10000
    }

    /// Reads `10/Oct/2000:13:55:36 -0700` (Common Log Format) as UTC milliseconds.
    ///
    /// The offset is the one the server wrote, so the instant is right across DST changes.
    public static func clf(_ p: UnsafeRawBufferPointer) -> Int64? {
        guard p.count >= 26, p[2] == UInt8(ascii: "/"), p[6] == UInt8(ascii: "/"), p[11] == UInt8(ascii: ":"),
            p[14] == UInt8(ascii: ":"), p[17] == UInt8(ascii: ":"), p[20] == UInt8(ascii: " "),
            let d = digits(p, 0, 2), let mo = month(p[3], p[4], p[5]), let y = digits(p, 7, 4),
            let h = digits(p, 12, 2), let mi = digits(p, 15, 2), let s = digits(p, 18, 2),
            validated(y, mo, d, h, mi, s)
        else { return nil }
        let sign = p[21]
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"),
            let oh = digits(p, 22, 2), let om = digits(p, 24, 2), oh < 24, om < 60
        else { return nil }
        let offset = (oh * 3600 + om * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        let local = Int64(CivilTime.days(year: y, month: mo, day: d)) * 86400 + Int64(h * 3600 + mi * 60 + s)
        return (local - Int64(offset)) * 1000
    }

    /// Reads `06/Feb/2009:12:14:14.655` (HAProxy's accept date: no offset, optional
    /// milliseconds) as local milliseconds since 1970, for the caller to place in its zone.
    public static func clfLocal(_ p: UnsafeRawBufferPointer) -> Int64? {
        guard p.count >= 20, p[2] == UInt8(ascii: "/"), p[6] == UInt8(ascii: "/"), p[11] == UInt8(ascii: ":"),
            p[14] == UInt8(ascii: ":"), p[17] == UInt8(ascii: ":"),
            let d = digits(p, 0, 2), let mo = month(p[3], p[4], p[5]), let y = digits(p, 7, 4),
            let h = digits(p, 12, 2), let mi = digits(p, 15, 2), let s = digits(p, 18, 2),
            validated(y, mo, d, h, mi, s)
        else { return nil }
        var millis = 0
        if p.count > 20 {
            guard p[20] == UInt8(ascii: "."), p.count >= 22, p.count <= 24, let fraction = digits(p, 21, p.count - 21) else { return nil }
            millis = fraction * [1, 100, 10, 1][p.count - 21]
        }
        let local = Int64(CivilTime.days(year: y, month: mo, day: d)) * 86400 + Int64(h * 3600 + mi * 60 + s)
        return local * 1000 + Int64(millis)
    }

    /// Reads ISO 8601 / RFC 3339 (`2000-10-10T13:55:36.123+02:00`, `Z`, or no offset).
    ///
    /// Returns the instant in UTC milliseconds and whether an offset was present; a time
    /// without an offset is returned as if it were UTC, for the caller to reinterpret.
    public static func iso8601(_ p: UnsafeRawBufferPointer) -> (millis: Int64, hasOffset: Bool)? {
        guard p.count >= 19, p[4] == UInt8(ascii: "-"), p[7] == UInt8(ascii: "-"),
            p[10] == UInt8(ascii: "T") || p[10] == UInt8(ascii: " ") || p[10] == UInt8(ascii: "t"),
            p[13] == UInt8(ascii: ":"), p[16] == UInt8(ascii: ":"),
            let y = digits(p, 0, 4), let mo = digits(p, 5, 2), let d = digits(p, 8, 2),
            let h = digits(p, 11, 2), let mi = digits(p, 14, 2), let s = digits(p, 17, 2),
            validated(y, mo, d, h, mi, s)
        else { return nil }
        var i = 19
        var millis = 0
        if i < p.count, p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: ",") {
            i += 1
            var scale = 100
            let start = i
            while i < p.count, p[i] >= 48, p[i] <= 57 {
                if scale > 0 { millis += Int(p[i] - 48) * scale; scale /= 10 }
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset = 0
        var hasOffset = false
        if i < p.count {
            let c = p[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                hasOffset = true
                i += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                guard let oh = digits(p, i + 1, 2) else { return nil }
                var j = i + 3
                if j < p.count, p[j] == UInt8(ascii: ":") { j += 1 }
                guard let om = digits(p, j, 2), oh < 24, om < 60 else { return nil }
                offset = (oh * 3600 + om * 60) * (c == UInt8(ascii: "-") ? -1 : 1)
                hasOffset = true
                i = j + 2
            }
        }
        guard i == p.count else { return nil }
        let local = Int64(CivilTime.days(year: y, month: mo, day: d)) * 86400 + Int64(h * 3600 + mi * 60 + s)
        return ((local - Int64(offset)) * 1000 + Int64(millis), hasOffset)
    }

    /// Reads seconds since 1970 with an optional fraction (`1234567890.123`) as milliseconds.
    public static func epochSeconds(_ p: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        var seconds: Int64 = 0
        while i < p.count, p[i] >= 48, p[i] <= 57, i < 12 {
            seconds = seconds * 10 + Int64(p[i] - 48)
            i += 1
        }
        guard i > 0 else { return nil }
        var millis: Int64 = 0
        if i < p.count, p[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100
            while i < p.count, p[i] >= 48, p[i] <= 57 {
                millis += Int64(p[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i == p.count else { return nil }
        return seconds * 1000 + millis
    }

    /// A count since 1970 in seconds, milliseconds, microseconds or nanoseconds — told
    /// apart by magnitude, as JSON logs write any of them (Caddy's `ts`, Cloudflare's
    /// `unixnano`) — as UTC milliseconds; nil when it is not a finite, non-negative number.
    public static func epoch(magnitude value: Double?) -> Int64? {
        guard let value, value.isFinite, value >= 0 else { return nil }
        let millis: Double
        switch value {
        case ..<1e11: millis = value * 1000
        case ..<1e14: millis = value
        case ..<1e17: millis = value / 1000
        default: millis = value / 1_000_000
        }
        guard millis < 9e15 else { return nil }
        return Int64(millis.rounded(.down))
    }

    /// Reads an integer count of milliseconds since 1970.
    public static func epochMillis(_ p: UnsafeRawBufferPointer) -> Int64? {
        guard p.count > 0, p.count <= 15 else { return nil }
        var v: Int64 = 0
        for c in p {
            guard c >= 48, c <= 57 else { return nil }
            v = v * 10 + Int64(c - 48)
        }
        return v
    }
}
