import SillageCore
import SillagePrivacy

extension Store {
    /// Checks every stored value from the inputs again with `check` and rewrites those it
    /// changes, in one transaction; returns how many distinct values were rewritten.
    ///
    /// A run learns names as it reads: a value stored before the name was met (an earlier
    /// file, an earlier run) may hold it. Such a row is re-keyed under the checked value and
    /// merged as a batch commit would merge it (`StoredFact.upsert`), so counts stay exact.
    /// Deleted cells are overwritten (`secure_delete`), so the old text leaves the file.
    public func rewriteValues(_ check: (Publishable) -> Publishable) throws(SillageError) -> Int {
        var rewritten = 0
        try database.transaction { () throws(SillageError) in
            for fact in StoredFact.all where !fact.values.isEmpty {
                let columns = try tableColumns(fact.table)
                for column in fact.values {
                    let q = try database.prepare("SELECT DISTINCT \(column) FROM \(fact.table)")
                    var changes: [(old: String, new: String)] = []
                    while try q.step() {
                        let old: Publishable = q.value(0)
                        let new = check(old)
                        if new != old { changes.append((old.text, new.text)) }
                    }
                    let list = columns.joined(separator: ", ")
                    let selected = columns.map { $0 == column ? "?" : $0 }.joined(separator: ", ")
                    let move = try database.prepare(
                        "INSERT INTO \(fact.table)(\(list)) SELECT \(selected) FROM \(fact.table) WHERE \(column) = ? \(fact.upsert)")
                    let drop = try database.prepare("DELETE FROM \(fact.table) WHERE \(column) = ?")
                    for change in changes {
                        try move.bind([.text(change.new), .text(change.old)]).run()
                        try drop.bind([.text(change.old)]).run()
                    }
                    rewritten += changes.count
                }
            }
        }
        return rewritten
    }

    /// The columns of `table`, in schema order.
    func tableColumns(_ table: String) throws(SillageError) -> [String] {
        let q = try database.prepare("SELECT name FROM pragma_table_info('\(table)')")
        var out: [String] = []
        while try q.step() { out.append(q.text(0)) }
        return out
    }
}
