import Foundation
import Testing

@testable import PorticoApp

/// `portico erase`, against real processes: after it, the erased values are
/// in neither the database file, its WAL, nor the next backup, while other
/// customers' data is untouched and the erasure itself is audited.
@Suite(.requires(.python3))
struct ErasureTests {
    struct Instance {
        let directory: URL
        let database: String
        let organization: String
        let key: String
    }

    /// A database with one organization (body capture on, and a plan whose test keys are not held to 5 requests a second) and a test key, made with the CLI.
    static func instance() async throws -> Instance {
        let directory = try PorticoProcess.temporaryDirectory("erase")
        let database = directory.appendingPathComponent("portico.sqlite").path
        let organization = try await PorticoProcess.run(["org", "create", "--name", "Erasure Test", "--database", database])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            try await PorticoProcess.run(["org", "update", organization, "--body-capture", "on", "--plan", "enterprise", "--database", database])
                .status == 0
        )
        let key = try #require(
            try await PorticoProcess.run(["key", "create", "--org", organization, "--database", database]).stdout
                .split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("sk_test_") }.map(String.init)
        )
        return Instance(directory: directory, database: database, organization: organization, key: key)
    }

    /// Runs `serve` on the instance while `body` talks to it, then stops it (logs flushed).
    static func serving(_ instance: Instance, _ body: (String) async throws -> Void) async throws {
        let server = try PorticoProcess.Running(["serve", "--port", "0", "--database", instance.database])
        server.drainStderr()
        let url = try #require(await server.firstLine().split(separator: " ").last.map(String.init))
        do {
            try await body(url)
        } catch {
            await server.stop()
            throw error
        }
        #expect(await server.stop() == 0)
    }

    /// A customer with distinctive personal data, changed once, looked up by address, and its events delivered.
    static func customer(_ url: String, key: String, name: String, email: String) async throws -> String {
        let created = try await HTTP.request(
            "POST",
            "\(url)/v1/customers",
            key: key,
            json: #"{"name":"\#(name)","email":"\#(email)","description":"Lives at \#(name) Street","metadata":{"phone":"\#(name)-phone"}}"#
        )
        #expect(created.status == 200)
        let id = try #require(created.body["id"] as? String)
        #expect(
            try await HTTP.request("PATCH", "\(url)/v1/customers/\(id)", key: key, json: #"{"description":"Moved, still \#(name)"}"#).status == 200
        )
        let encoded = email.replacingOccurrences(of: "@", with: "%40")
        #expect(try await HTTP.request("GET", "\(url)/v1/customers?email=\(encoded)", key: key).status == 200)
        return id
    }

    /// Every file the database lives in: the file, its WAL (when there is one), and a backup taken now.
    static func everyCopy(_ instance: Instance) async throws -> [(String, Data)] {
        let backup = instance.directory.appendingPathComponent("after.sqlite").path
        #expect(try await PorticoProcess.run(["backup", "--to", backup, "--database", instance.database]).status == 0)
        return [instance.database, instance.database + "-wal", backup].compactMap { path in
            FileManager.default.contents(atPath: path).map { (path, $0) }
        }
    }

    @Test func erasingACustomerLeavesNoCopyInTheFileTheWALOrTheNextBackup() async throws {
        let instance = try await Self.instance()
        defer { try? FileManager.default.removeItem(at: instance.directory) }
        var erased = ""
        var kept = ""
        try await Self.serving(instance) { url in
            #expect(
                try await HTTP.request(
                    "POST",
                    "\(url)/v1/webhook-endpoints",
                    key: instance.key,
                    json: #"{"url":"https://fail.portico.test/200","enabled_events":["*"]}"#
                ).status == 200
            )
            erased = try await Self.customer(url, key: instance.key, name: "Zelda Quixotic", email: "zelda.quixotic@example.org")
            kept = try await Self.customer(url, key: instance.key, name: "Bartholomew Keepsake", email: "bart.keepsake@example.org")
            // Its deliveries went out (their payloads are built from the event data).
            for _ in 0..<100 {
                let deliveries = try await HTTP.request("GET", "\(url)/v1/webhook-deliveries?limit=100", key: instance.key)
                let done = (deliveries.body["data"] as? [[String: Any]])?.filter { $0["status"] as? String == "succeeded" }.count ?? 0
                if done >= 4 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let secrets = ["Zelda Quixotic", "zelda.quixotic@example.org", "zelda.quixotic%40example.org", "Zelda Quixotic-phone"]
        let before =
            try Data(contentsOf: URL(fileURLWithPath: instance.database))
            + (FileManager.default.contents(atPath: instance.database + "-wal") ?? Data())
        for secret in secrets where !secret.contains("%40") {
            #expect(before.range(of: Data(secret.utf8)) != nil, "\(secret) is there to begin with")
        }

        // While a server holds the database, erase is refused and changes nothing.
        let server = try PorticoProcess.Running(["serve", "--port", "0", "--database", instance.database])
        server.drainStderr()
        _ = await server.firstLine()
        let refused = try await PorticoProcess.run(["erase", "--customer", erased, "--database", instance.database])
        #expect(refused.status == 1 && refused.stderr.contains("a running Portico holds"), "\(refused.stderr)")
        #expect(await server.stop() == 0)

        let erase = try await PorticoProcess.run(["erase", "--customer", erased, "--database", instance.database])
        #expect(erase.status == 0, "\(erase.stderr)")
        #expect(erase.stdout.contains("customers: 1") && erase.stdout.contains("request_logs: ") && erase.stdout.contains("event_payloads: "))
        #expect(!erase.stderr.contains("warning"), "the WAL was emptied: \(erase.stderr)")

        for (path, bytes) in try await Self.everyCopy(instance) {
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is still in \(path)")
            }
            if !path.hasSuffix("-wal") {
                #expect(bytes.range(of: Data("Bartholomew Keepsake".utf8)) != nil, "another customer's data stays in \(path)")
            }
        }
        #expect(try await PorticoProcess.run(["check", "--database", instance.database]).status == 0)

        // The erasure is audited (by id, never by what was erased); the other customer still serves.
        let audit = try await PorticoProcess.python(
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT target_type, target_id FROM audit_log WHERE action = 'personal_data.erased'\").fetchall())",
            [instance.database]
        )
        #expect(audit.contains("('customer', '\(erased)')"), "\(audit)")
        try await Self.serving(instance) { url in
            let gone = try await HTTP.request("GET", "\(url)/v1/customers/\(erased)", key: instance.key)
            let there = try await HTTP.request("GET", "\(url)/v1/customers/\(kept)", key: instance.key)
            #expect(gone.status == 404 && there.status == 200)
        }
    }

    @Test func erasingAnAddressReachesEveryCustomerWithItAndErasingAnOrganizationRemovesItsLogs() async throws {
        let instance = try await Self.instance()
        defer { try? FileManager.default.removeItem(at: instance.directory) }
        try await Self.serving(instance) { url in
            _ = try await Self.customer(url, key: instance.key, name: "Ophelia Twice", email: "Ophelia.Twice@example.org")
            _ = try await Self.customer(url, key: instance.key, name: "Ophelia Again", email: "ophelia.twice@example.org")
            // Deleted through the API before the erasure request: its events still hold it.
            let gone = try await Self.customer(url, key: instance.key, name: "Ophelia Deleted", email: "OPHELIA.TWICE@EXAMPLE.ORG")
            #expect(try await HTTP.request("DELETE", "\(url)/v1/customers/\(gone)", key: instance.key).status == 200)
            // Mentioned in another case in an event of the tenant's own.
            let event = #"{"type":"order.created","data":{"buyer":"OPHELIA.Twice@Example.org","total":12}}"#
            #expect(try await HTTP.request("POST", "\(url)/v1/events", key: instance.key, json: event).status == 200)
            // A longer address that contains this one belongs to someone else; so does a customer
            // whose own metadata names the address (the tenant's data about them, not this person's record).
            _ = try await Self.customer(url, key: instance.key, name: "Xavier Longer", email: "xophelia.twice@example.org.uk")
            let referrer = #"{"name":"Quentin Referrer","email":"quentin@example.org","metadata":{"referrer":"ophelia.twice@example.org"}}"#
            #expect(try await HTTP.request("POST", "\(url)/v1/customers", key: instance.key, json: referrer).status == 200)
        }
        let byEmail = try await PorticoProcess.run(["erase", "--email", "ophelia.twice@example.org", "--database", instance.database])
        #expect(byEmail.status == 0 && byEmail.stdout.contains("customers: 2"), "\(byEmail.stdout)\(byEmail.stderr)")
        for (path, bytes) in try await Self.everyCopy(instance) {
            let text = String(decoding: bytes, as: UTF8.self).lowercased()
            for secret in ["Ophelia Twice", "Ophelia Again", "Ophelia Deleted"] {
                #expect(!text.contains(secret.lowercased()), "\(secret) is still in \(path)")
            }
            #expect(text.contains("xophelia.twice@example.org.uk") && text.contains("xavier longer"), "someone else's data stays in \(path)")
        }
        // The address is gone from every event, log body and audit row; the other customers stay whole.
        let left = try await PorticoProcess.python(
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            needle = 'ophelia.twice@example.org"'
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'request_logs_[0-9]*'")]
            mentions = db.execute("SELECT count(*) FROM events WHERE instr(lower(data), ?)", (needle,)).fetchone()[0]
            mentions += db.execute("SELECT count(*) FROM audit_log WHERE instr(lower(details), ?)", (needle,)).fetchone()[0]
            for table in tables:
                mentions += db.execute(f"SELECT count(*) FROM {table} WHERE instr(lower(coalesce(request_body, '') || coalesce(response_body, '')), ?)", (needle,)).fetchone()[0]
            print(mentions, sorted(r[0] for r in db.execute("SELECT name FROM customers")))
            """,
            [instance.database]
        )
        #expect(left.hasPrefix("0 ['Quentin Referrer', 'Xavier Longer']"), "\(left)")

        // Values that could match more than one person are refused before anything changes.
        for arguments in [["--customer", ""], ["--customer", "cus_"], ["--email", "e"], ["--email", ""], ["--organization", "org_x"]] {
            let refused = try await PorticoProcess.run(["erase"] + arguments + ["--database", instance.database])
            #expect(refused.status == 1 && refused.stderr.contains("nothing was changed"), "\(arguments): \(refused.stderr)")
        }
        let unknownCustomer = try await PorticoProcess.run(["erase", "--customer", "cus_0000000000000000000000", "--database", instance.database])
        #expect(unknownCustomer.status == 1 && unknownCustomer.stderr.contains("no customer"), "\(unknownCustomer.stderr)")

        // A whole organization: everything in it, request logs included.
        try await Self.serving(instance) { url in
            _ = try await Self.customer(url, key: instance.key, name: "Cornelius Orgwide", email: "cornelius@example.org")
        }
        let byOrganization = try await PorticoProcess.run(["erase", "--organization", instance.organization, "--database", instance.database])
        #expect(byOrganization.status == 0 && byOrganization.stdout.contains("organizations: 1"), "\(byOrganization.stdout)")
        for (path, bytes) in try await Self.everyCopy(instance) {
            for secret in ["Cornelius Orgwide", "cornelius@example.org", "Erasure Test", instance.key.prefix(16).description] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is still in \(path)")
            }
        }
        let unknown = try await PorticoProcess.run(["erase", "--organization", "org_0000000000000000000000", "--database", instance.database])
        #expect(unknown.status == 1 && unknown.stderr.contains("nothing was changed"))
        let both = try await PorticoProcess.run(["erase", "--customer", "cus_x", "--email", "a@b.c", "--database", instance.database])
        #expect(both.status != 0 && both.stderr.contains("exactly one"))
    }
}
