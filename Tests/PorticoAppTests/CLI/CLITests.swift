import Foundation
import Testing

/// The `portico` binary end to end: each test runs the real executable.
@Suite(.serialized)
struct CLITests {
    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("portico-cli-\(UUID().uuidString)/portico.sqlite").path
    }

    @Test func helpExplainsEveryCommand() async throws {
        let help = try await PorticoProcess.run(["--help"])
        #expect(help.status == 0)
        for command in ["serve", "sandbox", "migrate", "check", "backup", "org", "user", "key"] {
            #expect(help.stdout.contains(command), "--help does not mention \(command)")
        }
        let keyHelp = try await PorticoProcess.run(["key", "--help"])
        for command in ["create", "list", "roll", "revoke"] { #expect(keyHelp.stdout.contains(command)) }
    }

    @Test func sandboxPrintsOneJSONLineAndServesUntilSIGTERM() async throws {
        let sandbox = try PorticoProcess.Running(["sandbox", "--port", "0", "--organizations", "2"])
        let line = await sandbox.firstLine()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let url = try #require(json["url"] as? String)
        #expect(url.hasPrefix("http://127.0.0.1:") && !url.hasSuffix(":0"))
        let organizations = try #require(json["organizations"] as? [[String: Any]])
        #expect(organizations.count == 2)
        for organization in organizations {
            #expect((organization["id"] as? String)?.hasPrefix("org_") == true)
            #expect(organization["name"] as? String != nil)
            let owner = try #require(organization["owner"] as? [String: String])
            #expect(owner["email"]?.contains("@") == true && (owner["password"]?.count ?? 0) >= 12)
            let keys = try #require(organization["keys"] as? [String: String])
            #expect(keys["test_secret"]?.hasPrefix("sk_test_") == true)
            #expect(keys["live_secret"]?.hasPrefix("sk_live_") == true)
            #expect(keys["test_publishable"]?.hasPrefix("pk_test_") == true)
            #expect(keys["live_publishable"]?.hasPrefix("pk_live_") == true)
        }
        let keys = try #require(organizations[0]["keys"] as? [String: String])
        let created = try await HTTP.request("POST", "\(url)/v1/customers", key: keys["test_secret"], json: #"{"name":"CI"}"#)
        #expect(created.status == 200)
        let otherKeys = try #require(organizations[1]["keys"] as? [String: String])
        let isolated = try await HTTP.request("GET", "\(url)/v1/customers/\(created.body["id"] as? String ?? "")", key: otherKeys["test_secret"])
        #expect(isolated.status == 404)

        await #expect(sandbox.stop(SIGTERM) == 0)
        await #expect(sandbox.remainingStdout().isEmpty, "sandbox printed more than one line on stdout")
    }

    @Test func invalidConfigStopsStartUpNamingTheSetting() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-bad-\(UUID().uuidString).json").path
        try #"{"server": {"max_body_byte": 10}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await PorticoProcess.run(["serve", "--config", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("server.max_body_byte"))
        let environment = try await PorticoProcess.run(
            ["migrate", "--database", Self.temporaryDatabase()],
            environment: ["PORTICO_DATABASE_SYNCHRONOUS": "sometimes"]
        )
        #expect(environment.status != 0)
        #expect(environment.stderr.contains("database.synchronous"))
    }

    @Test func organizationsUsersAndKeysFromTheCommandLine() async throws {
        let database = Self.temporaryDatabase()
        let org = try await PorticoProcess.run(["org", "create", "--name", "CLI Co", "--database", database])
        #expect(org.status == 0)
        let orgID = org.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(orgID.hasPrefix("org_"))

        let user = try await PorticoProcess.run(
            ["user", "create", "--email", "dev@cli.test", "--org", orgID, "--role", "developer", "--database", database],
            stdin: "correct horse battery staple\n"
        )
        #expect(user.status == 0)
        #expect(user.stdout.hasPrefix("usr_"))
        let weak = try await PorticoProcess.run(["user", "create", "--email", "weak@cli.test", "--database", database], stdin: "short\n")
        #expect(weak.status != 0 && weak.stderr.contains("password"))

        let created = try await PorticoProcess.run(
            ["key", "create", "--org", orgID, "--mode", "test", "--kind", "restricted", "--scope", "customers:read", "--database", database])
        #expect(created.status == 0)
        let secret = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.hasPrefix("rk_test_"))
        let keyID = try #require(created.stderr.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })

        let list = try await PorticoProcess.run(["key", "list", "--org", orgID, "--database", database])
        #expect(list.stdout.contains(keyID) && list.stdout.contains("active"))
        #expect(!list.stdout.contains(secret))

        let rolled = try await PorticoProcess.run(["key", "roll", keyID, "--org", orgID, "--overlap-hours", "1", "--database", database])
        #expect(rolled.status == 0 && rolled.stdout.hasPrefix("rk_test_"))
        let revoked = try await PorticoProcess.run(["key", "revoke", keyID, "--org", orgID, "--database", database])
        #expect(revoked.status == 0)
        let after = try await PorticoProcess.run(["key", "list", "--org", orgID, "--database", database])
        #expect(after.stdout.contains("revoked"))
        let missing = try await PorticoProcess.run(["key", "revoke", "key_nope", "--org", orgID, "--database", database])
        #expect(missing.status != 0)
        let noOrg = try await PorticoProcess.run(["key", "create", "--org", "org_nope", "--database", database])
        #expect(noOrg.status != 0 && noOrg.stderr.contains("no organization org_nope"))
    }

    @Test func revokeFromTheCLIReachesARunningServer() async throws {
        let database = Self.temporaryDatabase()
        let server = try PorticoProcess.Running(
            ["serve", "--port", "0", "--database", database],
            environment: ["PORTICO_KEYS_CACHE_REFRESH_MS": "100", "PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10"]
        )
        let url = try await #require(server.firstLine().split(separator: " ").last.map(String.init))
        let banner = await server.child.isRunning ? server.banner() : ""
        #expect(banner.contains("Mail is not configured (mail.smtp_host)"), "serve says at start that mail is off")
        let key = try #require(banner.split(separator: "\n").first { $0.contains("Test secret key:") }?.split(separator: " ").last.map(String.init))
        let orgID = try #require(
            banner.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("org_") }.map { $0.trimmingCharacters(in: .punctuationCharacters) }
        )
        #expect(try await HTTP.request("GET", "\(url)/v1/customers", key: key).status == 200)

        let list = try await PorticoProcess.run(["key", "list", "--org", orgID, "--database", database])
        let keyID = try #require(
            list.stdout.split(separator: "\n").first { $0.contains(String(key.suffix(4))) }?.split(separator: "\t").first.map(String.init)
        )
        await #expect(try PorticoProcess.run(["key", "revoke", keyID, "--org", orgID, "--database", database]).status == 0)
        var status = 200
        for _ in 0..<600 where status == 200 {
            try await Task.sleep(for: .milliseconds(100))
            status = try await HTTP.request("GET", "\(url)/v1/customers", key: key).status
        }
        #expect(status == 401)
        await #expect(server.stop(SIGINT) == 0)
    }

    @Test func backupAndCheck() async throws {
        let database = Self.temporaryDatabase()
        await #expect(try PorticoProcess.run(["org", "create", "--name", "Backed Up", "--database", database]).status == 0)
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("portico-backup-\(UUID().uuidString).sqlite").path
        let backup = try await PorticoProcess.run(["backup", "--to", destination, "--database", database])
        #expect(backup.status == 0)
        let check = try await PorticoProcess.run(["check", "--database", destination])
        #expect(check.status == 0)
        #expect(check.stdout.contains("integrity: ok"))

        // A corrupted file fails the check.
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("portico-corrupt-\(UUID().uuidString).sqlite").path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: destination))
        for index in stride(from: 4_096, to: min(bytes.count, 12_288), by: 7) { bytes[index] ^= 0xFF }
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        await #expect(try PorticoProcess.run(["check", "--database", corrupt]).status != 0)
        // A mistyped path is reported, not created.
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("portico-missing-\(UUID().uuidString).sqlite").path
        let check404 = try await PorticoProcess.run(["check", "--database", missing])
        #expect(check404.status != 0 && check404.stderr.contains("no database"))
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func migrateReportsWhatItApplied() async throws {
        let database = Self.temporaryDatabase()
        let first = try await PorticoProcess.run(["migrate", "--database", database])
        #expect(first.status == 0 && first.stdout.contains("applied"))
        let second = try await PorticoProcess.run(["migrate", "--database", database])
        #expect(second.status == 0 && second.stdout.contains("schema is current"))
    }
}

extension CLITests {
    @Test(.requires(.python3))
    func sigtermFinishesTheRequestInFlightThenExits() async throws {
        let database = Self.temporaryDatabase()
        let server = try PorticoProcess.Running(
            ["serve", "--port", "0", "--database", database],
            environment: ["PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10"]
        )
        let url = try await #require(server.firstLine().split(separator: " ").last.map(String.init))
        let port = try #require(Int(url.split(separator: ":").last ?? ""))
        var key = ""
        while key.isEmpty {
            let line = await server.firstLine()
            if line.contains("Test secret key:") { key = String(line.split(separator: " ").last ?? "") }
        }
        let body = #"{"name":"In flight"}"#
        let connection = try RawHTTPConnection(port: port)
        // One full exchange first, so the connection is certainly accepted and live.
        connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(connection.read(until: "ok\n").hasPrefix("HTTP/1.1 200"))
        connection.send(
            "POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body.prefix(5)
        )
        // Give the server the head of the request before it is told to stop (generously: on a loaded
        // machine a head not yet parsed leaves the connection idle, and shutdown closes it).
        try await Task.sleep(for: .seconds(2))
        server.child.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        connection.send(String(body.dropFirst(5)))
        let response = await connection.blocking { $0.readAll() }
        #expect(response.hasPrefix("HTTP/1.1 200"), "in-flight request was not completed: \(response.prefix(200))")
        #expect(response.contains(#""name":"In flight""#))
        await #expect(server.child.exited() == 0)
        #expect(throws: (any Error).self) { try RawHTTPConnection(port: port) }
        // The batched last_used_at was flushed on the way out.
        let orgs = try await PorticoProcess.run(["check", "--database", database])
        #expect(orgs.status == 0)
        let organization = try await #require(try Self.organizationIDs(database: database).first)
        let keys = try await PorticoProcess.run(["key", "list", "--org", organization, "--database", database]).stdout
        let used = keys.split(separator: "\n").first { $0.contains(String(key.suffix(4))) }
        #expect(used?.contains("last_used=never") == false)
    }

    /// Organization ids straight from the file, as an operator with sqlite3 would read them.
    static func organizationIDs(database: String) async throws -> [String] {
        let text = try await PorticoProcess.python(
            "import sqlite3,sys; print('\\n'.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute('select id from organizations')))",
            [database]
        )
        return text.split(separator: "\n").map(String.init)
    }
}

extension CLITests {
    @Test func keysNeverReachTheLogs() async throws {
        let sandbox = try PorticoProcess.Running(["sandbox"], environment: ["PORTICO_LOGGING_LEVEL": "trace"])
        let json = try await #require(try JSONSerialization.jsonObject(with: Data(sandbox.firstLine().utf8)) as? [String: Any])
        let url = try #require(json["url"] as? String)
        let organization = try #require((json["organizations"] as? [[String: Any]])?.first)
        let keys = try #require(organization["keys"] as? [String: String])
        let key = try #require(keys["test_secret"])
        _ = try await HTTP.request("GET", "\(url)/v1/customers", key: key)
        _ = try await HTTP.request("GET", "\(url)/v1/customers?api_key=\(key)", key: key)
        _ = try await HTTP.request("POST", "\(url)/v1/customers", key: key, json: #"{"name":"\#(key)"}"#)
        _ = try await HTTP.request("GET", "\(url)/v1/customers", key: String(key.dropLast()) + "x")
        await #expect(sandbox.stop(SIGTERM) == 0)
        let logs = await sandbox.stderr()
        #expect(logs.contains("request_id"), "expected request logs at trace level")
        for secret in keys.values {
            #expect(!logs.contains(String(secret.dropFirst(8))), "a key reached the logs")
        }
        #expect(!logs.contains(organization["owner"].flatMap { ($0 as? [String: String])?["password"] } ?? "unreachable"))
    }
}
