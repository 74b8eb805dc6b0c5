#if canImport(Glibc)
    import Glibc
#endif

/// The current instant, which tests and audits may fix with `SILLAGE_NOW`.
///
/// Retention is a function of time: to show what a run on a given day purges (or to test
/// it), set `SILLAGE_NOW` to `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (UTC). Nothing else
/// reads the clock.
public enum Clock {
    /// Seconds since 1970 (UTC).
    public static func nowSeconds() -> Int64 {
        if let text = getenv("SILLAGE_NOW").map({ String(cString: $0) }), let fixed = parse(text) { return fixed }
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }

    /// Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SSZ`.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 10, let day = CivilTime.parseISODate(String(decoding: b[0..<10], as: UTF8.self)) else { return nil }
        var seconds = Int64(day) * 86400
        if b.count == 10 { return seconds }
        guard b.count == 20, b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z"),
            let h = CivilTime.digits(b, 11, 2), let m = CivilTime.digits(b, 14, 2), let s = CivilTime.digits(b, 17, 2),
            h < 24, m < 60, s < 60
        else { return nil }
        seconds += Int64(h * 3600 + m * 60 + s)
        return seconds
    }

    /// `seconds` as `2026-03-29T10:15:00Z`.
    public static func iso(_ seconds: Int64) -> String {
        let day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = Int(seconds - day * 86400)
        return
            "\(CivilTime.isoDate(days: Int(day)))T\(CivilTime.pad(rest / 3600, 2)):\(CivilTime.pad(rest / 60 % 60, 2)):\(CivilTime.pad(rest % 60, 2))Z"
    }
}
