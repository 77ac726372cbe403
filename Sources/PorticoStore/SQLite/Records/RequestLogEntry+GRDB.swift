import Foundation
import GRDB
import GRDBSQLite
import PorticoCore

extension RequestLogEntry: FetchableRecord {
    package init(row: Row) { self.init(columns: GRDBRowColumns(row: row)) }

    /// By position: every read selects `columns`, in that order.
    init(columns row: some PositionalColumns) {
        self.init(
            id: row[0],
            createdAt: row[1],
            requestId: row[2],
            organizationId: row[3],
            livemode: row[4],
            keyId: row[5],
            method: row[6],
            path: row[7],
            route: row[8],
            status: row[9],
            durationMicroseconds: row[10],
            ip: row[11],
            userAgent: row[12],
            requestBody: row[13],
            responseBody: row[14]
        )
    }
}

extension RequestLogEntry {
    /// What every read of a log row selects, in the order `init(row:)` reads.
    static let columns =
        "id, created_at, request_id, organization_id, livemode, key_id, method, path, route, status, duration_us, ip, user_agent, request_body, response_body"

    /// Runs the prepared `INSERT … (columns) VALUES (?, …)` for this row.
    ///
    /// Binds straight through the SQLite C API: this runs for every logged
    /// request (tens of thousands a second under load), and GRDB's
    /// `StatementArguments` would box each of the fifteen values first.
    func insert(as id: Int64, with statement: Statement) throws {
        let handle = statement.sqliteStatement
        sqlite3_clear_bindings(handle)
        defer { sqlite3_reset(handle) }
        sqlite3_bind_int64(handle, 1, id)
        sqlite3_bind_int64(handle, 2, createdAt)
        Self.bind(requestId, handle, 3)
        Self.bind(organizationId, handle, 4)
        if let livemode { sqlite3_bind_int64(handle, 5, livemode ? 1 : 0) }
        Self.bind(keyId, handle, 6)
        Self.bind(method, handle, 7)
        Self.bind(path, handle, 8)
        Self.bind(route, handle, 9)
        sqlite3_bind_int64(handle, 10, Int64(status))
        sqlite3_bind_int64(handle, 11, durationMicroseconds)
        Self.bind(ip, handle, 12)
        Self.bind(userAgent, handle, 13)
        Self.bind(requestBody, handle, 14)
        Self.bind(responseBody, handle, 15)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))
        }
    }

    /// SQLITE_TRANSIENT: SQLite copies the text before `bind` returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ text: String?, _ handle: SQLiteStatement, _ index: Int32) {
        guard var text else { return }  // cleared bindings are NULL
        // An empty buffer may have no address, and a NULL pointer would bind NULL, not ''.
        guard !text.isEmpty else {
            _ = sqlite3_bind_text(handle, index, "", 0, transient)
            return
        }
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                _ = sqlite3_bind_text(handle, index, chars.baseAddress, Int32(chars.count), transient)
            }
        }
    }
}
