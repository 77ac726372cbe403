import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PorticoCore
import PorticoTestSupport

@testable import PorticoApp
@testable import PorticoStore

/// A real Portico instance for one test: its own SQLite file in a temporary
/// directory, an injectable clock, one seeded organization, and the real
/// server on a loopback port (`app.test(.live)`).
struct TestPortico {
    let directory: URL
    let runtime: PorticoRuntime
    let clock: OffsetClock
    let seed: SeededOrganization

    /// The engine under test, through its contracts.
    var store: any PorticoStorage { runtime.store }
    /// The SQLite engine, for the tests that read its file (they run only on SQLite: `TestEngine`).
    var sqliteStore: SQLiteStore { runtime.store as! SQLiteStore }
    /// The PostgreSQL database this instance uses, when it runs on one (dropped by `run`).
    var postgresDatabase: String? { TestEngine.isPostgres ? (try? runtime.config.databaseEngine).flatMap(\.postgresDatabase) : nil }
    var databasePath: String { runtime.config.database.path }
    var testKey: String { seed.keys.testSecret }
    var liveKey: String { seed.keys.liveSecret }
    var organizationID: String { seed.organizationID }
    var testScope: TenantScope { TenantScope(organizationId: organizationID, livemode: false) }

    static let quietLogger = Logger(label: "portico-test") { _ in SwiftLogNoOpLogHandler() }

    static func make(
        sandbox: Bool = false,
        logger: Logger = quietLogger,
        _ adjust: (inout PorticoConfig) -> Void = { _ in }
    ) async throws -> TestPortico {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = PorticoConfig()
        config.server.port = 0
        config.database.path = directory.appendingPathComponent("portico.sqlite").path
        config.accounts.passwordHashCost = 10
        // Generous limits unless a test sets its own: only rate-limit tests should meet a 429.
        config.billing.defaultPlan = "enterprise"
        config.requestLogs.flushIntervalMs = 50
        // Webhook receivers run on loopback, as in `portico sandbox`; SSRF tests take this away.
        config.webhooks.allowedCidrs = ["127.0.0.0/8", "::1/128"]
        // The live test client connects first and may send its first request much later on a loaded machine.
        config.server.requestHeadTimeoutSeconds = 600
        config.server.idleTimeoutSeconds = 600
        config.requestLogs.spillReserveBytes = 65_536
        adjust(&config)
        let clock = OffsetClock()
        let runtime: PorticoRuntime
        if TestEngine.isPostgres {
            let url = try await TestPostgres.shared.createDatabase(migrated: true)
            config.database.url = url.description
            config.secrets.keyFile = config.secrets.keyFile ?? directory.appendingPathComponent("secrets.key").path
            runtime = try await PorticoRuntime.open(config: config, logger: logger, clock: clock, sandbox: sandbox)
        } else {
            runtime = try PorticoRuntime(config: config, logger: logger, clock: clock, sandbox: sandbox)
        }
        let seed = try await Seeder(runtime: runtime).seedOrganization(name: "Acme", ownerEmail: "owner@acme.test")
        return TestPortico(directory: directory, runtime: runtime, clock: clock, seed: seed)
    }

    /// Runs `body` against the live server (or, with `.router`, the application without a
    /// listener: what a TLS-serving instance is tested through), then removes the database.
    func run(_ setup: TestingSetup = .live, _ body: @Sendable (APIClient) async throws -> Void) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let app = try await buildApplication(runtime: runtime)
        do {
            try await app.test(setup) { client in
                try await body(APIClient(client: client))
            }
        } catch {
            await dropPostgresDatabase()
            throw error
        }
        await dropPostgresDatabase()
    }

    /// Runs SQL on this instance's database, whichever the engine (tests that break it on purpose).
    func executeSQL(sqlite: String, postgres: String) async throws {
        if let postgresDatabase {
            try await TestPostgres.shared.execute(postgres, in: postgresDatabase)
        } else {
            try await sqliteStore.pool.write { try $0.execute(sql: sqlite) }
        }
    }

    /// Everything the database holds as bytes: the SQLite file and its WAL, or a `pg_dump` of
    /// the PostgreSQL database (tests that look for a secret at rest).
    func databaseBytes() throws -> Data {
        if let postgresDatabase { return try TestPostgres.shared.dump(postgresDatabase) }
        return try Data(contentsOf: URL(fileURLWithPath: databasePath))
            + ((try? Data(contentsOf: URL(fileURLWithPath: databasePath + "-wal"))) ?? Data())
    }

    private func dropPostgresDatabase() async {
        guard let postgresDatabase else { return }
        try? runtime.close()
        try? await TestPostgres.shared.dropDatabase(postgresDatabase)
    }

    /// Another organization with its own keys, for isolation tests.
    func seedOtherOrganization() async throws -> SeededOrganization {
        try await Seeder(runtime: runtime).seedOrganization(name: "Other", ownerEmail: "owner-\(UUID().uuidString.prefix(8))@other.test")
    }

    /// Commits every queued request log now (the writer would within `flush_interval_ms`).
    func flushLogs() async {
        await runtime.logWriter.flush()
    }

    /// Puts the seeded organization on `plan`.
    func setPlan(_ plan: String, organization: String? = nil) async throws {
        try await runtime.billing.updateOrganization(id: organization ?? organizationID, plan: plan, bodyCapture: nil, by: .cli)
    }

    /// Moves the injected clock forward and lets the webhook scheduler look again
    /// (what `POST /v1/sandbox/clock/advance` does on a sandbox instance).
    func advance(seconds: TimeInterval) async throws {
        clock.advance(by: seconds)
        try await runtime.maintainRequestLogs()
        runtime.store.deliveriesQueued.fire()
    }

    func issue(_ request: NewKeyRequest) async throws -> IssuedKey {
        try await runtime.keys.create(request, by: .cli)
    }
}

/// Thin helpers over the live test client: JSON in, parsed JSON out.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    @discardableResult
    func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        key: String? = nil,
        json: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        if let key { headers[.authorization] = "Bearer \(key)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await client.executeRequest(
            uri: path,
            method: method,
            headers: headers,
            body: json.map { ByteBuffer(string: $0) }
        )
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var list: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    /// The problem document minus `request_id` (which differs per request by design).
    var problemWithoutRequestID: [String: String] {
        var problem = json
        problem.removeValue(forKey: "request_id")
        return problem.mapValues { "\($0)" }
    }

    var requestID: String? { headers[HTTPField.Name("Request-Id")!] }
}
