import Foundation
import GRDB
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The only gateway to Portico's SQLite file.
///
/// One `SQLiteStore` owns the single `DatabasePool` (one writer, a pool of WAL
/// readers). Every method is exactly one read or one write transaction, so
/// callers never hold a transaction open across an `await`.
package final class SQLiteStore: Sendable {
    let pool: DatabasePool
    package let configuration: StoreConfiguration
    /// Fired after every commit that queued webhook deliveries (the dispatcher waits on it).
    package let deliveriesQueued = WakeSignal()
    package let mailQueued = WakeSignal()
    /// Whether writes are succeeding (full disk, I/O errors); `/readyz` reads it.
    package let health = StorageHealth()
    /// Set by the first `close()`; a second one does nothing (the pool must not be touched once closed).
    private let closed = Mutex(false)
    /// The request-log partitions and the schema version they were read at (`partitions(_:width:)`).
    let partitionCache = Mutex<PartitionList?>(nil)

    struct PartitionList {
        var version: Int64
        var width: Int64
        var partitions: [RequestLogPartitionInfo]
    }

    /// Opens (creating if needed) the database file and applies pending migrations
    /// unless `migrate` is false.
    package init(configuration: StoreConfiguration, migrate: Bool = true) throws {
        self.configuration = configuration
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(Double(configuration.busyTimeoutMilliseconds) / 1_000)
        config.maximumReaderCount = max(1, configuration.readerCount)
        let synchronous = configuration.synchronous.rawValue
        config.prepareDatabase { db in
            // Debian's SQLite defaults WAL databases to FULL: always set it explicitly.
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        let url = URL(fileURLWithPath: configuration.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        self.pool = try DatabasePool(path: configuration.path, configuration: config)
        // GRDB sets NORMAL on the writer after enabling WAL, after prepareDatabase ran;
        // the single writer connection lives as long as the pool, so set it once more here.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        if migrate {
            try self.migrate()
        }
    }

    /// The schema version this build expects (the last migration's identifier).
    package static var currentSchemaVersion: String { Migrations.current }

    /// Applies pending migrations; returns the identifiers applied.
    @discardableResult
    package func migrate() throws -> [String] {
        let unknown = try unknownMigrations()
        guard unknown.isEmpty else { throw StoreError.schemaNewer(unknown: unknown) }
        let before = try pool.read { try Migrations.migrator().appliedIdentifiers($0) }
        try Migrations.migrator().migrate(pool)
        let applied = Migrations.identifiers.filter { !before.contains($0) }
        // A migration may have dropped rows that held secrets: empty the WAL, which still has their old pages.
        if !applied.isEmpty { _ = try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
        return applied
    }

    /// What `migrate()` would apply to the database at `path`, and the migrations it has
    /// that this build does not know, read through a read-only connection: a dry run
    /// writes nothing, not even the WAL switch or a key file.
    package static func migrationPlan(at path: String) throws -> (pending: [String], unknown: [String]) {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            let recorded = try Migrations.recorded(in: db)
            return (Migrations.identifiers.filter { !recorded.contains($0) }, Migrations.unknown(in: recorded))
        }
    }

    package func unknownMigrations() throws -> [String] {
        try pool.read { db in Migrations.unknown(in: try Migrations.recorded(in: db)) }
    }

    /// Applies migrations up to and including `identifier` only (tests of upgrades).
    package func migrate(upTo identifier: String) throws {
        try Migrations.migrator(upTo: identifier).migrate(pool)
    }

    /// Closes the pool; further use is a programming error.
    package func close() throws {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        // Copy the WAL into the database file and empty it first: the pool's last connection
        // to close may be a read-only one, which cannot, and the WAL would keep the newest commits.
        _ = try? pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try pool.close()
    }
}

// MARK: - Writes

extension SQLiteStore {
    /// One write transaction on the single writer connection: every write of
    /// the store goes through here, so `health` always knows whether the
    /// last write committed or met a storage failure.
    func writeTransaction<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            let value = try await pool.write(updates)
            health.succeeded()
            return value
        } catch {
            health.observe(error)
            throw error
        }
    }

    /// A small real write (one row of `storage_probe`), to learn whether writes succeed again.
    package func probeWrite(now: Int64) async throws {
        try await writeTransaction { db in
            try db.execute(sql: "INSERT INTO storage_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at", arguments: [now])
        }
    }
}

// MARK: - Reads

extension SQLiteStore {
    /// One read transaction on a pooled reader connection, run on `readerThreads`.
    ///
    /// Its `BEGIN` and `COMMIT` are statements prepared once per connection:
    /// GRDB's `read` parses a savepoint's two statements anew on every read,
    /// which cost a request-log page more than its own query (issue 17).
    /// `unsafeRead` checks GRDB's schema cache just before `BEGIN`, not inside
    /// the transaction: a partition made in between is still read right, as
    /// partitions are listed from `sqlite_master` in the snapshot and SQLite
    /// prepares a statement whose schema changed again.
    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await onReaderThread { [pool] in
            try pool.unsafeRead { db in
                try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
                do {
                    let result = try value(db)
                    try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                    return result
                } catch {
                    // The connection goes back to the pool outside any transaction, whatever failed.
                    if db.isInsideTransaction { try? db.rollback() }
                    throw error
                }
            }
        }
    }

    /// One statement on a pooled reader connection, outside an explicit transaction.
    ///
    /// A single SELECT is its own read transaction in SQLite, so `read`'s
    /// BEGIN and COMMIT (two more statements, each parsed anew by GRDB) buy
    /// nothing for it. Only for a `value` that runs exactly one statement:
    /// two statements here could see two different commits.
    func readOneStatement<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await onReaderThread { [pool] in try pool.unsafeRead(value) }
    }

    /// Runs `body` on a reader thread. Not cancellable once asked for, like GRDB's own
    /// callback reads before it: a request whose client went away still gets its answer.
    /// The threads run every submitted item exactly once, so the continuation is
    /// resumed exactly once and need not be a checked one.
    private func onReaderThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withUnsafeThrowingContinuation { continuation in
            Self.readerThreads.submit { continuation.resume(with: Result(catching: body)) }
        }
    }

    /// The threads every read runs on, as many as the cores (at least two).
    ///
    /// GRDB's own async reads hop twice (to the pool's semaphore queue, then
    /// to the reader's serial queue) before the continuation hops back; here
    /// a read is one hand-off to an idle thread, which takes a reader
    /// connection and runs the statement inline (`DatabasePool.read` on an
    /// idle serial queue does not switch threads). Issue 17 measured 8–30 %
    /// more reads a second on 2 cores with 2 threads than GRDB's hops, and
    /// fewer with 1 or 4 threads. Shared by every store of the process, so a
    /// test run's many stores do not each start threads.
    static let readerThreads = ReaderThreads(threads: max(2, System.coreCount))
}

extension SQLiteStore: AccountStore, KeyStore, CustomerStore, IdempotencyStore, WebhookStore, RequestLogStore, BillingStore, SessionStore,
    AuditStore, GatewayKeyStore, PlatformStore, StaffStore, ConsoleStore, MailStore, StorageMaintenance
{}
