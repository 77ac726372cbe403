import GRDB
import GRDBSQLite

/// A row's columns read by position: GRDB's `Row` on the cold paths, or the
/// current row of a statement the hot reads step themselves (`RawRow`). A
/// record reads itself from either through one initializer
/// (`init(columns:)`), so its column order is spelled once.
package protocol PositionalColumns {
    /// The text of column `index`, nil for NULL.
    func text(_ index: Int32) -> String?
    /// The integer of column `index`, nil for NULL.
    func integer(_ index: Int32) -> Int64?
}

/// Typed reads. A non-optional type is for a NOT NULL column only: the
/// schema guarantees a value, and NULL would read as `""`, 0 or false (GRDB's
/// `row[i]` stopped the process instead). A nullable column must be read
/// into an optional type, which has its own overload for each kind.
extension PositionalColumns {
    subscript(_ index: Int32) -> String? { text(index) }
    subscript(_ index: Int32) -> String { text(index) ?? "" }
    subscript(_ index: Int32) -> Int64? { integer(index) }
    subscript(_ index: Int32) -> Int64 { integer(index) ?? 0 }
    subscript(_ index: Int32) -> Int? { integer(index).map(Int.init) }
    subscript(_ index: Int32) -> Int { Int(integer(index) ?? 0) }
    subscript(_ index: Int32) -> Bool? { integer(index).map { $0 != 0 } }
    subscript(_ index: Int32) -> Bool { (integer(index) ?? 0) != 0 }
}

/// GRDB's row, for the query interface's reads of a positional record.
struct GRDBRowColumns: PositionalColumns {
    let row: Row

    func text(_ index: Int32) -> String? { row[Int(index)] }
    func integer(_ index: Int32) -> Int64? { row[Int(index)] }
}

/// The current row of a statement stepped by hand (`Statement.rows`): valid
/// only inside the `make` closure it is passed to, since the next step (or
/// the reset after the last) changes what it reads. Make a value from it
/// there; never keep it.
///
/// Text is read with its byte length, so text holding a NUL byte reads
/// whole (GRDB's `String` decoding stops at the first NUL).
///
/// Reads go straight to SQLite's C API: GRDB's `Row` and record cursor cost a
/// list request more than SQLite's own work on it (generic metadata lookups, a
/// `strlen` and a copy per text column; issue 17's profile).
struct RawRow: PositionalColumns {
    fileprivate let handle: SQLiteStatement

    func text(_ index: Int32) -> String? {
        // `sqlite3_column_text` before `sqlite3_column_bytes`, as SQLite asks.
        guard let bytes = sqlite3_column_text(handle, index) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, index))), as: UTF8.self)
    }

    func integer(_ index: Int32) -> Int64? {
        sqlite3_column_type(handle, index) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, index)
    }
}

extension Statement {
    /// Runs this (read) statement with `arguments` and makes one value per row
    /// (`make` must not keep the `RawRow`; see there).
    ///
    /// Steps it through the C API, past GRDB's per-row machinery. Only for
    /// reads on a reader connection: GRDB's statement bookkeeping (transaction
    /// observers, read-only checks) is not needed there, and is skipped.
    func rows<Value>(arguments: StatementArguments, _ make: (RawRow) -> Value) throws -> [Value] {
        try setArguments(arguments)  // resets the statement and binds, checking the count
        let handle = sqliteStatement
        defer { sqlite3_reset(handle) }
        var values: [Value] = []
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW: values.append(make(RawRow(handle: handle)))
            case SQLITE_DONE: return values
            case let code:
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))),
                    sql: sql
                )
            }
        }
    }
}
