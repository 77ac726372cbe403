import Foundation
import GRDB
import Logging
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
    /// One read transaction on a pooled reader connection.
    ///
    /// Built on GRDB's callback `asyncRead` rather than its `async` `read`:
    /// the callback form reaches the reader in one dispatch hop instead of an
    /// actor hop plus a dispatch hop, which measured about 1.5× the
    /// throughput for point reads on 2 cores (see Benchmarks/RESULTS.md). Same
    /// isolation: a DEFERRED transaction around `value`.
    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            pool.asyncRead { database in
                continuation.resume(with: Result { try value(database.get()) })
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
        try await withCheckedThrowingContinuation { continuation in
            pool.asyncUnsafeRead { database in
                continuation.resume(with: Result { try value(database.get()) })
            }
        }
    }
}

extension SQLiteStore: AccountStore, KeyStore, CustomerStore, IdempotencyStore, WebhookStore, RequestLogStore, BillingStore, SessionStore,
    AuditStore, GatewayKeyStore, PlatformStore, StaffStore, ConsoleStore, MailStore, StorageMaintenance
{}
