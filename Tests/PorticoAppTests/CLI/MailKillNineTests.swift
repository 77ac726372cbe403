import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The mail outbox under kill -9: mails queued in the file, `portico serve`
/// sending them through a real SMTP server and killed with SIGKILL at random
/// moments (`TEST_PORTICO_MAIL_KILL_CYCLES`, 4 by default), then run to the
/// end. Every queued mail arrives, each with its outbox row's Message-ID;
/// only a kill between the relay's acceptance and the commit may send one
/// twice, and then with the same Message-ID.
@Suite(.requires(.python3, .pythonModule("aiosmtpd"), .pythonModule("cryptography")))
struct MailKillNineTests {
    static var cycles: Int { Int(ProcessInfo.processInfo.environment["TEST_PORTICO_MAIL_KILL_CYCLES"] ?? "") ?? 4 }
    static let queued = 12

    @Test func queuedMailsArriveAcrossKills() async throws {
        let database = CLITests.temporaryDatabase()
        try await PorticoProcess.run(["migrate", "--database", database])
        for index in 0..<Self.queued {
            let kept = try await PorticoProcess.run(["mail", "test", "person\(index)@example.org", "--database", database])
            #expect(kept.status == 0, "\(kept.stderr)")
        }
        let ids = try await BillingCLITests.query(database, "SELECT id FROM mail_outbox ORDER BY id")
        #expect(ids.count == Self.queued)

        try await SMTPSink.with { sink in
            let relay = [
                "PORTICO_MAIL_SMTP_HOST": "127.0.0.1", "PORTICO_MAIL_SMTP_PORT": "\(sink.port)", "PORTICO_MAIL_SMTP_SECURITY": "none",
                // Long enough that a loaded machine's SMTP exchange never times out (a retry waits a minute).
                "PORTICO_MAIL_TIMEOUT_SECONDS": "10", "PORTICO_MAIL_FROM": "portico@example.com",
                "PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10",
            ]
            func queuedLeft() async throws -> Int {
                Int(try await BillingCLITests.query(database, "SELECT count(*) FROM mail_outbox WHERE status = 'queued'").first ?? "") ?? -1
            }
            var kills = 0
            for _ in 0..<Self.cycles where try await queuedLeft() > 0 {
                let server = try PorticoProcess.Running(["serve", "--port", "0", "--database", database], environment: relay)
                server.drainStderr()
                _ = ChildProcess.Drain(server.child.stdout)
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1_500)))
                #expect(await server.stop(SIGKILL) == SIGKILL)
                kills += 1
            }
            // Then to the end: a mail leased by a killed process is sent once its lease runs out.
            let server = try PorticoProcess.Running(["serve", "--port", "0", "--database", database], environment: relay)
            server.drainStderr()
            _ = ChildProcess.Drain(server.child.stdout)
            // A killed process's lease (10 s timeout + 15 s) runs out well within this.
            let deadline = ContinuousClock.now + .seconds(240)
            while true {
                // Read again after every sleep, the deadline's included (a starved task wakes late).
                let left = try await queuedLeft()
                if left == 0 || ContinuousClock.now >= deadline {
                    #expect(left == 0, "mails still queued after the last restart")
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(await server.stop(SIGTERM) == 0)

            let statuses = try await BillingCLITests.query(database, "SELECT DISTINCT status FROM mail_outbox")
            #expect(statuses == ["sent"])
            let received = sink.mails.compactMap { $0.header("Message-ID") }
            let expected = Set(ids.map { "<\($0)@example.com>" })
            #expect(Set(received) == expected, "every queued mail arrived, and nothing else")
            let duplicates = received.count - Set(received).count
            print("mail kill -9: \(kills) kills, \(Self.queued) mails, \(duplicates) sent twice (same Message-ID)")
            #expect(try await BillingCLITests.query(database, "PRAGMA integrity_check") == ["ok"])
        }
    }
}
