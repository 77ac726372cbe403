import Foundation
import NIOCore
import NIOPosix
import PorticoCore
import Testing

@testable import PorticoApp

/// The SMTP client against a real server (aiosmtpd): plain, STARTTLS and
/// implicit TLS, authentication only under TLS, dot-stuffing, refusals and
/// the one deadline.
@Suite(.requires(.python3, .pythonModule("aiosmtpd"), .pythonModule("cryptography")))
struct SMTPClientTests {
    static func settings(
        _ sink: SMTPSink,
        _ security: SMTPSettings.Security,
        user: String? = nil,
        password: String? = nil,
        trust: Bool = true
    )
        -> SMTPSettings
    {
        SMTPSettings(
            host: "127.0.0.1",
            port: sink.port,
            security: security,
            username: user,
            password: password,
            caFile: trust ? sink.caFile : nil,
            // A bound for a loaded machine, not a claim about speed (the silent-server test uses its own).
            timeout: .seconds(60),
            heloName: "portico.test"
        )
    }

    static let message = MailMessage(
        from: MailAddress("portico@example.com")!,
        to: [MailAddress("ada@example.org")!, MailAddress("bob@example.org")!],
        subject: "Stuffed",
        text: "first line\n.\n..two dots\nlast line\n",
        html: nil,
        messageID: "<mail_1@example.com>",
        date: 1_764_547_200_000
    )

    @Test func aPlainRelayGetsTheMailWholeWithLeadingDotsIntact() async throws {
        try await SMTPSink.with { sink in
            try await SMTPClient.send(Self.message, settings: Self.settings(sink, .none))
            let mail = try #require(try await sink.waitFor(1).first)
            #expect(mail.mailFrom == "portico@example.com")
            #expect(mail.recipients == ["ada@example.org", "bob@example.org"])
            #expect(mail.header("Message-ID") == "<mail_1@example.com>")
            #expect(mail.bodies == ["first line\r\n.\r\n..two dots\r\nlast line\r\n"])
            #expect(!mail.tls)
        }
    }

    @Test func startTLSThenAuthentication() async throws {
        try await SMTPSink.with(["--starttls", "--auth", "portico:s3cret"]) { sink in
            try await SMTPClient.send(Self.message, settings: Self.settings(sink, .starttls, user: "portico", password: "s3cret"))
            let mail = try #require(try await sink.waitFor(1).first)
            #expect(mail.tls && mail.authenticated)

            await #expect(throws: SMTPError.self) {
                try await SMTPClient.send(Self.message, settings: Self.settings(sink, .starttls, user: "portico", password: "wrong"))
            }
            // Not trusting the relay's certificate: nothing is sent, credentials least of all.
            await #expect(throws: SMTPError.self) {
                try await SMTPClient.send(Self.message, settings: Self.settings(sink, .starttls, user: "portico", password: "s3cret", trust: false))
            }
            #expect(sink.mails.count == 1)
        }
    }

    @Test func implicitTLS() async throws {
        try await SMTPSink.with(["--tls"]) { sink in
            try await SMTPClient.send(Self.message, settings: Self.settings(sink, .tls))
            #expect(try await sink.waitFor(1).first?.tls == true)
        }
    }

    @Test func credentialsAreNeverSentInTheClearAndStartTLSMustBeOffered() async throws {
        try await SMTPSink.with { sink in
            let clear = try await #require(throws: SMTPError.self) {
                try await SMTPClient.send(Self.message, settings: Self.settings(sink, .none, user: "portico", password: "s3cret"))
            }
            #expect(clear.description.contains("without TLS"))
            let missing = try await #require(throws: SMTPError.self) {
                try await SMTPClient.send(Self.message, settings: Self.settings(sink, .starttls))
            }
            #expect(missing.description.contains("STARTTLS"))
            #expect(sink.mails.isEmpty)
        }
    }

    @Test func refusalsArePermanentAndTemporaryFailuresAreNot() async throws {
        try await SMTPSink.with(["--reject"]) { sink in
            let refused = try await #require(throws: SMTPError.self) { try await SMTPClient.send(Self.message, settings: Self.settings(sink, .none)) }
            #expect(refused.isPermanent && refused.description.contains("550"))
        }
        try await SMTPSink.with(["--fail-first", "1"]) { sink in
            let later = try await #require(throws: SMTPError.self) { try await SMTPClient.send(Self.message, settings: Self.settings(sink, .none)) }
            #expect(!later.isPermanent && later.description.contains("451"))
            try await SMTPClient.send(Self.message, settings: Self.settings(sink, .none))
            #expect(try await sink.waitFor(1).count == 1)
        }
    }

    /// A server that accepts the connection and never says a word: the deadline ends the exchange.
    @Test func aSilentServerRunsIntoTheDeadline() async throws {
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        var settings = SMTPSettings(
            host: "127.0.0.1",
            port: silent.localAddress?.port ?? 0,
            security: .none,
            username: nil,
            password: nil,
            caFile: nil,
            timeout: .seconds(1),
            heloName: "portico.test"
        )
        settings.timeout = .seconds(1)
        let error = try await #require(throws: SMTPError.self) { try await SMTPClient.send(Self.message, settings: settings) }
        #expect(error.description.contains("in time"))
    }
}
