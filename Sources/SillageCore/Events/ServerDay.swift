/// What the daily server report needs of one local day's requests, as counts only: the
/// requests, the bytes served, the requests per status class and per local hour. Every
/// request with a readable timestamp inside the run's window counts, page view or not
/// (bots, static assets, errors): the report is about the servers, not the learners.
public struct ServerDay: Sendable, Equatable {
    public var requests = 0
    /// Response bytes, as the log records them (0 when it does not).
    public var bytes = 0
    /// Requests per status class: 1xx, 2xx, 3xx, 4xx, 5xx, then any other status.
    public var statusClasses = [Int](repeating: 0, count: 6)
    /// Requests per local hour (0–23).
    public var hours = [Int](repeating: 0, count: 24)

    public init() {}

    /// The names of the status classes, by index.
    public static let classNames = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"]

    /// The index of `status`'s class.
    @inline(__always)
    public static func statusClass(_ status: Int) -> Int { status >= 100 && status <= 599 ? status / 100 - 1 : 5 }

    /// Counts one request.
    @inline(__always)
    public mutating func count(status: Int, bytes: Int, hour: Int) {
        requests += 1
        self.bytes += max(bytes, 0)
        statusClasses[ServerDay.statusClass(status)] += 1
        hours[min(max(hour, 0), 23)] += 1
    }

    public mutating func add(_ other: ServerDay) {
        requests += other.requests
        bytes += other.bytes
        for i in statusClasses.indices { statusClasses[i] += other.statusClasses[i] }
        for i in hours.indices { hours[i] += other.hours[i] }
    }

    /// (measure, count) pairs with a non-zero count, for the store's day counts.
    public var named: [(String, Int)] {
        var out: [(String, Int)] = [("server:requests", requests)]
        if bytes > 0 { out.append(("server:bytes", bytes)) }
        for (i, n) in statusClasses.enumerated() where n > 0 { out.append(("server:status:" + ServerDay.classNames[i], n)) }
        for (h, n) in hours.enumerated() where n > 0 { out.append(((h < 10 ? "server:hour:0" : "server:hour:") + String(h), n)) }
        return out
    }

    /// The day read back from the store's measures (other measures are ignored).
    public init(measures: [String: Int]) {
        requests = measures["server:requests"] ?? 0
        bytes = measures["server:bytes"] ?? 0
        for (i, name) in ServerDay.classNames.enumerated() { statusClasses[i] = measures["server:status:" + name] ?? 0 }
        for h in 0..<24 { hours[h] = measures[(h < 10 ? "server:hour:0" : "server:hour:") + String(h)] ?? 0 }
    }
}
