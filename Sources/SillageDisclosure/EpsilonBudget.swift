import SillageMetrics

/// One differentially private table release to charge to a recipient's ε budget.
public struct BudgetCharge: Sendable, Equatable {
    public var export: String
    public var period: String
    public var table: String
    public var epsilon: Double
    /// SHA-256 (hex) of the table as published: the same release again costs nothing.
    public var release: String

    public init(export: String, period: String, table: String, epsilon: Double, release: String) {
        self.export = export
        self.period = period
        self.table = table
        self.epsilon = epsilon
        self.release = release
    }
}

/// Where a recipient's budget stands after an export's releases were charged.
public struct BudgetPosition: Sendable, Equatable {
    public var budget: Double
    /// ε of this export's noisy tables (whether charged now or by an identical earlier release).
    public var exportEpsilon: Double
    /// ε actually charged now (0 when every release had been published before).
    public var charged: Double
    /// ε spent by this recipient up to and including this export's releases, and what is left.
    public var spentThrough: Double
    public var left: Double { max(0, budget - spentThrough) }
    /// The store's ledger held nothing before this export: releases made from another store
    /// (or before it was created) are not counted in it.
    public var ledgerStartedEmpty = false
    /// The store's cap on all recipients together, and what they had spent through this
    /// export's releases.
    public var storeBudget = 0.0
    public var storeSpentThrough = 0.0

    package init(budget: Double, exportEpsilon: Double, charged: Double, spentThrough: Double) {
        self.budget = budget
        self.exportEpsilon = exportEpsilon
        self.charged = charged
        self.spentThrough = spentThrough
    }
}

/// ε as people write it: up to 4 decimals, no trailing zeros.
public func formatEpsilon(_ e: Double) -> String { Cell.formatDecimal(e, digits: 4) }
