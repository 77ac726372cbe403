import Foundation
import PorticoCore
import Testing

/// `portico org update`, `invoice generate` and `usage reconcile`, run as the
/// real binary against a database a real server wrote.
@Suite(.serialized)
struct BillingCLITests {
    @Test func orgUpdateChangesPlanBodyCaptureAndVersionAndRefusesUnknownOnes() async throws {
        let database = CLITests.temporaryDatabase()
        let orgID = try await PorticoProcess.run(["org", "create", "--name", "Plan Co", "--database", database])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(orgID.hasPrefix("org_"))

        let updated = try await PorticoProcess.run(["org", "update", orgID, "--plan", "growth", "--body-capture", "on", "--database", database])
        #expect(updated.status == 0, "\(updated.stderr)")
        await #expect(try Self.query(database, "SELECT plan, body_capture FROM organizations WHERE id = '\(orgID)'") == ["growth|1"])

        let unknown = try await PorticoProcess.run(["org", "update", orgID, "--plan", "platinum", "--database", database])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("platinum"))
        let badSwitch = try await PorticoProcess.run(["org", "update", orgID, "--body-capture", "maybe", "--database", database])
        #expect(badSwitch.status != 0 && badSwitch.stderr.contains("--body-capture"))
        let missing = try await PorticoProcess.run(["org", "update", "org_nope", "--plan", "free", "--database", database])
        #expect(missing.status != 0)
        let badVersion = try await PorticoProcess.run(["org", "update", orgID, "--api-version", "2020-01-01", "--database", database])
        #expect(badVersion.status != 0 && badVersion.stderr.contains("2020-01-01"))
        // Refusals changed nothing.
        await #expect(
            try Self.query(database, "SELECT plan, body_capture, api_version FROM organizations WHERE id = '\(orgID)'") == ["growth|1|2026-11-22"]
        )

        let pinned = try await PorticoProcess.run(["org", "update", orgID, "--api-version", "2026-11-01", "--database", database])
        #expect(pinned.status == 0, "\(pinned.stderr)")
        await #expect(try Self.query(database, "SELECT api_version FROM organizations WHERE id = '\(orgID)'") == ["2026-11-01"])
        await #expect(
            try Self.query(database, "SELECT action FROM audit_log WHERE target_id = '\(orgID)' ORDER BY id DESC LIMIT 1") == ["organization.updated"]
        )
    }

    @Test(.requires(.python3))
    func reconcileAndInvoiceAfterARealServerRan() async throws {
        let database = CLITests.temporaryDatabase()
        let sandbox = try PorticoProcess.Running(["sandbox", "--port", "0", "--database", database, "--plan", "starter"])
        let json = try await #require(try JSONSerialization.jsonObject(with: Data(sandbox.firstLine().utf8)) as? [String: Any])
        let url = try #require(json["url"] as? String)
        let organization = try #require((json["organizations"] as? [[String: Any]])?.first)
        let orgID = try #require(organization["id"] as? String)
        let keys = try #require(organization["keys"] as? [String: String])
        for _ in 0..<5 { #expect(try await HTTP.request("GET", "\(url)/v1/customers", key: keys["test_secret"]).status == 200) }
        for _ in 0..<3 { #expect(try await HTTP.request("GET", "\(url)/v1/customers", key: keys["live_secret"]).status == 200) }
        #expect(try await HTTP.request("GET", "\(url)/v1/customers", key: "sk_test_wrong").status == 401)
        await #expect(sandbox.stop(SIGTERM) == 0)  // the log writer drains at shutdown

        let month = Self.currentMonth()
        let clean = try await PorticoProcess.run(["usage", "reconcile", "--month", month, "--database", database])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("\(orgID)\ttest\tusage=5\tlogged=5\tok"))
        #expect(clean.stdout.contains("\(orgID)\tlive\tusage=3\tlogged=3\tok"))
        #expect(clean.stdout.contains("no differences"))

        let first = try await PorticoProcess.run(["invoice", "generate", "--month", month, "--database", database])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("2 invoice(s) created"))
        let again = try await PorticoProcess.run(["invoice", "generate", "--month", month, "--database", database])
        #expect(again.status == 0 && again.stdout.contains("0 invoice(s) created"))
        // Starter: 49 USD base, 100k included, so 3 live requests cost the base fee; test mode is never charged.
        let invoices = try await Self.query(
            database,
            "SELECT livemode, currency, total FROM invoices WHERE organization_id = '\(orgID)' ORDER BY livemode"
        )
        #expect(invoices.count == 2)
        #expect(invoices.last == "1|usd|4900")
        let badMonth = try await PorticoProcess.run(["invoice", "generate", "--month", "2026-13", "--database", database])
        #expect(badMonth.status != 0 && badMonth.stderr.contains("YYYY-MM"))

        // A usage row lost behind the log's back is reported, with exit status 1.
        _ = try await Self.query(database, "DELETE FROM usage_buckets WHERE organization_id = '\(orgID)' AND livemode = 1")
        let differs = try await PorticoProcess.run(["usage", "reconcile", "--month", month, "--database", database])
        #expect(differs.status == 1)
        #expect(differs.stdout.contains("\(orgID)\tlive\tusage=0\tlogged=3\tDIFFERENCE"))
    }

    static func currentMonth() -> String {
        let now = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        return String(format: "%04d-%02d", now.year!, now.month!)
    }

    /// Rows as `a|b|c`, straight from the file with Python's sqlite3 (as an operator would look).
    static func query(_ database: String, _ sql: String) async throws -> [String] {
        let text = try await PorticoProcess.python(
            "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); rows=db.execute(sys.argv[2]).fetchall(); db.commit(); print('\\n'.join('|'.join(str(c) for c in r) for r in rows))",
            [database, sql]
        )
        return text.split(separator: "\n").map(String.init)
    }
}
