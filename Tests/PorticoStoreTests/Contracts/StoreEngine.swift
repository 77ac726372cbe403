import Foundation
import Logging
import PorticoCore
import PorticoPostgres
import PostgresNIO
import Synchronization
import Testing

@testable import PorticoStore

/// A storage engine the contract suite runs against. Every contract test
/// takes `StoreEngine.all` as its arguments: SQLite, and PostgreSQL when a
/// test cluster is at hand (`TestPostgres`; always under CI, where a missing
/// cluster fails the PostgreSQL cases instead of skipping them).
struct StoreEngine: Sendable, CustomTestStringConvertible {
    let name: String
    /// A fresh, empty, migrated store of this engine, and how to dispose of it.
    let make: @Sendable () async throws -> (store: any PorticoStorage, dispose: @Sendable () async -> Void)

    var testDescription: String { name }

    static let all: [StoreEngine] = TestPostgres.isWanted ? [.sqlite, .postgres] : [.sqlite]

    static let sqlite = StoreEngine(name: "SQLite") {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-contract-\(UUID().uuidString).sqlite").path
        let store = try SQLiteStore(configuration: StoreConfiguration(path: path))
        return (
            store,
            {
                try? store.close()
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        )
    }

    /// A database of its own on the test cluster, migrated by the store, dropped afterwards.
    static let postgres = StoreEngine(name: "PostgreSQL") {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        // A copy of a database the migrations built once (`TestPostgres.template`).
        let store = PostgresStore(url: url, maximumConnections: 2, logger: TestPostgres.quietLogger)
        return (
            store,
            {
                try? store.close()
                try? await TestPostgres.shared.dropDatabase(url.database)
            }
        )
    }

    /// Runs `body` with a fresh store of this engine, disposed of afterwards.
    func with<T>(_ body: (any PorticoStorage) async throws -> T) async throws -> T {
        let (store, dispose) = try await make()
        do {
            let value = try await body(store)
            await dispose()
            return value
        } catch {
            await dispose()
            throw error
        }
    }
}

/// The PostgreSQL cluster the tests use: `PORTICO_TEST_POSTGRES_URL` (which
/// `.ci/run` sets after `Scripts/test-postgres.sh start`), or one this process
/// starts with that script when Debian's postgresql is installed. Each store
/// gets a database of its own, so tests run in parallel as with SQLite files.
final class TestPostgres: Sendable {
    static let isCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false

    /// Whether the PostgreSQL cases run: a cluster is configured or can be started, or this is CI.
    static let isWanted: Bool =
        isCI || ProcessInfo.processInfo.environment["PORTICO_TEST_POSTGRES_URL"] != nil
        || FileManager.default.fileExists(atPath: "/usr/lib/postgresql")

    static let shared = TestPostgres()

    /// The pool's own chatter (a lease asked for before its run loop started) stays out of the test output.
    static let quietLogger: Logger = {
        var logger = Logger(label: "portico.postgres.test")
        logger.logLevel = .error
        return logger
    }()

    private let administration: Result<(url: PostgresURL, client: PostgresClient), any Error>
    private let templateTask = Mutex<Task<String, any Error>?>(nil)

    private init() {
        administration = Result {
            let url = try PostgresURL(try Self.clusterURL())
            var configuration = PostgresClient.Configuration(
                host: url.host,
                port: url.port,
                username: url.user,
                password: url.password,
                database: url.database,
                tls: .disable
            )
            configuration.options.maximumConnections = 8
            let client = PostgresClient(configuration: configuration, backgroundLogger: Self.quietLogger)
            Task { await client.run() }
            return (url, client)
        }
    }

    private static func clusterURL() throws -> String {
        if let url = ProcessInfo.processInfo.environment["PORTICO_TEST_POSTGRES_URL"] { return url }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/test-postgres.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, "start"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let line = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0, let url = line.split(separator: "=", maxSplits: 1).last?.trimmingCharacters(in: .whitespacesAndNewlines)
        else {
            throw TestPostgresUnavailable(reason: "Scripts/test-postgres.sh start failed; set PORTICO_TEST_POSTGRES_URL")
        }
        return url
    }

    struct TestPostgresUnavailable: Error, CustomStringConvertible {
        let reason: String
        var description: String { "no PostgreSQL test cluster: \(reason)" }
    }

    /// A new database: empty, or (`migrated`) a copy of the template the migrations built; its URL.
    func createDatabase(migrated: Bool = false) async throws -> PostgresURL {
        let (url, client) = try administration.get()
        let name = "portico_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let template = migrated ? " TEMPLATE \(try await template.value)" : ""
        try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)\(template)"))
        return database(name, on: url)
    }

    private func database(_ name: String, on url: PostgresURL) -> PostgresURL {
        var database = url
        database.database = name
        database.tls = .disable
        return database
    }

    /// A database migrated once per test process that every contract store copies (a copy
    /// takes a few milliseconds; migrating each would take a hundred). Nobody may be connected
    /// to a template while it is copied: its connections are ended and new ones refused.
    private var template: Task<String, any Error> {
        templateTask.withLock { task in
            if let task { return task }
            let made = Task { try await self.makeTemplate() }
            task = made
            return made
        }
    }

    private func makeTemplate() async throws -> String {
        let (url, client) = try administration.get()
        let name = "portico_template_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        let store = PostgresStore(url: database(name, on: url), maximumConnections: 1, logger: Self.quietLogger)
        try await store.migrate()
        try store.close()
        try await client.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"))
        try await client.query(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'"))
        return name
    }

    func dropDatabase(_ name: String) async throws {
        let (_, client) = try administration.get()
        try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
    }
}
