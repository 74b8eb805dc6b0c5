import CSQLite
import SillageCore

/// A thin, typed layer over the SQLite C API; errors carry the statement and the file.
public final class SQLiteDatabase {
    public let path: String
    fileprivate var handle: OpaquePointer?

    /// Opens (or creates) the database at `path` in WAL mode.
    public init(path: String, readOnly: Bool = false) throws(SillageError) {
        self.path = path
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let status = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "status \(status)"
            sqlite3_close(handle)
            handle = nil
            throw SillageError.runtime(
                "cannot open the store: \(message)", at: path,
                hint: "check that the directory exists and is writable")
        }
        sqlite3_busy_timeout(handle, 5000)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=NORMAL")
            // A 64 MiB page cache keeps a night's batch of sessions in memory while it is inserted.
            try execute("PRAGMA cache_size=-65536")
            try execute("PRAGMA temp_store=MEMORY")
            try execute("PRAGMA foreign_keys=ON")
            // Deleted rows (an erasure, a value rewritten) are overwritten, not left in free pages.
            try execute("PRAGMA secure_delete=ON")
        }
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    func failure(_ what: String, _ sql: String? = nil) -> SillageError {
        let message = String(cString: sqlite3_errmsg(handle))
        let code = sqlite3_extended_errcode(handle)
        var hint: String? = nil
        if code & 0xff == SQLITE_FULL {
            hint =
                "the disk is full; free space and run again (the batch being committed was rolled back; the next run resumes after the last batch committed)"
        }
        if code & 0xff == SQLITE_READONLY || code & 0xff == SQLITE_CANTOPEN || code & 0xff == SQLITE_PERM {
            hint = "the store's directory must be writable"
        }
        return SillageError.runtime("\(what): \(message)" + (sql.map { " [\($0.prefix(60))]" } ?? ""), at: path, hint: hint)
    }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws(SillageError) {
        var error: UnsafeMutablePointer<CChar>? = nil
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        if status != SQLITE_OK {
            sqlite3_free(error)
            throw failure("store statement failed", sql)
        }
    }

    /// Prepares a statement for repeated use.
    public func prepare(_ sql: String) throws(SillageError) -> SQLiteStatement {
        var statement: OpaquePointer? = nil
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw failure("cannot prepare a store statement", sql)
        }
        return SQLiteStatement(database: self, statement: statement, sql: sql)
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws(SillageError) -> T) throws(SillageError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A prepared statement; bind by 1-based index, step, read columns by 0-based index.
public final class SQLiteStatement {
    private let database: SQLiteDatabase
    private let statement: OpaquePointer
    private let sql: String

    fileprivate init(database: SQLiteDatabase, statement: OpaquePointer, sql: String) {
        self.database = database
        self.statement = statement
        self.sql = sql
    }

    deinit { sqlite3_finalize(statement) }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public enum Value {
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob([UInt8])
        case null
    }

    /// Binds values to parameters 1...n, after a reset.
    @discardableResult
    public func bind(_ values: [Value]) -> SQLiteStatement {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .integer(let v): sqlite3_bind_int64(statement, index, v)
            case .real(let v): sqlite3_bind_double(statement, index, v)
            case .text(let v): sqlite3_bind_text(statement, index, v, -1, SQLiteStatement.transient)
            case .blob(let v):
                v.withUnsafeBytes { raw in
                    _ = sqlite3_bind_blob(statement, index, raw.baseAddress, Int32(raw.count), SQLiteStatement.transient)
                }
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        return self
    }

    /// Binds an actor key as a 16-byte blob, without building an array.
    public func bindActor(_ index: Int32, _ actor: ActorKey) {
        var bytes = (actor.high.bigEndian, actor.low.bigEndian)
        withUnsafeBytes(of: &bytes) { raw in
            _ = sqlite3_bind_blob(statement, index, raw.baseAddress, 16, SQLiteStatement.transient)
        }
    }

    public func bindInt(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(statement, index, value) }
    public func bindText(_ index: Int32, _ value: String) {
        sqlite3_bind_text(statement, index, value, -1, SQLiteStatement.transient)
    }
    public func reset() { sqlite3_reset(statement) }

    /// Runs a statement that returns no rows.
    public func run() throws(SillageError) {
        let status = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard status == SQLITE_DONE || status == SQLITE_ROW else {
            throw database.failure("store write failed", sql)
        }
    }

    /// Steps to the next row; false when there is none.
    public func step() throws(SillageError) -> Bool {
        let status = sqlite3_step(statement)
        if status == SQLITE_ROW { return true }
        if status == SQLITE_DONE { sqlite3_reset(statement); return false }
        sqlite3_reset(statement)
        throw database.failure("store read failed", sql)
    }

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    public func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: p)
    }
    public func actor(_ column: Int32) -> ActorKey {
        guard sqlite3_column_bytes(statement, column) == 16, let p = sqlite3_column_blob(statement, column) else {
            return ActorKey(high: 0, low: 0)
        }
        return ActorKey(digest: p)
    }
}
