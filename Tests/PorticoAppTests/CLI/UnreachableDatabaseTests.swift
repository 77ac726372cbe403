import Foundation
import PorticoTestSupport
import Testing

/// A PostgreSQL that stops answering without closing its connections (a network partition,
/// a frozen host): `portico serve` fails requests with 503 within `database.timeout_seconds`
/// instead of holding them, still stops on SIGTERM, and the request logs it could not commit
/// are spilled and committed at the next start (nothing acknowledged is lost).
@Suite(.enabled(if: TestPostgres.isWanted, "needs the PostgreSQL test cluster"))
struct UnreachableDatabaseTests {
    @Test func aDatabaseThatStopsAnsweringFailsRequestsAndLetsTheServerStop() async throws {
        let directory = try PorticoProcess.temporaryDirectory("partition")
        let database = try await TestPostgres.shared.createDatabase()
        // Portico reaches the database through a proxy the test can freeze.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/tcp-proxy.py")
        let proxy = try ChildProcess(
            "/usr/bin/env",
            ["python3", script.path, String(database.port)],
            environment: ProcessInfo.processInfo.environment
        )
        defer {
            proxy.signal(SIGCONT)
            proxy.signal(SIGKILL)
            _ = proxy.wait()
        }
        let proxyPort = await proxy.stdoutLine()
        var through = database
        through.port = try #require(Int(proxyPort.trimmingCharacters(in: .whitespacesAndNewlines)))
        let environment = [
            "PORTICO_DATABASE_URL": through.description,
            "PORTICO_DATABASE_PATH": directory.appendingPathComponent("portico.sqlite").path,
            "PORTICO_SECRETS_KEY_FILE": directory.appendingPathComponent("secrets.key").path,
            "PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10",
            // Every statement is bounded by it, the healthy ones too: 2 s gave a busy test cluster
            // too little on a loaded machine. The 503's wait is not what is measured here.
            "PORTICO_DATABASE_TIMEOUT_SECONDS": "5",
        ]
        let first = try PorticoProcess.Running(["serve", "--port", "0"], environment: environment)
        let url = try #require(await first.firstLine().split(separator: " ").last.map(String.init))
        let key = try await first.bannerTestKey()
        first.drainStderr()
        #expect(try await HTTP.request("GET", "\(url)/v1/customers", key: key).status == 200)

        // The database stops answering: a request gets a 503 rather than waiting for it.
        proxy.signal(SIGSTOP)
        let refused = try await HTTP.exchange("GET", "\(url)/v1/customers/cus_missing", key: key, timeout: 120)
        #expect(refused.status == 503, "\(refused.body)")
        #expect(refused.body["code"] as? String == "storage_unavailable")
        let requestID = try #require(refused.body["request_id"] as? String)

        // SIGTERM still stops it (SIGKILL after two minutes would fail the test).
        let stopped = Task { await first.stop() }
        let killer = Task {
            try await Task.sleep(for: .seconds(120))
            // Not `signal`: it waits for the lock `stop`'s wait holds.
            kill(first.child.pid, SIGKILL)
        }
        let status = await stopped.value
        killer.cancel()
        #expect(status == 0, "stopped by SIGTERM, not SIGKILL (status \(status))")

        // With the database back, the next start commits the spilled log of the refused request.
        proxy.signal(SIGCONT)
        let second = try PorticoProcess.Running(["serve", "--port", "0"], environment: environment)
        let secondURL = try #require(await second.firstLine().split(separator: " ").last.map(String.init))
        second.drainStderr()
        defer { second.end() }
        let logged = try await HTTP.request("GET", "\(secondURL)/v1/request-logs/\(requestID)", key: key)
        #expect(logged.status == 200, "\(logged.body)")
        #expect(logged.body["status"] as? Int == 503)
        _ = await second.stop()
        try? FileManager.default.removeItem(at: directory)
        try? await TestPostgres.shared.dropDatabase(database.database)
    }
}
