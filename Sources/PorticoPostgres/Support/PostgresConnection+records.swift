import Logging
import NIOCore
import PorticoStore
import PostgresNIO

/// The few shapes every method of the engine needs: rows as records, one
/// value, an insert or update built from a record's coding keys.
extension PostgresConnection {
    /// `query`, refused on a closed connection: PostgresNIO never answers a statement written
    /// to one (the watchdog closed it under a late operation, or the server went), and every
    /// statement of the store goes through here or `run`.
    @discardableResult
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw StoreError.unavailable("the connection to the database was closed") }
        return try await self.query(query, logger: logger)
    }

    /// Every row of `query` as a `T`.
    func all<T: Decodable>(_ type: T.Type, _ query: PostgresQuery, logger: Logger) async throws -> [T] {
        var records: [T] = []
        for try await row in try await rows(query, logger: logger) {
            records.append(try RowCoding.decode(T.self, from: row))
        }
        return records
    }

    /// The first row of `query` as a `T`, nil when there is none.
    func one<T: Decodable>(_ type: T.Type, _ query: PostgresQuery, logger: Logger) async throws -> T? {
        try await all(type, query, logger: logger).first
    }

    /// The first column of every row.
    func column<T: PostgresDecodable>(_ type: T.Type, _ query: PostgresQuery, logger: Logger) async throws -> [T] {
        var values: [T] = []
        for try await row in try await rows(query, logger: logger) {
            values.append(try row.decode(T.self))
        }
        return values
    }

    /// The first column of the first row; nil when there is no row (or it is NULL, for an optional `T`).
    func value<T: PostgresDecodable>(_ type: T.Type, _ query: PostgresQuery, logger: Logger) async throws -> T? {
        try await column(type, query, logger: logger).first
    }

    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        guard !isClosed else { throw StoreError.unavailable("the connection to the database was closed") }
        // The async row sequence hides the command tag; the future-based query keeps it.
        let result: EventLoopFuture<PostgresQueryResult> = self.query(query, logger: logger)
        return try await result.get().metadata.rows ?? 0
    }

    /// `INSERT INTO table (…) VALUES (…)` of every coded property of `record`, plus `suffix` (`ON CONFLICT …`).
    @discardableResult
    func insert<T: Encodable>(_ record: T, into table: String, suffix: String = "", logger: Logger) async throws -> Int {
        let (columns, bindings) = try RowCoding.encode(record)
        let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
        let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders)) \(suffix)"
        return try await run(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }

    /// `UPDATE table SET … WHERE key = …` of every coded property of `record` but the key.
    @discardableResult
    func update<T: Encodable>(_ record: T, in table: String, key: String = "id", logger: Logger) async throws -> Int {
        let (columns, bindings) = try RowCoding.encode(record)
        guard let keyIndex = columns.firstIndex(of: key) else { preconditionFailure("\(T.self) has no \(key)") }
        let assignments = columns.enumerated().filter { $0.offset != keyIndex }.map { "\($0.element) = $\($0.offset + 1)" }
        let sql = "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(key) = $\(keyIndex + 1)"
        return try await run(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }
}

extension PostgresConnection {
    /// One cursor page of `table`'s rows matching `condition`, ordered by a time-sortable id,
    /// newest first (oldest first read back for `ending_before`), as SQLite's `page` does.
    func page<T: Decodable>(
        _ type: T.Type,
        from table: String,
        where condition: PostgresQuery,
        id: String = "id",
        page: PageRequest,
        logger: Logger
    ) async throws -> Page<T> {
        var query = condition
        query.sql = "SELECT * FROM \(table) WHERE (\(condition.sql))"
        let ascending = page.endingBefore != nil
        if let before = page.endingBefore {
            query.binds.append(before)
            query.sql += " AND \(id) > $\(query.binds.count)"
        } else if let after = page.startingAfter {
            query.binds.append(after)
            query.sql += " AND \(id) < $\(query.binds.count)"
        }
        query.binds.append(Int64(page.limit + 1))
        query.sql += " ORDER BY \(id) \(ascending ? "ASC" : "DESC") LIMIT $\(query.binds.count)"
        return Page(rows: try await all(T.self, query, logger: logger), limit: page.limit, ascending: ascending)
    }
}
