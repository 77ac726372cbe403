import Foundation
import Logging
import PorticoPostgres
import PostgresNIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL cluster the tests use: `PORTICO_TEST_POSTGRES_URL` (which
/// `.ci/run` sets after `Scripts/test-postgres.sh start`), or one this process
/// starts with that script when Debian's postgresql is installed. Each store
/// gets a database of its own, so tests run in parallel as with SQLite files.
package final class TestPostgres: Sendable {
    package static let isCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false

    /// Whether the PostgreSQL cases run: a cluster is configured or can be started, or this is CI.
    package static let isWanted: Bool =
        isCI || ProcessInfo.processInfo.environment["PORTICO_TEST_POSTGRES_URL"] != nil
        || FileManager.default.fileExists(atPath: "/usr/lib/postgresql")

    package static let shared = TestPostgres()

    /// The pool's own chatter (a lease asked for before its run loop started) stays out of the test output.
    package static let quietLogger: Logger = {
        var logger = Logger(label: "portico.postgres.test")
        logger.logLevel = .error
        return logger
    }()

    /// A store on `url` for a test. Its operations are bounded at five minutes, not the
    /// production default of 30 s: the bound counts the wait for a pooled connection, and on a
    /// loaded CI machine 60 transactions queued on a few connections (or a whole schema built
    /// in one) took longer. Nothing here tests that bound; the server tests that do set it.
    package static func store(_ url: PostgresURL, maximumConnections: Int, deliveryLeaseMilliseconds: Int64 = 60_000) -> PostgresStore {
        PostgresStore(
            url: url,
            maximumConnections: maximumConnections,
            deliveryLeaseMilliseconds: deliveryLeaseMilliseconds,
            operationTimeout: .seconds(300),
            logger: quietLogger
        )
    }

    private let administration: Result<(url: PostgresURL, client: PostgresClient), any Error>
    private let templateTask = Mutex<Task<String, any Error>?>(nil)

    private init() {
        administration = Result {
            let url = try PostgresURL(try Self.clusterURL())
            try Self.probe(url)
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
            .appendingPathComponent("Scripts/test-postgres.sh")
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

    /// A cluster that is not listening fails every PostgreSQL case at once: a pool
    /// waits for its server without end, so without this a stopped cluster hangs the run.
    private static func probe(_ url: PostgresURL) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(url.host, String(url.port), &hints, &found) == 0, let address = found else {
            throw TestPostgresUnavailable(reason: "cannot resolve \(url.host)")
        }
        defer { freeaddrinfo(found) }
        let socket = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
        guard socket >= 0 else { throw TestPostgresUnavailable(reason: "no socket") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            throw TestPostgresUnavailable(reason: "nothing listens on \(url.host):\(url.port); run Scripts/test-postgres.sh start")
        }
    }

    package struct TestPostgresUnavailable: Error, CustomStringConvertible {
        let reason: String
        package var description: String { "no PostgreSQL test cluster: \(reason)" }
    }

    /// A new database: empty, or (`migrated`) a copy of the template the migrations built; its URL.
    package func createDatabase(migrated: Bool = false) async throws -> PostgresURL {
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
        let store = Self.store(database(name, on: url), maximumConnections: 1)
        try await store.migrate()
        try store.close()
        try await client.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"))
        try await client.query(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'"))
        return name
    }

    /// Runs `sql` in database `name` on a connection of its own (tests that change a database behind Portico's back).
    package func execute(_ sql: String, in name: String) async throws {
        let (url, _) = try administration.get()
        var configuration = PostgresClient.Configuration(
            host: url.host,
            port: url.port,
            username: url.user,
            password: url.password,
            database: name,
            tls: .disable
        )
        configuration.options.maximumConnections = 1
        let client = PostgresClient(configuration: configuration, backgroundLogger: Self.quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: sql))
        }
    }

    /// Every byte `pg_dump` writes for database `name` (schema and data, as plain SQL): what a
    /// copy of the database would show, for tests that look for a secret in it.
    package func dump(_ name: String) throws -> Data {
        let (url, _) = try administration.get()
        let bin = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { $0.compare($1, options: .numeric) == .orderedDescending }.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let bin else { throw TestPostgresUnavailable(reason: "pg_dump is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["--host", url.host, "--port", String(url.port), "--username", url.user, "--no-password", name]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestPostgresUnavailable(reason: "pg_dump \(name) failed") }
        return data
    }

    package func dropDatabase(_ name: String) async throws {
        let (_, client) = try administration.get()
        try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
    }
}
