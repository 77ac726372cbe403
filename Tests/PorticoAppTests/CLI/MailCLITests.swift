import Foundation
import Testing

/// `portico mail test` with the real binary: kept without a relay, sent
/// through a real SMTP server with one, the relay's answer on failure; the
/// SMTP password only from the environment; `serve` says when mail is off.
@Suite(.requires(.python3, .pythonModule("aiosmtpd"), .pythonModule("cryptography")))
struct MailCLITests {
    @Test func mailTestKeepsSendsOrReportsTheRelaysAnswer() async throws {
        let database = CLITests.temporaryDatabase()
        try await PorticoProcess.run(["migrate", "--database", database])
        let kept = try await PorticoProcess.run(["mail", "test", "ops@example.org", "--database", database])
        #expect(kept.status == 0)
        #expect(kept.stdout.contains("Mail is not configured") && kept.stdout.contains("mail_"))
        await #expect(try PorticoProcess.run(["mail", "test", "not an address", "--database", database]).status != 0)

        try await SMTPSink.with(["--starttls", "--auth", "portico:s3cret"]) { sink in
            let relay = [
                "PORTICO_MAIL_SMTP_HOST": "127.0.0.1", "PORTICO_MAIL_SMTP_PORT": "\(sink.port)", "PORTICO_MAIL_SMTP_SECURITY": "starttls",
                "PORTICO_MAIL_SMTP_USERNAME": "portico", "PORTICO_MAIL_SMTP_CA_FILE": sink.caFile, "PORTICO_MAIL_FROM": "portico@example.com",
            ]
            let sent = try await PorticoProcess.run(
                ["mail", "test", "ops@example.org", "--database", database],
                environment: relay.merging(["PORTICO_MAIL_SMTP_PASSWORD": "s3cret"]) { $1 }
            )
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(sent.stdout.contains("Sent a test mail to ops@example.org through 127.0.0.1:\(sink.port)"))
            let mail = try #require(try await sink.waitFor(1).first)
            #expect(mail.recipients == ["ops@example.org"] && mail.tls && mail.authenticated)

            let wrong = try await PorticoProcess.run(
                ["mail", "test", "ops@example.org", "--database", database],
                environment: relay.merging(["PORTICO_MAIL_SMTP_PASSWORD": "wrong"]) { $1 }
            )
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("AUTH PLAIN answered 535"))
        }
    }

    @Test func theSMTPPasswordIsNeverReadFromAConfigFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-mail-\(UUID().uuidString).json").path
        try #"{"mail": {"smtp_host": "smtp.example.com", "smtp_password": "hunter2"}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try await PorticoProcess.run(["mail", "test", "ops@example.org", "--config", path, "--database", CLITests.temporaryDatabase()])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("PORTICO_MAIL_SMTP_PASSWORD"))
        #expect(!refused.stderr.contains("hunter2"))
    }
}
