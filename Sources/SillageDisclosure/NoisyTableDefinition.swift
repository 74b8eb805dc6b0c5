import SillageCore

/// Differential privacy for one table of an export: its ε and the bounds on what one person
/// may contribute (which set the noise scale).
public struct NoisyTableDefinition: Sendable, Equatable {
    public var table: String
    public var epsilon: Double
    /// Rows one person may count in; beyond, their contribution to further rows is dropped.
    public var maxRowsPerActor = 10
    /// What one person may add to one count cell (sessions, views); distinct-person counts add 1.
    public var maxPerCell = 5
    /// The probability, at most, that a row only one person is behind is published at all
    /// (partition selection): rows follow the data, so their presence must be protected too.
    public var delta = 1e-6
    /// Partition selection on; off only in attack tests, to show what it stops.
    package var partitionSelection = true

    public init(table: String, epsilon: Double, maxRowsPerActor: Int = 10, maxPerCell: Int = 5) {
        self.table = table
        self.epsilon = epsilon
        self.maxRowsPerActor = maxRowsPerActor
        self.maxPerCell = maxPerCell
    }

    package static func parse(_ r: JSONObjectReader, tables: [String]) throws(SillageError) -> NoisyTableDefinition {
        let table = try r.requiredString("table")
        guard tables.contains(table) else {
            throw SillageError.configuration(
                "\"\(table)\" is not one of this export's tables", at: r.location("table"),
                hint: "the export publishes \(tables.joined(separator: ", "))")
        }
        guard let epsilon = try r.double("epsilon", in: 0.001...10) else {
            throw SillageError.configuration("missing required key (the ε spent on this table, e.g. 0.5)", at: r.location("epsilon"))
        }
        var d = NoisyTableDefinition(table: table, epsilon: epsilon)
        if let m = try r.int("maxRowsPerActor", in: 1...10_000) { d.maxRowsPerActor = Int(m) }
        if let c = try r.int("maxPerCell", in: 1...10_000) { d.maxPerCell = Int(c) }
        if let delta = try r.double("delta", in: 1e-12...1e-2) { d.delta = delta }
        try r.finish()
        return d
    }
}
