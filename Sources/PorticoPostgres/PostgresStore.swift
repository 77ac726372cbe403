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
    /// How long one operation (a transaction, a read) may hold its connection before the
    /// watchdog closes it (`database.timeout_seconds`); migrations, copies and erasures are not bounded.
    package let operationTimeout: Duration
    private let watchdog = OperationWatchdog()
    private let running: Mutex<[Task<Void, Never>]>

    /// Connects lazily: the first statement opens the first connection. Call `migrate()` before use.
    package init(
        url: PostgresURL,
        maximumConnections: Int = 20,
        deliveryLeaseMilliseconds: Int64 = 60_000,
        operationTimeout: Duration = .seconds(30),
        policy: (any StorePolicy)? = nil,
        logger: Logger = Logger(label: "portico.postgres")
    ) {
        self.url = url
        self.deliveryLeaseMilliseconds = deliveryLeaseMilliseconds
        self.operationTimeout = operationTimeout
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
        let watchdog = watchdog
        self.running = Mutex([Task { await client.run() }, Task { await watchdog.run() }])
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
        running.withLock { tasks in
            for task in tasks { task.cancel() }
            tasks = []
        }
    }
}

// MARK: - Transactions

extension PostgresStore {
    /// One transaction on a pooled connection: every write of the store goes
    /// through here, so `health` knows whether the last write committed. The
    /// body's own errors (a `StoreError.conflict`, say) come out as they are.
    /// `bounded: false` for work that may rightly take long (migrations, a copy, an erasure).
    @discardableResult
    func write<T: Sendable>(bounded: Bool = true, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let afterCommit = AfterCommit()
        do {
            let value = try await Self.$afterCommit.withValue(afterCommit) {
                try await lease(bounded: bounded) { connection in
                    try await connection.rows("BEGIN", logger: logger)
                    do {
                        let value = try await body(connection)
                        // Delivered to every listening instance when (and only if) this commits.
                        for change in afterCommit.changes {
                            try await connection.rows("SELECT pg_notify(\(Self.changeChannel), \(change.rawValue))", logger: logger)
                        }
                        try await connection.rows("COMMIT", logger: logger)
                        return value
                    } catch {
                        await Self.rollback(connection, logger)
                        throw error
                    }
                }
            }
            health.succeeded()
            // This instance needs no round trip through the server to wake.
            for change in afterCommit.changes { signal(for: change)?.fire() }
            return value
        } catch {
            if StorageFailure.isStorageFailure(error) { health.failed() }
            throw error
        }
    }

    /// Statements on a pooled connection outside an explicit transaction (each its own snapshot).
    func read<T: Sendable>(bounded: Bool = true, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await lease(bounded: bounded) { connection in try await body(connection) }
    }

    /// One read-only transaction: several statements that must see one snapshot.
    func readSnapshot<T: Sendable>(bounded: Bool = true, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await lease(bounded: bounded) { connection in
            try await connection.rows("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.rows("COMMIT", logger: logger)
                return value
            } catch {
                await Self.rollback(connection, logger)
                throw error
            }
        }
    }

    /// Rolls back after a failure, unless the connection is closed (the watchdog closed it, or
    /// the server went): a statement written to a closed connection is never answered.
    private static func rollback(_ connection: PostgresConnection, _ logger: Logger) async {
        guard !connection.isClosed else { return }
        _ = try? await connection.rows("ROLLBACK", logger: logger)
    }

    /// A pooled connection for `body`, bounded so that a database that stops answering fails
    /// the operation after `operationTimeout` rather than holding it: the wait for a connection
    /// (the pool would queue it for as long as no connection can be opened, and one stays
    /// leased) is given up, and the body's connection is closed under it (`OperationWatchdog`).
    /// A connection that cannot be had or was lost fails as `StoreError.unavailable` (a 503).
    private func lease<T: Sendable>(bounded: Bool, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let state = LeaseState()
        guard bounded else { return try await leased(state, bounded: false, body) }
        return try await withoutActuallyEscaping(body) { body in
            let work = LeaseBody(body: body)
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { .some(try await self.leased(state, bounded: true, work.body)) }
                group.addTask {
                    try? await Task.sleep(for: self.operationTimeout)
                    // Leased in time (the watchdog bounds the body), or cancelled with the caller.
                    guard !Task.isCancelled, state.timeOut() else { return nil }
                    throw StoreError.unavailable("no connection to the database within \(self.operationTimeout) (database.timeout_seconds)")
                }
                while let result = try await group.next() {
                    if let value = result {
                        group.cancelAll()
                        return value
                    }
                }
                throw CancellationError()
            }
        }
    }

    /// `lease`'s body, carried into the task that leases: it runs there while `lease` waits.
    private struct LeaseBody<T>: @unchecked Sendable {
        let body: (PostgresConnection) async throws -> T
    }

    /// Whether the connection came before the deadline: decided once, by whichever is first,
    /// so a body never runs after its caller was told it timed out.
    private final class LeaseState: Sendable {
        private static let waiting = 0
        private static let leasedInTime = 1
        private static let timedOut = 2
        private let state = Atomic<Int>(waiting)

        /// The connection came: false when the deadline had passed first.
        func lease() -> Bool {
            state.compareExchange(expected: Self.waiting, desired: Self.leasedInTime, ordering: .acquiringAndReleasing).original != Self.timedOut
        }

        /// The deadline passed: false when the connection had come first.
        func timeOut() -> Bool {
            state.compareExchange(expected: Self.waiting, desired: Self.timedOut, ordering: .acquiringAndReleasing).exchanged
        }

        var leased: Bool { state.load(ordering: .acquiring) == Self.leasedInTime }
    }

    private func leased<T: Sendable>(_ state: LeaseState, bounded: Bool, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                guard state.lease() else { throw CancellationError() }
                // The pool may hand out a connection the watchdog has just closed, before it has
                // heard of the close; a statement sent on it would never be answered.
                guard !connection.isClosed else { throw StoreError.unavailable("the pooled connection was closed") }
                guard bounded else { return try await body(connection) }
                let watched = watchdog.begin(connection, timeout: operationTimeout)
                let value: T
                do {
                    value = try await body(connection)
                } catch {
                    try watchdog.end(watched, failed: true)
                    throw error
                }
                // Done, even if the deadline closed the connection after its last answer.
                try watchdog.end(watched, failed: false)
                return value
            }
        } catch {
            // The pool's own errors (shut down, no connection could be opened for a while) come
            // before the body runs; a cancelled wait for a connection is a cancellation.
            if !state.leased {
                if Task.isCancelled || error is CancellationError { throw CancellationError() }
                throw StoreError.unavailable("no connection to the database: \(String(reflecting: error))")
            }
            if Self.isStorageFailure(error) { throw StoreError.unavailable(String(reflecting: error)) }
            throw error
        }
    }

    /// What a transaction changed that others wait for, told once it has committed: to this
    /// instance's waiters directly, and to every instance with `NOTIFY` on `changeChannel`
    /// (sent in the transaction, so delivered only if it commits). A waiter woken before the
    /// commit would look, find nothing new, and sleep again.
    @TaskLocal static var afterCommit: AfterCommit?

    final class AfterCommit: Sendable {
        private let noted = Mutex<Set<StoreChange>>([])

        func note(_ change: StoreChange) { _ = noted.withLock { $0.insert(change) } }

        var changes: [StoreChange] { noted.withLock { $0.sorted { $0.rawValue < $1.rawValue } } }
    }

    /// The `LISTEN`/`NOTIFY` channel instances tell each other their changes on.
    static let changeChannel = "portico_changes"

    /// The local signal a change wakes; nil for changes only the app's `followChanges` handler hears.
    func signal(for change: StoreChange) -> WakeSignal? {
        switch change {
        case .deliveries: deliveriesQueued
        case .mail: mailQueued
        case .keys, .configuration: nil
        }
    }

    /// A full disk (SQLSTATE class 53) or a server gone: what `/readyz` reports as failing writes.
    static func isStorageFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        if let state = error.serverInfo?[.sqlState] {
            // Insufficient resources, system errors, connection errors, and a server shutting down or failing over (57P0x).
            return state.hasPrefix("53") || state.hasPrefix("58") || state.hasPrefix("08") || state.hasPrefix("57P0")
        }
        return [.connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection].contains(error.code)
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
