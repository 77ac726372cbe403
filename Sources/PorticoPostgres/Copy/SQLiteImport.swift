import Crypto
import Foundation
import GRDB
import Logging
import PorticoStore
import PostgresNIO

/// `portico migrate --from sqlite:PATH --to postgres://…`: copies a SQLite
/// database, live or not, into an empty PostgreSQL one, so a team moves
/// across with its whole history.
///
/// - **One snapshot.** Every table is read inside one SQLite read transaction
///   (a GRDB `DatabaseSnapshot`), so a server still writing to the file cannot
///   make the copy inconsistent: rows committed after the snapshot are simply
///   not in it (stop the servers first to copy everything).
/// - **All or nothing.** Everything is written in one PostgreSQL transaction;
///   a failure leaves the target as it was, empty, to try again.
/// - **Driven by the target's catalog.** The tables, columns, types, primary
///   and foreign keys come from PostgreSQL after its migrations ran; each
///   SQLite value is converted to its column's type (0/1 to a boolean, a blob
///   to bytea). A SQLite table or column the target lacks stops the copy
///   rather than dropping data. SQLite's request-log partitions
///   (`request_logs_YYYYMMDDHH`) all go into the partitioned `request_logs`.
/// - **Verified.** Each table's rows are counted and digested (the sum of every
///   row's SHA-256 prefix, so order does not matter) as they are read from
///   SQLite, and again by reading the copy back from PostgreSQL before the
///   transaction commits; any difference rolls it back.
package struct SQLiteImport: Sendable {
    /// What one target table received.
    package struct TableResult: Sendable, Equatable, CustomStringConvertible {
        package var table: String
        package var rows: Int
        /// Order-independent digest of the rows: the wrapping sum of the first 8 bytes of each row's SHA-256.
        package var checksum: UInt64

        package var description: String { "\(table): \(rows) rows, checksum \(String(checksum, radix: 16))" }
    }

    package enum Failure: Error, CustomStringConvertible {
        case sourceMissing(String)
        case sourceNotCurrent(pending: [String], unknown: [String])
        case targetNotEmpty(table: String)
        case unknownTable(String)
        case columnsDiffer(table: String, onlyInSource: [String], onlyInTarget: [String])
        case unconvertible(table: String, column: String, type: String, value: String)
        case verification(expected: TableResult, found: TableResult)

        package var description: String {
            switch self {
            case .sourceMissing(let path): "no SQLite database at \(path)"
            case .sourceNotCurrent(let pending, let unknown):
                unknown.isEmpty
                    ? "the SQLite database is not at the current schema (pending: \(pending.joined(separator: ", "))); run `portico migrate` on it first"
                    : "the SQLite database is newer than this build (it has \(unknown.joined(separator: ", ")))"
            case .targetNotEmpty(let table): "the PostgreSQL database is not empty (\(table) has rows); copy into a new database"
            case .unknownTable(let table): "the SQLite table \(table) has no PostgreSQL counterpart; nothing was copied"
            case .columnsDiffer(let table, let source, let target):
                "\(table) differs between the engines (only in SQLite: \(source.joined(separator: ", ")); only in PostgreSQL: \(target.joined(separator: ", ")))"
            case .unconvertible(let table, let column, let type, let value): "\(table).\(column): cannot store \(value) as \(type)"
            case .verification(let expected, let found): "verification failed: read \(expected), but PostgreSQL holds \(found)"
            }
        }
    }

    package let sqlitePath: String
    package let target: PostgresStore
    /// The width of the target's request-log partitions (`request_logs.partition_hours`).
    package let partitionWidth: Int64
    /// Rows per INSERT (fewer for wide tables: a statement takes at most 65,535 parameters).
    package var batchRows = 1_000
    /// Told each table as it starts and every ~50,000 rows.
    package let progress: @Sendable (String) -> Void

    package init(sqlitePath: String, target: PostgresStore, partitionWidth: Int64, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.sqlitePath = sqlitePath
        self.target = target
        self.partitionWidth = partitionWidth
        self.progress = progress
    }

    /// Copies everything; returns each target table's count and checksum, verified.
    package func run() async throws -> [TableResult] {
        guard FileManager.default.fileExists(atPath: sqlitePath) else { throw Failure.sourceMissing(sqlitePath) }
        let plan = try SQLiteStore.migrationPlan(at: sqlitePath)
        guard plan.pending.isEmpty, plan.unknown.isEmpty else { throw Failure.sourceNotCurrent(pending: plan.pending, unknown: plan.unknown) }
        let pool = try DatabasePool(path: sqlitePath)
        let snapshot = try pool.makeSnapshot()
        try await target.migrate()
        let tables = try await target.read { connection in try await TargetCatalog.load(connection, logger: target.logger) }
        let sources = try await snapshot.read { db in try Self.sourceTables(db, catalog: tables) }
        // Partitions are DDL of their own, outside the copy's transaction (an empty partition is harmless).
        if let range = try await snapshot.read({ db in try Self.requestLogTimes(db, sources: (sources["request_logs"] ?? []).map(\.name)) }) {
            try await target.createRequestLogPartitions(from: range.lowerBound, through: range.upperBound, width: partitionWidth)
        }
        return try await target.write(bounded: false) { connection in
            for table in tables {
                if try await connection.value(
                    Bool.self,
                    PostgresQuery(unsafeSQL: "SELECT EXISTS (SELECT 1 FROM \(table.name))"),
                    logger: target.logger
                )
                    == true
                {
                    throw Failure.targetNotEmpty(table: table.name)
                }
            }
            var results: [TableResult] = []
            for (index, whole) in tables.enumerated() {
                progress("[\(index + 1)/\(tables.count)] \(whole.name)")
                var copied = TableResult(table: whole.name, rows: 0, checksum: 0)
                let tableSources = sources[whole.name] ?? []
                var table = whole
                if let columns = tableSources.first?.columns { table.columns.removeAll { !columns.contains($0.name) } }
                var counted = 0
                for source in tableSources {
                    try await copy(source.name, into: table, from: snapshot, connection, &copied)
                    // Counted apart from the paging, in the same snapshot: a row the paging skipped shows.
                    counted += try await snapshot.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(source.name)") ?? 0 }
                }
                guard counted == copied.rows else {
                    throw Failure.verification(expected: TableResult(table: whole.name, rows: counted, checksum: copied.checksum), found: copied)
                }
                try await table.restartIdentities(connection, logger: target.logger)
                let found = try await table.digest(connection, logger: target.logger)
                guard found == copied else { throw Failure.verification(expected: copied, found: found) }
                results.append(copied)
            }
            return results
        }
    }

    /// Each target table's SQLite sources: itself, or for `request_logs` every partition.
    private static func sourceTables(_ db: Database, catalog: [TargetTable]) throws -> [String: [(name: String, columns: Set<String>)]] {
        let names = try String.fetchAll(
            db,
            sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations' ORDER BY name"
        )
        let byName = Dictionary(uniqueKeysWithValues: catalog.map { ($0.name, $0) })
        var sources: [String: [(name: String, columns: Set<String>)]] = [:]
        for name in names {
            let parent = RequestLogPartition.start(name: name) != nil ? "request_logs" : name
            guard let table = byName[parent] else { throw Failure.unknownTable(name) }
            let columns = Set(try Row.fetchAll(db, sql: "PRAGMA table_info(\(name))").map { $0["name"] as String })
            let wanted = Set(table.columns.map(\.name))
            // Columns only PostgreSQL has (a delivery's lease) start at their defaults; one only SQLite has would be lost.
            guard columns.isSubset(of: wanted) else {
                throw Failure.columnsDiffer(
                    table: name,
                    onlyInSource: columns.subtracting(wanted).sorted(),
                    onlyInTarget: wanted.subtracting(columns).sorted()
                )
            }
            sources[parent, default: []].append((name, columns))
        }
        return sources
    }

    private static func requestLogTimes(_ db: Database, sources: [String]) throws -> ClosedRange<Int64>? {
        var range: ClosedRange<Int64>?
        for source in sources {
            guard let row = try Row.fetchOne(db, sql: "SELECT min(created_at), max(created_at) FROM \(source)"),
                let low: Int64 = row[0], let high: Int64 = row[1]
            else { continue }
            range = range.map { min($0.lowerBound, low)...max($0.upperBound, high) } ?? low...high
        }
        return range
    }

    /// Copies one SQLite table in key order, a batch at a time, adding its rows to `copied`.
    private func copy(
        _ source: String,
        into table: TargetTable,
        from snapshot: DatabaseSnapshot,
        _ connection: PostgresConnection,
        _ copied: inout TableResult
    ) async throws {
        let rowsPerBatch = max(1, min(batchRows, 65_535 / table.columns.count))
        let columnList = table.columns.map(\.name).joined(separator: ", ")
        let key = table.primaryKey.joined(separator: ", ")
        var after: [DatabaseValue]?
        var laterUpdates: [(key: [Cell], values: [Cell])] = []
        while true {
            let bound = after
            // GRDB's rows are not Sendable, so this is the snapshot's synchronous read: this
            // command's own thread waits on the SQLite read, as the copy must anyway.
            let rows = try snapshot.read { db in
                let condition = bound.map { _ in "WHERE (\(key)) > (\(table.primaryKey.map { _ in "?" }.joined(separator: ", ")))" } ?? ""
                return try Row.fetchAll(
                    db,
                    sql: "SELECT \(columnList) FROM \(source) \(condition) ORDER BY \(key) LIMIT \(rowsPerBatch)",
                    arguments: StatementArguments(bound ?? [])
                )
            }
            guard !rows.isEmpty else { break }
            var bindings = PostgresBindings(capacity: rows.count * table.columns.count)
            var tuples: [String] = []
            tuples.reserveCapacity(rows.count)
            for row in rows {
                var cells: [Cell] = []
                cells.reserveCapacity(table.columns.count)
                for (index, column) in table.columns.enumerated() {
                    cells.append(try column.cell(row[index], table: table.name))
                }
                copied.add(cells)
                var placeholders: [String] = []
                for (index, column) in table.columns.enumerated() {
                    placeholders.append("$\(bindings.count + 1)::\(column.type)")
                    // A reference to a row of the same table may point at one not copied yet: set afterwards.
                    column.bind(table.selfReferences.contains(column.name) ? .null : cells[index], to: &bindings)
                }
                tuples.append("(\(placeholders.joined(separator: ", ")))")
                // Every self-reference column's value, in column order (NULLs too, so each keeps its column).
                let referencing = table.columns.indices.filter { table.selfReferences.contains(table.columns[$0].name) }
                if referencing.contains(where: { cells[$0] != .null }) {
                    laterUpdates.append((table.primaryKeyIndices.map { cells[$0] }, referencing.map { cells[$0] }))
                }
            }
            try await connection.run(
                PostgresQuery(unsafeSQL: "INSERT INTO \(table.name) (\(columnList)) VALUES \(tuples.joined(separator: ", "))", binds: bindings),
                logger: target.logger
            )
            let previous = copied.rows - rows.count
            if copied.rows / 50_000 > previous / 50_000 { progress("  \(table.name): \(copied.rows) rows") }
            after = table.primaryKeyIndices.map { rows.last![$0] }
        }
        try await table.setSelfReferences(laterUpdates, connection, logger: target.logger)
    }
}

/// One value on its way across, in the target column's type.
enum Cell: Equatable {
    case null
    case integer(Int64)
    case boolean(Bool)
    case double(Double)
    case text(String)
    case bytes([UInt8])

    /// The value's canonical bytes for the checksum: a tag, then the value, unambiguous within a row.
    func append(to data: inout [UInt8]) {
        switch self {
        case .null: data.append(0x4E)
        case .integer(let value):
            data.append(0x49)
            data.append(contentsOf: String(value).utf8)
            data.append(0)
        case .boolean(let value): data.append(value ? 0x54 : 0x46)
        case .double(let value):
            data.append(0x44)
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        case .text(let value):
            data.append(0x53)
            withUnsafeBytes(of: UInt64(value.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: value.utf8)
        case .bytes(let value):
            data.append(0x42)
            withUnsafeBytes(of: UInt64(value.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: value)
        }
    }
}

extension SQLiteImport.TableResult {
    /// Counts one row into the digest.
    mutating func add(_ cells: [Cell]) {
        var bytes: [UInt8] = []
        for cell in cells { cell.append(to: &bytes) }
        let digest = SHA256.hash(data: bytes)
        let prefix = digest.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        rows += 1
        checksum &+= UInt64(littleEndian: prefix)
    }
}
