import SillageCore

/// The language a report is written in, and how it writes numbers, percentages and dates.
///
/// French is the default (the platforms' learners and teams read French): `12 345`,
/// `12,5`, `12,5 %`, `30 mars 2026`, with narrow no-break spaces (U+202F) so that a number
/// never wraps from its unit. English: `12,345`, `12.5`, `12.5%`, `30 March 2026`.
public enum ReportLanguage: String, Sendable, CaseIterable {
    case fr, en

    /// The narrow no-break space French puts between thousands and before `%`.
    static let thinSpace = "\u{202F}"

    /// An integer with its thousands grouped.
    public func integer(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += self == .fr ? Self.thinSpace : "," }
            out.append(c)
        }
        return (value < 0 ? "−" : "") + out
    }

    /// A number with at most `digits` decimals (trailing zeros dropped).
    public func decimal(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded(.toNearestOrAwayFromZero)
        let whole = Int((rounded / scale).rounded(.towardZero))
        var fraction = Int(abs(rounded.truncatingRemainder(dividingBy: scale)))
        var width = digits
        while width > 0 && fraction % 10 == 0 { fraction /= 10; width -= 1 }
        let sign = rounded < 0 && whole == 0 ? "−" : ""
        guard width > 0 else { return sign + integer(whole) }
        var fractionText = String(fraction)
        while fractionText.count < width { fractionText = "0" + fractionText }
        return sign + integer(whole) + (self == .fr ? "," : ".") + fractionText
    }

    /// A share (0…1) as a percentage with at most `digits` decimals.
    public func percent(_ share: Double, digits: Int = 1) -> String {
        decimal(share * 100, digits: digits) + (self == .fr ? Self.thinSpace + "%" : "%")
    }

    /// A number of bytes in decimal units: `12,5 Mo`, `12.5 MB` (one decimal from kilo on).
    public func bytes(_ n: Int) -> String {
        let units = self == .fr ? ["o", "ko", "Mo", "Go", "To"] : ["B", "kB", "MB", "GB", "TB"]
        var value = Double(max(n, 0))
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return decimal(value, digits: unit == 0 ? 0 : 1) + (self == .fr ? Self.thinSpace : " ") + units[unit]
    }

    /// A local day (days since 1970-01-01) written out: `30 mars 2026`, `30 March 2026`.
    public func date(_ day: Int32) -> String {
        let (y, m, d) = CivilTime.date(days: Int(day))
        // French writes the first of the month as an ordinal: 1er avril.
        return "\(d)\(self == .fr && d == 1 ? "er" : "") \(monthNames[m - 1]) \(y)"
    }

    /// A local day in short form: `30/03/2026`, `2026-03-30`.
    public func shortDate(_ day: Int32) -> String {
        let (y, m, d) = CivilTime.date(days: Int(day))
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return self == .fr ? "\(two(d))/\(two(m))/\(y)" : "\(y)-\(two(m))-\(two(d))"
    }

    var monthNames: [String] {
        switch self {
        case .fr: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
        case .en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        }
    }
}
