import SillageCore
import SillagePrivacy

/// What parsing one chunk produced.
public struct ChunkResult: Sendable {
    public var events: [Event] = []
    /// Objects interned in this chunk; an event's `object` n > 0 is `objects[n - 1]`.
    public var objects: [Publishable] = []
    public var lines = 0
    public var counts = OutcomeCounts()
    /// Events and skips per local day (records with a readable timestamp).
    public var daily: [Int32: DailyCounts] = [:]
    /// Access logs: what the daily server report counts of every request, per local day.
    public var server: [Int32: ServerDay] = [:]
    /// Access logs: requests of people (not bots) answered 4xx or 5xx, per local day, object
    /// (chunk-local id, as events' objects), status class and person (page views are the
    /// events). Per person in memory only, so that the batch counts the people behind a path
    /// and keeps none that few people requested.
    public var serverObjects: [ServerObjectKey: Int] = [:]
    /// Catalogue entries and memberships read from reference tables.
    public var references: [ReferenceRow] = []
    /// The first few rejects, with chunk-relative line numbers (1-based).
    public var rejectSamples: [RejectSample] = []
    /// The raw bytes of those rejects (first 2 KiB each), for the private reject file only.
    public var rejectedBytes: [[UInt8]] = []

    public init() {}

    package static let maxSamples = 20

    /// Raw identifiers met in this chunk (distinct, in memory only): the PII guard refuses
    /// to publish a cell that contains one.
    public var identifiers: [[UInt8]] = []

    /// Notes a raw identifier for the PII guard. Of a composite key (`homePage ‖ 0 ‖ name`)
    /// only the last part names the person; identifiers of digits only, or shorter than 3
    /// bytes, cannot be told apart from counts and ids and are not noted.
    mutating func noteIdentifier(_ bytes: UnsafeRawBufferPointer) {
        var start = bytes.count
        while start > 0, bytes[start - 1] != 0 { start -= 1 }
        let part = UnsafeRawBufferPointer(rebasing: bytes[start...])
        guard part.count >= 3, part.contains(where: { $0 < 48 || $0 > 57 }) else { return }
        identifiers.append(Array(part))
    }

    /// The result of a chunk that stands for one record over the length limit (its one
    /// reject), or nil for an ordinary chunk.
    static func overlong(_ chunk: LineChunk) -> ChunkResult? {
        guard chunk.isOverlongLine else { return nil }
        var result = ChunkResult()
        result.lines = 1
        result.reject(.lineTooLong, line: 1, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        return result
    }

    mutating func reject(_ reason: RejectReason, line: Int, bytes: UnsafeRawBufferPointer, isStatement: Bool = false) {
        counts[reject: reason] += 1
        if rejectSamples.count < ChunkResult.maxSamples {
            rejectSamples.append(RejectSample(line: line, reason: reason, isStatement: isStatement))
            rejectedBytes.append(Array(bytes.prefix(2048)))
        }
    }
}

/// A day, an object, a status class and a person: what the server report counts requests by.
public struct ServerObjectKey: Hashable, Sendable {
    public var day: Int32
    public var object: UInt32
    public var statusClass: UInt8
    public var actor: ActorKey

    public init(day: Int32, object: UInt32, statusClass: UInt8, actor: ActorKey) {
        self.day = day
        self.object = object
        self.statusClass = statusClass
        self.actor = actor
    }
}

/// A parser that turns a chunk of whole lines into events; one value is shared by all tasks.
public protocol ChunkParser: Sendable {
    func parse(_ chunk: LineChunk) -> ChunkResult
}
