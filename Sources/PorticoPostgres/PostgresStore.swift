import Foundation
import Logging
import NIOCore
import PorticoCore
import PorticoStore
import PostgresNIO
import Synchronization

/// The PostgreSQL engine of the store's contracts (`database.url = postgres://…`).
///
/// Several Portico processes may share one database, so nothing here assumes
/// it sees every write: read-modify-write transactions lock the rows they
/// change (`FOR UPDATE`), claims skip what another process holds (`SKIP
/// LOCKED`), and unique constraints decide races. Every method is one
/// transaction on one pooled connection, never held across anything but its
/// own statements. docs/scaling.md lists what each cache does about other
/// instances.
package final class PostgresStore: Sendable {
    let client: PostgresClient
    package let url: PostgresURL
    let logger: Logger
    /// What the store asks the app while it writes (alert mails, quotas); nil: no alerts.
    package let policy: (any StorePolicy)?
    package let deliveriesQueued = WakeSignal()
    package let mailQueued = WakeSignal()
    package let health = StorageHealth()
    /// How long a claimed delivery is this instance's alone (`claimDueWork`): longer than an
    /// attempt can take, so no two instances attempt it at once; an instance that dies holds
    /// its deliveries this long before another takes them over.
    package let deliveryLeaseMilliseconds: Int64
    /// This process's name on the deliveries it leases (random per store).
    package let instanceID = UUID().uuidString.lowercased()
    private let running: Mutex<Task<Void, Never>?>

    /// Connects lazily: the first statement opens the first connection. Call `migrate()` before use.
    package init(
        url: PostgresURL,
        maximumConnections: Int = 20,
        deliveryLeaseMilliseconds: Int64 = 60_000,
        policy: (any StorePolicy)? = nil,
        logger: Logger = Logger(label: "portico.postgres")
    ) {
        self.url = url
        self.deliveryLeaseMilliseconds = deliveryLeaseMilliseconds
        self.policy = policy
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: url.host,
            port: url.port,
            username: url.user,
            password: url.password,
            database: url.database,
            tls: Self.tls(url.tls)
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        // The pool's own log: a lease asked for in the instant before `run()` starts is reported
        // as a warning though it simply waits; real failures reach the caller as errors.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.client = client
        self.running = Mutex(Task { await client.run() })
    }

    private static func tls(_ mode: PostgresURL.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    /// Ends the pool; further use fails.
    package func close() throws {
        running.withLock { task in
            task?.cancel()
            task = nil
        }
    }
}

// MARK: - Transactions

extension PostgresStore {
    /// One transaction on a pooled connection: every write of the store goes
    /// through here, so `health` knows whether the last write committed. The
    /// body's own errors (a `StoreError.conflict`, say) come out as they are.
    @discardableResult
    func write<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let afterCommit = AfterCommit()
        do {
            let value = try await Self.$afterCommit.withValue(afterCommit) {
                try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        let value = try await body(connection)
                        try await connection.query("COMMIT", logger: logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                }
            }
            health.succeeded()
            afterCommit.run()
            return value
        } catch {
            if Self.isStorageFailure(error) { health.failed() }
            throw error
        }
    }

    /// Statements on a pooled connection outside an explicit transaction (each its own snapshot).
    func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(connection) }
    }

    /// One read-only transaction: several statements that must see one snapshot.
    func readSnapshot<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Wake-ups a transaction asks for, fired once it has committed (a dispatcher woken
    /// earlier would look before the new deliveries are visible and sleep again).
    @TaskLocal static var afterCommit: AfterCommit?

    final class AfterCommit: Sendable {
        private let signals = Mutex<[WakeSignal]>([])

        func fire(_ signal: WakeSignal) { signals.withLock { $0.append(signal) } }

        func run() {
            for signal in signals.withLock({ $0 }) { signal.fire() }
        }
    }

    /// A full disk (SQLSTATE class 53) or a server gone: what `/readyz` reports as failing writes.
    static func isStorageFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        if let state = error.serverInfo?[.sqlState] { return state.hasPrefix("53") || state.hasPrefix("58") || state.hasPrefix("08") }
        return [.connectionError, .serverClosedConnection, .uncleanShutdown].contains(error.code)
    }

    /// The SQLSTATE of a server error, if it is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A unique or primary-key violation (23505), optionally of one constraint.
    static func isUniqueViolation(_ error: any Error, constraint: String? = nil) -> Bool {
        guard sqlState(error) == "23505" else { return false }
        guard let constraint else { return true }
        return (error as? PSQLError)?.serverInfo?[.constraintName] == constraint
    }
}
