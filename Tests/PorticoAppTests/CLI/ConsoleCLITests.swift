import Foundation
import PorticoCore
import Testing

/// `portico staff …` and `portico org list|show|suspend|reactivate` on a
/// database file, and the sandbox's staff account.
struct ConsoleCLITests {
    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("console-cli-\(UUID().uuidString).sqlite").path
    }

    static func json(_ line: Substring) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func staffAndOrganizationCommandsDoWhatTheySay() async throws {
        let database = Self.temporaryDatabase()
        let db = ["--database", database]
        let created = try await PorticoProcess.run(["staff", "create", "Ops@Example.com"] + db, stdin: "a long enough password\n")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("stf_"))
        await #expect(try PorticoProcess.run(["staff", "create", "ops@example.com"] + db, stdin: "a long enough password\n").status == 1)
        await #expect(try PorticoProcess.run(["staff", "create", "short@example.com"] + db, stdin: "short\n").status == 1)

        let listed = try await PorticoProcess.run(["staff", "list", "--json"] + db)
        let staff = try Self.json(try #require(listed.stdout.split(separator: "\n").first))
        #expect(staff["email"] as? String == "ops@example.com")
        #expect(staff["status"] as? String == "not enrolled")
        await #expect(try PorticoProcess.run(["staff", "disable", "ops@example.com"] + db).status == 0)
        await #expect(try PorticoProcess.run(["staff", "list"] + db).stdout.contains("disabled"))
        await #expect(try PorticoProcess.run(["staff", "disable", "nobody@example.com"] + db).status == 1)

        let acme = try await PorticoProcess.run(["org", "create", "--name", "Acme Rockets"] + db).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        _ = try await PorticoProcess.run(["org", "create", "--name", "Globex"] + db)
        await #expect(
            try PorticoProcess.run(["user", "create", "--email", "wile@acme.test", "--org", acme] + db, stdin: "a long enough password\n").status == 0
        )

        // Search by part of the name, by id, and by a member's email.
        for search in ["rocket", acme, "wile@acme"] {
            let rows = try await PorticoProcess.run(["org", "list", "--json", "--search", search] + db).stdout.split(separator: "\n")
            #expect(try rows.map { try Self.json($0)["id"] as? String } == [acme], "search \(search)")
        }
        await #expect(try PorticoProcess.run(["org", "list"] + db).stdout.split(separator: "\n").count == 2)

        await #expect(try PorticoProcess.run(["org", "suspend", acme] + db).status == 0)
        let shown = try Self.json(Substring(try await PorticoProcess.run(["org", "show", acme, "--json"] + db).stdout))
        #expect(shown["status"] as? String == "suspended")
        #expect((shown["members"] as? [[String: Any]])?.first?["email"] as? String == "wile@acme.test")
        await #expect(try PorticoProcess.run(["org", "reactivate", acme] + db).status == 0)
        await #expect(try PorticoProcess.run(["org", "show", acme] + db).stdout.contains("status: active"))
        await #expect(try PorticoProcess.run(["org", "suspend", "org_missing"] + db).status == 1)
    }

    /// An operator turns two-factor sign-in off for a user who lost both the app and the codes.
    @Test func userResetTwoFactorTurnsItOffAndTellsTheUser() async throws {
        let database = Self.temporaryDatabase()
        let db = ["--database", database]
        await #expect(try PorticoProcess.run(["user", "create", "--email", "ada@example.com"] + db, stdin: "a long enough password\n").status == 0)
        let without = try await PorticoProcess.run(["user", "reset-two-factor", "ada@example.com"] + db)
        #expect(without.status == 1 && without.stderr.contains("has no two-factor sign-in"))
        _ = try await BillingCLITests.query(database, "UPDATE users SET totp_secret = 'sealed', totp_enabled_at = 1 WHERE email = 'ada@example.com'")
        _ = try await BillingCLITests.query(database, "INSERT INTO user_recovery_codes SELECT id, x'00', NULL FROM users")
        let reset = try await PorticoProcess.run(["user", "reset-two-factor", "Ada@Example.com"] + db)
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(try await BillingCLITests.query(database, "SELECT totp_secret IS NULL AND totp_enabled_at IS NULL FROM users") == ["1"])
        #expect(try await BillingCLITests.query(database, "SELECT count(*) FROM user_recovery_codes") == ["0"])
        #expect(try await BillingCLITests.query(database, "SELECT kind, recipients FROM mail_outbox") == ["two_factor_disabled|ada@example.com"])
        #expect(try await BillingCLITests.query(database, "SELECT actor_type FROM audit_log WHERE action = 'user.two_factor_disabled'") == ["cli"])
        await #expect(try PorticoProcess.run(["user", "reset-two-factor", "nobody@example.com"] + db).status == 1)
    }

    @Test func theSandboxLinePrintsAnEnrolledStaffAccount() async throws {
        let database = Self.temporaryDatabase()
        let sandbox = try PorticoProcess.Running(["sandbox", "--port", "0", "--database", database])
        sandbox.drainStderr()
        let line = try Self.json(Substring(await sandbox.firstLine()))
        _ = await sandbox.stop()
        let staff = try #require(line["staff"] as? [String: String])
        let secret = try #require(staff["totp_secret"])
        #expect(Base32.decode(secret)?.count == TOTP.secretLength)
        #expect((staff["password"] ?? "").count >= 12)
        let listed = try await PorticoProcess.run(["staff", "list", "--json", "--database", database]).stdout
        let account = try Self.json(try #require(listed.split(separator: "\n").first))
        #expect(account["email"] as? String == staff["email"])
        #expect(account["two_factor"] as? Bool == true)
    }
}
