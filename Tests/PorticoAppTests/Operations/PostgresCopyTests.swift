import Foundation
import PorticoTestSupport
import Testing

/// `portico migrate --from sqlite:PATH --to postgres://…` (issue 22): a team's live SQLite
/// database moves into an empty PostgreSQL one, and a server on PostgreSQL then answers as
/// the SQLite one did.
@Suite(.enabled(if: TestPostgres.isWanted, "needs the PostgreSQL test cluster"))
struct PostgresCopyTests {
    @Test func aLiveDatabaseMovesAcrossWithItsHistoryAndKeys() async throws {
        let directory = try PorticoProcess.temporaryDirectory("copy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("portico.sqlite").path
        let sandbox = try await PorticoProcess.sandbox(database: database, arguments: ["--seed-data"])
        defer { sandbox.process.end() }
        let key = try #require(sandbox.keys["test_secret"])

        // A rolled key (a reference between two rows of one table) and a customer of our own.
        let keys = try await HTTP.request("GET", "\(sandbox.url)/v1/keys?limit=100", key: key)
        let keyID = try #require(
            (keys.body["data"] as? [[String: Any]])?.first { ($0["kind"] as? String) == "secret" && ($0["livemode"] as? Bool) == false }?["id"]
                as? String
        )
        let rolled = try await HTTP.request("POST", "\(sandbox.url)/v1/keys/\(keyID)/roll", key: key, json: "{}")
        #expect(rolled.status == 200, "\(rolled.body)")
        let newKey = try #require(rolled.body["secret"] as? String)
        let created = try await HTTP.request(
            "POST",
            "\(sandbox.url)/v1/customers",
            key: newKey,
            json: #"{"name":"Moved","email":"moved@example.com"}"#
        )
        let customer = try #require(created.body["id"] as? String)

        // Copied while the sandbox still serves from the file.
        let target = try await TestPostgres.shared.createDatabase()
        defer { Task { try? await TestPostgres.shared.dropDatabase(target.database) } }
        let copy = try await PorticoProcess.run(["migrate", "--from", "sqlite:\(database)", "--to", target.description])
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(copy.stdout.contains("copied and verified"), "\(copy.stdout)")
        #expect(copy.stderr.contains("request_logs"), "progress names each table: \(copy.stderr)")
        let counted = Self.rowCounts(copy.stdout)
        #expect((counted["customers"] ?? 0) > 10 && (counted["events"] ?? 0) > 10 && (counted["request_logs"] ?? 0) > 10, "\(counted)")
        #expect((counted["webhook_attempts"] ?? 0) > 0 && (counted["api_keys"] ?? 0) >= 5, "\(counted)")

        // A second copy into the same database is refused and changes nothing.
        let again = try await PorticoProcess.run(["migrate", "--from", "sqlite:\(database)", "--to", target.description])
        #expect(again.status == 1 && again.stderr.contains("not empty"), "\(again.stderr)")

        // A server on PostgreSQL, sealing secrets with the SQLite database's key file.
        let server = try PorticoProcess.Running(
            ["serve", "--port", "0"],
            environment: [
                "PORTICO_DATABASE_URL": target.description, "PORTICO_SECRETS_KEY_FILE": database + ".key",
                "PORTICO_DATABASE_PATH": directory.appendingPathComponent("moved.sqlite").path,
                "PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10",
            ]
        )
        server.drainStderr()
        defer { server.end() }
        let moved = try #require(await server.firstLine().split(separator: " ").last.map(String.init))

        let endpoints = try await HTTP.request("GET", "\(sandbox.url)/v1/webhook-endpoints", key: newKey)
        let endpoint = try #require((endpoints.body["data"] as? [[String: Any]])?.first?["id"] as? String)
        // The endpoint's signing secret, sealed on SQLite, opens on PostgreSQL with the same key file.
        let paths = [
            "/v1/customers/\(customer)", "/v1/customers?limit=100", "/v1/events?limit=50", "/v1/webhook-endpoints",
            "/v1/webhook-endpoints/\(endpoint)/secret", "/v1/invoices",
        ]
        for path in paths {
            let before = try await HTTP.request("GET", sandbox.url + path, key: newKey)
            let after = try await HTTP.request("GET", moved + path, key: newKey)
            #expect(before.status == 200 && after.status == 200, "\(path): \(before.status) then \(after.status)")
            #expect(NSDictionary(dictionary: before.body) == NSDictionary(dictionary: after.body), "\(path) answers the same on PostgreSQL")
        }
        // The rolled key still works through its overlap; its successor does too.
        #expect(try await HTTP.request("GET", "\(moved)/v1/customers/\(customer)", key: key).status == 200)
        // Request history came along: the copy's logs hold the customer's creation.
        let logs = try await HTTP.request("GET", "\(moved)/v1/request-logs?limit=100&method=POST", key: newKey)
        #expect((logs.body["data"] as? [[String: Any]])?.contains { ($0["path"] as? String) == "/v1/customers" } == true, "\(logs.body)")
        // New writes go on from the copied rows.
        let next = try await HTTP.request("POST", "\(moved)/v1/customers", key: newKey, json: #"{"name":"After the move"}"#)
        #expect(next.status == 200, "\(next.body)")
        // Stopped before its database is dropped (the deferred drop).
        #expect(await server.stop() == 0)
    }

    @Test func aDatabaseWithDataPostgreSQLCannotHoldIsRefusedWithNothingWritten() async throws {
        let directory = try PorticoProcess.temporaryDirectory("copy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("portico.sqlite").path
        #expect(try await PorticoProcess.run(["org", "create", "--name", "Kept", "--database", database]).status == 0)
        // A column only SQLite has: copying would lose it.
        let added = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", Self.addColumn, database])
        #expect(added.status == 0, "\(added.stderr)")
        let target = try await TestPostgres.shared.createDatabase()
        defer { Task { try? await TestPostgres.shared.dropDatabase(target.database) } }
        let copy = try await PorticoProcess.run(["migrate", "--from", "sqlite:\(database)", "--to", target.description])
        #expect(copy.status == 1, "\(copy.stdout)")
        #expect(copy.stderr.contains("organizations differs between the engines") && copy.stderr.contains("only in SQLite: notes"), "\(copy.stderr)")
        // Nothing was written: a copy of the untouched file into the same database goes through.
        #expect(try await ChildProcess.run("/usr/bin/env", ["python3", "-c", Self.dropColumn, database]).status == 0)
        let retried = try await PorticoProcess.run(["migrate", "--from", "sqlite:\(database)", "--to", target.description])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(Self.rowCounts(retried.stdout)["organizations"] == 1)

        let missing = try await PorticoProcess.run(["migrate", "--from", "sqlite:\(directory.path)/none.sqlite", "--to", target.description])
        #expect(missing.status == 1 && missing.stderr.contains("no SQLite database at"), "\(missing.stderr)")
        let half = try await PorticoProcess.run(["migrate", "--from", "sqlite:\(database)"])
        #expect(half.status != 0 && half.stderr.contains("--from and --to go together"), "\(half.stderr)")
    }

    private static let addColumn =
        "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('ALTER TABLE organizations ADD COLUMN notes TEXT'); c.commit()"
    private static let dropColumn =
        "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('ALTER TABLE organizations DROP COLUMN notes'); c.commit()"

    /// `table: N rows, checksum …` lines of the copy's report, by table.
    private static func rowCounts(_ report: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in report.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let rows = parts[1].split(separator: " ").first.flatMap({ Int($0) }) else { continue }
            counts[String(parts[0])] = rows
        }
        return counts
    }
}
