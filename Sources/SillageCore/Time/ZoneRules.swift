import Foundation

/// UTC offsets of one time zone, precomputed so that per-event lookups are a binary search.
///
/// Built once per run from the system's zone data (through Foundation, off the hot path);
/// afterwards immutable and shared by all parsing tasks. Covers 1900–2200, DST included.
public struct ZoneRules: Sendable {
    /// The IANA identifier, e.g. `Europe/Paris`.
    public let identifier: String
    /// Instants (UTC seconds) from which `offsets[i]` applies; `starts[0]` is the range start.
    private let starts: [Int64]
    private let offsets: [Int32]

    /// Loads `identifier`; unknown names are a configuration error.
    public init(identifier: String) throws(SillageError) {
        guard let zone = TimeZone(identifier: identifier) else {
            throw SillageError.configuration(
                "unknown time zone \"\(identifier)\"",
                hint: "use an IANA name such as Europe/Paris or UTC")
        }
        self.identifier = identifier
        var starts: [Int64] = []
        var offsets: [Int32] = []
        let first = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01
        let last = Date(timeIntervalSince1970: 7_258_118_400)  // 2200-01-01
        starts.append(Int64.min)
        offsets.append(Int32(zone.secondsFromGMT(for: first)))
        var cursor = first
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < last {
            let offset = Int32(zone.secondsFromGMT(for: next))
            if offset != offsets.last {
                starts.append(Int64(next.timeIntervalSince1970.rounded()))
                offsets.append(offset)
            }
            cursor = next
        }
        self.starts = starts
        self.offsets = offsets
    }

    /// Fixed-offset rules (used by tests and for `UTC`).
    public init(fixedOffsetSeconds: Int32, identifier: String = "UTC") {
        self.identifier = identifier
        starts = [Int64.min]
        offsets = [fixedOffsetSeconds]
    }

    /// Offset from UTC, in seconds, at a UTC instant.
    @inline(__always)
    public func offset(atUTCSeconds t: Int64) -> Int32 {
        if starts.count == 1 { return offsets[0] }
        var low = 0
        var high = starts.count - 1
        while low < high {
            let mid = (low + high + 1) >> 1
            if starts[mid] <= t { low = mid } else { high = mid - 1 }
        }
        return offsets[low]
    }

    /// Local day number (days since 1970-01-01 in this zone) of a UTC instant in milliseconds.
    @inline(__always)
    public func localDay(utcMillis: Int64) -> Int32 {
        let seconds = utcMillis >= 0 ? utcMillis / 1000 : (utcMillis - 999) / 1000
        let local = seconds &+ Int64(offset(atUTCSeconds: seconds))
        return Int32(clamping: local >= 0 ? local / 86400 : (local - 86399) / 86400)
    }

    /// Local day number and local hour (0–23) of a UTC instant in milliseconds, with one
    /// offset lookup.
    @inline(__always)
    public func localDayAndHour(utcMillis: Int64) -> (day: Int32, hour: Int) {
        let seconds = utcMillis >= 0 ? utcMillis / 1000 : (utcMillis - 999) / 1000
        let local = seconds &+ Int64(offset(atUTCSeconds: seconds))
        let day = local >= 0 ? local / 86400 : (local - 86399) / 86400
        return (Int32(clamping: day), Int((local - day * 86400) / 3600))
    }

    /// The UTC instant (seconds) of a local wall-clock time given in seconds since the local epoch.
    ///
    /// In a repeated hour (DST end) the earlier instant is chosen; in a skipped hour (DST
    /// start) the time is read with the offset in force before the gap, as clocks that were
    /// not yet adjusted would have written it.
    public func utcSeconds(fromLocalSeconds local: Int64) -> Int64 {
        let before = offset(atUTCSeconds: local - 86400)
        let after = offset(atUTCSeconds: local + 86400)
        var best: Int64? = nil
        for candidate in [before, after] {
            let t = local - Int64(candidate)
            if offset(atUTCSeconds: t) == candidate, best.map({ t < $0 }) ?? true { best = t }
        }
        return best ?? (local - Int64(before))
    }

    /// UTC instant (seconds) at which local day `day` begins.
    public func startOfLocalDay(_ day: Int) -> Int64 {
        utcSeconds(fromLocalSeconds: Int64(day) * 86400)
    }
}
