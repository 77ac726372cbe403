import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PorticoCore
import PorticoStore
import Synchronization
import Testing

@testable import PorticoApp

/// No secret at rest: after every route that reveals a secret has run, with
/// and without an `Idempotency-Key` (whose responses are stored for replay),
/// neither the database file, its WAL, a backup nor the server log holds a
/// full API key or webhook signing secret (endpoints keep theirs sealed
/// under the key file beside the database), and a key pasted into a URL
/// path is stored cut short.
struct SecretsAtRestTests {
    @Test func noSecretReachesTheDatabaseItsWALABackupOrTheLog() async throws {
        let log = CapturedLog()
        let portico = try await TestPortico.make(logger: Logger(label: "secrets") { _ in log.handler() })
        let secrets = Mutex<[String]>([portico.testKey, portico.liveKey])
        try await portico.run { (api: APIClient) async throws in
            func reveal(_ method: HTTPRequest.Method, _ path: String, _ json: String?, idempotencyKey: String?) async throws -> [String: Any] {
                var headers: HTTPFields = [:]
                if let idempotencyKey { headers[.idempotencyKey] = idempotencyKey }
                let response = try await api.send(method, path, key: portico.testKey, json: json, headers: headers)
                try #require(response.status == .ok, "\(path): \(response.text)")
                if let secret = response.json["secret"] as? String { secrets.withLock { $0.append(secret) } }
                if let secret = response.json["previous_secret"] as? String { secrets.withLock { $0.append(secret) } }
                return response.json
            }
            for idempotencyKey in [nil, "reveal-1"] as [String?] {
                let key = try await reveal(.post, "/v1/keys", #"{"kind":"secret"}"#, idempotencyKey: idempotencyKey.map { "\($0)-key" })
                let id = try #require(key["id"] as? String)
                _ = try await reveal(.post, "/v1/keys/\(id)/roll", "{}", idempotencyKey: idempotencyKey.map { "\($0)-roll" })
                let endpoint = try await reveal(
                    .post,
                    "/v1/webhook-endpoints",
                    #"{"url":"http://127.0.0.1:9/hook","enabled_events":["*"]}"#,
                    idempotencyKey: idempotencyKey.map { "\($0)-endpoint" }
                )
                let endpointID = try #require(endpoint["id"] as? String)
                _ = try await reveal(.get, "/v1/webhook-endpoints/\(endpointID)/secret", nil, idempotencyKey: nil)
                _ = try await reveal(
                    .post,
                    "/v1/webhook-endpoints/\(endpointID)/rotate-secret",
                    "{}",
                    idempotencyKey: idempotencyKey.map { "\($0)-rotate" }
                )
            }
            // Replays still hand the secret to whoever holds the Idempotency-Key.
            let replayed = try await api.send(
                .post,
                "/v1/keys",
                key: portico.testKey,
                json: #"{"kind":"secret"}"#,
                headers: [.idempotencyKey: "reveal-1-key"]
            )
            #expect(replayed.headers[.idempotentReplayed] == "true")
            #expect(secrets.withLock { $0.contains(replayed.json["secret"] as? String ?? "") })

            // A key pasted into a path is logged as prefix…last4.
            let pasted = portico.testKey
            _ = try await api.send(.get, "/v1/customers/\(pasted)", key: portico.testKey)
            await portico.flushLogs()
            let logged = try await api.send(.get, "/v1/request-logs?limit=100", key: portico.testKey).list.compactMap { $0["path"] as? String }
            #expect(logged.contains("/v1/customers/sk_test_…\(pasted.suffix(4))"), "\(logged)")

            let backup = portico.directory.appendingPathComponent("backup.sqlite").path
            try await portico.runtime.backup(to: backup)
            var stored = Data()
            for path in [portico.databasePath, portico.databasePath + "-wal", backup] {
                stored.append((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
            }
            #expect(stored.count > 100_000)
            let logText = Data(log.text.utf8)
            let all = secrets.withLock { $0 }
            #expect(all.count >= 12)
            #expect(all.filter { $0.hasPrefix("sk_") }.count == 6)
            for secret in all {
                #expect(stored.firstRange(of: Data(secret.utf8)) == nil, "\(secret.prefix(8))… is stored in the clear")
                #expect(logText.firstRange(of: Data(secret.utf8)) == nil, "\(secret.prefix(8))… is in the server log")
            }
        }
    }

    /// A signing secret stored in the clear by an earlier version is sealed at
    /// the next start, and still signs and reveals the same secret.
    @Test func plaintextSigningSecretsAreSealedAtStart() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let endpoint = try await api.createEndpoint(key: portico.testKey, url: "http://127.0.0.1:9/hook")
            let legacy = "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            _ = try await portico.store.updateEndpoint(id: endpoint.id, scope: portico.testScope) { $0.secret = legacy }
            #expect(try await portico.store.endpoint(id: endpoint.id, scope: portico.testScope)?.secret == legacy)
            try await portico.runtime.sealWebhookSecrets()
            let stored = try #require(try await portico.store.endpoint(id: endpoint.id, scope: portico.testScope)?.secret)
            #expect(stored.hasPrefix(SecretBox.prefix))
            let revealed = try await api.send(.get, "/v1/webhook-endpoints/\(endpoint.id)/secret", key: portico.testKey).json
            #expect(revealed["secret"] as? String == legacy)
            let attributes = try FileManager.default.attributesOfItem(atPath: portico.databasePath + ".key")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    @Test(arguments: [
        ("/v1/customers/sk_test_abcdefghijklmnopqrstuvwx123456", "/v1/customers/sk_test_…3456"),
        ("/v1/x/rk_live_ABCDEFGH/y", "/v1/x/rk_live_…EFGH/y"),
        ("/v1/customers/cus_0000000000000000000", "/v1/customers/cus_0000000000000000000"),
        ("/v1/xsk_test_abcdefghijk", "/v1/xsk_test_…hijk"),
        ("/v1/customers/sk%5Ftest%5Fabcdefghijklmnop", "/v1/customers/sk_test_…mnop"),
        ("/v1/customers/cus%20one", "/v1/customers/cus%20one"),
        ("/v1/pk_test_short", "/v1/pk_test_short"),
    ])
    func keyShapedTextIsCutToPrefixAndLastFour(path: String, redacted: String) {
        #expect(APIKeyFormat.redactingKeys(in: path) == redacted)
    }
}

/// A log handler that keeps every line (message and metadata) in memory.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func handler() -> some LogHandler { Handler(log: self) }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let line = "\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })"
            log.lines.withLock { $0.append(line) }
        }
    }
}
