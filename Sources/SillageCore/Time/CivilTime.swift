/// Calendar arithmetic on the proleptic Gregorian calendar, without Foundation.
///
/// Days are counted from 1970-01-01 (day 0). The algorithms are Howard Hinnant's
/// `days_from_civil` / `civil_from_days`, exact for every representable year.
public enum CivilTime {
    /// Day number of a calendar date.
    @inline(__always)
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Calendar date of a day number.
    public static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Number of days in a month.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// ISO 8601 date text (`2026-03-29`) of a day number.
    public static func isoDate(days: Int) -> String {
        let (y, m, d) = date(days: days)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// ISO month text (`2026-03`) of a day number.
    public static func isoMonth(days: Int) -> String {
        let (y, m, _) = date(days: days)
        return "\(pad(y, 4))-\(pad(m, 2))"
    }

    /// Day number of the Monday that starts the ISO week of a day (1970-01-01 was a Thursday).
    public static func mondayOfWeek(days: Int) -> Int {
        days - (((days + 3) % 7) + 7) % 7
    }

    /// ISO 8601 week text (`2026-W10`) of a day number: the week's year is its Thursday's.
    public static func isoWeek(days: Int) -> String {
        let thursday = mondayOfWeek(days: days) + 3
        let year = date(days: thursday).year
        let week = (thursday - CivilTime.days(year: year, month: 1, day: 1)) / 7 + 1
        return "\(pad(year, 4))-W\(pad(week, 2))"
    }

    /// Month number (year × 12 + month − 1) of a day number, for grouping.
    public static func monthIndex(days: Int) -> Int {
        let (y, m, _) = date(days: days)
        return y * 12 + m - 1
    }

    /// Day number of an ISO date (`YYYY-MM-DD`), or nil when the text is not a valid date.
    public static func parseISODate(_ text: String) -> Int? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2),
            (1...12).contains(m), d >= 1, d <= daysInMonth(year: y, month: m)
        else { return nil }
        return days(year: y, month: m, day: d)
    }

    static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var v = 0
        for i in start..<(start + count) {
            let c = b[i] &- 48
            guard c < 10 else { return nil }
            v = v * 10 + Int(c)
        }
        return v
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
