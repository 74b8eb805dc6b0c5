import SillageCore
import SillageDisclosure

/// The privacy-budget ledger (SPEC §6): ε spent per recipient, across exports and runs.
///
/// Each distinct release of a noisy table costs its ε once; publishing byte-identical
/// output again reveals nothing new and costs nothing. The figures an export reports are
/// taken up to its own ledger rows, so re-running an unchanged pipeline reproduces them.
extension Store {
    /// Total ε charged to `recipient`.
    public func epsilonSpent(recipient: String) throws(SillageError) -> Double {
        let q = try database.prepare("SELECT COALESCE(SUM(epsilon), 0) FROM privacy_budget WHERE recipient = ?").bind([.text(recipient)])
        _ = try q.step()
        return q.double(0)
    }

    /// ε spent and releases charged, per recipient in the ledger.
    public func budgetLedger() throws(SillageError) -> [(recipient: String, spent: Double, releases: Int, last: String)] {
        let q = try database.prepare("SELECT recipient, SUM(epsilon), COUNT(*), MAX(at) FROM privacy_budget GROUP BY recipient ORDER BY recipient")
        var out: [(recipient: String, spent: Double, releases: Int, last: String)] = []
        while try q.step() { out.append((q.text(0), q.double(1), Int(q.int(2)), q.text(3))) }
        return out
    }

    /// Total ε charged to every recipient together.
    public func epsilonSpentByStore() throws(SillageError) -> Double {
        let q = try database.prepare("SELECT COALESCE(SUM(epsilon), 0) FROM privacy_budget")
        _ = try q.step()
        return q.double(0)
    }

    /// Charges the releases not charged before, in one transaction, or refuses the lot when
    /// they would take the recipient past `budget`, or all recipients together past
    /// `storeBudget` (nothing is charged then). `recipient` is the recipient's stable id.
    public func charge(
        _ charges: [BudgetCharge], recipient: String, budget: Double, storeBudget: Double, run: Int64?,
        location: String = "$.recipients"
    ) throws(SillageError) -> BudgetPosition {
        try database.transaction { () throws(SillageError) -> BudgetPosition in
            let wasEmpty = try count("privacy_budget") == 0
            let find = try database.prepare(
                """
                SELECT id FROM privacy_budget WHERE recipient = ? AND export = ? AND period = ? AND table_name = ? AND release = ?
                """)
            var rowIDs: [Int64] = []
            var fresh: [BudgetCharge] = []
            for c in charges {
                find.reset()
                find.bind([.text(recipient), .text(c.export), .text(c.period), .text(c.table), .text(c.release)])
                if try find.step() { rowIDs.append(find.int(0)) } else { fresh.append(c) }
            }
            let spent = try epsilonSpent(recipient: recipient)
            let cost = fresh.reduce(0) { $0 + $1.epsilon }
            if spent + cost > budget + 1e-9 {
                let items = fresh.map { "\($0.table) \(formatEpsilon($0.epsilon))" }.joined(separator: ", ")
                throw SillageError.configuration(
                    "privacy budget: recipient \(recipient) has spent ε \(formatEpsilon(spent)) of \(formatEpsilon(budget)); this export would add ε \(formatEpsilon(cost)) (\(items)), which is more than the \(formatEpsilon(max(0, budget - spent))) left; nothing was published",
                    at: location,
                    hint:
                        "lower the tables' epsilon, publish fewer noisy tables, or raise the recipient's epsilonBudget if your data-protection policy allows it; re-publishing an unchanged release costs nothing"
                )
            }
            let storeSpent = try epsilonSpentByStore()
            if storeSpent + cost > storeBudget + 1e-9 {
                throw SillageError.configuration(
                    "privacy budget: all recipients together have spent ε \(formatEpsilon(storeSpent)) of this store's \(formatEpsilon(storeBudget)); this export would add ε \(formatEpsilon(cost)), which is more than the \(formatEpsilon(max(0, storeBudget - storeSpent))) left; nothing was published",
                    at: "$.storeEpsilonBudget",
                    hint:
                        "recipients who compare their tables add up their ε, so the store caps the total; lower the tables' epsilon, or raise storeEpsilonBudget if your data-protection policy allows it"
                )
            }
            let insert = try database.prepare(
                """
                INSERT INTO privacy_budget(recipient, export, period, table_name, epsilon, release, at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for c in fresh {
                insert.reset()
                try insert.bind([
                    .text(recipient), .text(c.export), .text(c.period), .text(c.table), .real(c.epsilon), .text(c.release),
                    .text(Store.now()), run.map { .integer($0) } ?? .null,
                ]).run()
                rowIDs.append(database.lastInsertRowID)
            }
            let through = try database.prepare("SELECT COALESCE(SUM(epsilon), 0) FROM privacy_budget WHERE recipient = ? AND id <= ?")
                .bind([.text(recipient), .integer(rowIDs.max() ?? 0)])
            _ = try through.step()
            var position = BudgetPosition(
                budget: budget, exportEpsilon: charges.reduce(0) { $0 + $1.epsilon }, charged: cost,
                spentThrough: rowIDs.isEmpty ? 0 : through.double(0))
            position.ledgerStartedEmpty = wasEmpty
            let storeThrough = try database.prepare("SELECT COALESCE(SUM(epsilon), 0) FROM privacy_budget WHERE id <= ?")
                .bind([.integer(rowIDs.max() ?? 0)])
            _ = try storeThrough.step()
            position.storeBudget = storeBudget
            position.storeSpentThrough = rowIDs.isEmpty ? 0 : storeThrough.double(0)
            return position
        }
    }
}
