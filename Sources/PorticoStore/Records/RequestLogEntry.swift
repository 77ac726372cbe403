import GRDB
import GRDBSQLite

/// One `/v1` request as the log keeps it. `id` is assigned by the store when
/// the batch commits: `(createdAt << 12) | sequence`, increasing in commit
/// order, so rows and indexes are appended and a time range is an id range.
///
/// `Codable` for the request-log spill file (rows are read and bound by hand, not through Codable).
package struct RequestLogEntry: Sendable, Equatable, Codable, FetchableRecord {
    package var id: Int64 = 0
    package var createdAt: Int64
    package var requestId: String
    package var organizationId: String?
    package var livemode: Bool?
    package var keyId: String?
    package var method: String
    package var path: String
    package var route: String?
    package var status: Int
    package var durationMicroseconds: Int64
    package var ip: String?
    package var userAgent: String?
    package var requestBody: String?
    package var responseBody: String?

    package init(
        createdAt: Int64,
        requestId: String,
        organizationId: String?,
        livemode: Bool?,
        keyId: String?,
        method: String,
        path: String,
        route: String?,
        status: Int,
        durationMicroseconds: Int64,
        ip: String?,
        userAgent: String?,
        requestBody: String? = nil,
        responseBody: String? = nil
    ) {
        self.createdAt = createdAt
        self.requestId = requestId
        self.organizationId = organizationId
        self.livemode = livemode
        self.keyId = keyId
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.durationMicroseconds = durationMicroseconds
        self.ip = ip
        self.userAgent = userAgent
        self.requestBody = requestBody
        self.responseBody = responseBody
    }

    package init(row: Row) {
        id = row["id"]
        createdAt = row["created_at"]
        requestId = row["request_id"]
        organizationId = row["organization_id"]
        livemode = row["livemode"]
        keyId = row["key_id"]
        method = row["method"]
        path = row["path"]
        route = row["route"]
        status = row["status"]
        durationMicroseconds = row["duration_us"]
        ip = row["ip"]
        userAgent = row["user_agent"]
        requestBody = row["request_body"]
        responseBody = row["response_body"]
    }

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

/// An amount of one metric for one tenant, key and hour, added to `usage_buckets`.
package struct UsageIncrement: Sendable, Hashable {
    package var organizationId: String
    package var livemode: Bool
    package var hourStart: Int64
    package var metric: String
    /// '' when not tied to a key.
    package var keyId: String

    package init(organizationId: String, livemode: Bool, hourStart: Int64, metric: String, keyId: String) {
        self.organizationId = organizationId
        self.livemode = livemode
        self.hourStart = hourStart
        self.metric = metric
        self.keyId = keyId
    }
}

/// One request counted in `request_stats`: tenant, hour, status class and latency bucket.
package struct RequestStatIncrement: Sendable, Hashable {
    package var organizationId: String
    package var livemode: Bool
    package var hourStart: Int64
    /// `status / 100`: 2 for 2xx.
    package var statusClass: Int
    package var latencyBucket: Int

    package init(organizationId: String, livemode: Bool, hourStart: Int64, statusClass: Int, latencyBucket: Int) {
        self.organizationId = organizationId
        self.livemode = livemode
        self.hourStart = hourStart
        self.statusClass = statusClass
        self.latencyBucket = latencyBucket
    }
}

/// A tenant's request counts over a time range, by status class and latency bucket.
package struct RequestStatCount: Sendable, Equatable {
    package var statusClass: Int
    package var latencyBucket: Int
    package var count: Int64
}

/// Which rows of a tenant's request logs a list wants.
package struct RequestLogFilter: Sendable, Equatable {
    package var status: Int?
    /// 1 to 5: `2xx` is 2.
    package var statusClass: Int?
    package var method: String?
    package var pathPrefix: String?
    package var keyId: String?
    /// Inclusive lower bound, milliseconds.
    package var since: Int64?
    /// Exclusive upper bound, milliseconds.
    package var until: Int64?

    package init(
        status: Int? = nil,
        statusClass: Int? = nil,
        method: String? = nil,
        pathPrefix: String? = nil,
        keyId: String? = nil,
        since: Int64? = nil,
        until: Int64? = nil
    ) {
        self.status = status
        self.statusClass = statusClass
        self.method = method
        self.pathPrefix = pathPrefix
        self.keyId = keyId
        self.since = since
        self.until = until
    }
}
