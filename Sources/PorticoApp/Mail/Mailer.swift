import Foundation
import Logging
import PorticoCore
import PorticoStore
import ServiceLifecycle
import Synchronization

/// What a sealed mail body holds.
struct MailContent: Codable, Sendable, Equatable {
    var text: String
    var html: String?
}

/// Makes outbox rows: the one place a mail body is sealed and a mail id is made.
struct MailComposer: Sendable {
    let secrets: SecretBox
    let sender: MailAddress

    /// A queued mail to `to`; write it with the change that causes it.
    func compose(
        kind: String,
        to: [MailAddress],
        subject: String,
        text: String,
        html: String?,
        organizationId: String?,
        at now: Int64
    ) -> MailRecord {
        let id = Identifier.make("mail", at: now)
        let content = (try? JSONEncoder().encode(MailContent(text: text, html: html))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return MailRecord(
            id: id,
            organizationId: organizationId,
            kind: kind,
            recipients: to.map(\.address).joined(separator: ", "),
            subject: subject,
            body: secrets.seal(content, for: id),
            at: now
        )
    }

    /// A queued mail of `template`'s words to `to`.
    func compose(kind: String, to: MailAddress, _ template: MailContentTemplate, organizationId: String?, at now: Int64) -> MailRecord {
        compose(kind: kind, to: [to], subject: template.subject, text: template.text, html: template.html, organizationId: organizationId, at: now)
    }

    /// The mail's bodies, unsealed.
    func content(of mail: MailRecord) throws -> MailContent {
        try JSONDecoder().decode(MailContent.self, from: Data(try secrets.open(mail.body, for: mail.id).utf8))
    }

    /// The mail as it goes on the wire (its Message-ID from its outbox id, so every try of one row carries the same).
    func message(_ mail: MailRecord) throws -> MailMessage {
        let content = try content(of: mail)
        return MailMessage(
            from: sender,
            to: mail.recipients.split(separator: ",").compactMap { MailAddress(String($0)) },
            subject: mail.subject,
            text: content.text,
            html: content.html,
            messageID: sender.messageID(for: mail.id),
            date: mail.createdAt
        )
    }
}

/// Sends the outbox through SMTP: claims one due mail at a time with a lease
/// (the SMTP deadline plus 15 seconds, so a crash mid-send is retried once the
/// lease runs out and a slow send is never taken twice), sends it, records the
/// outcome. A failure is tried again after 1, 2, 4… minutes (at most two
/// hours) up to `mail.max_attempts`; a 5xx refusal fails at once. Runs only
/// when `mail.smtp_host` is set; otherwise mails wait in the outbox.
final class Mailer: Service, Sendable {
    let store: any MailStore
    let clock: any PorticoClock
    let composer: MailComposer
    let settings: SMTPSettings
    let maxAttempts: Int
    let logger: Logger
    private let stopping = Atomic<Bool>(false)

    init(store: any MailStore, clock: any PorticoClock, composer: MailComposer, settings: SMTPSettings, maxAttempts: Int, logger: Logger) {
        self.store = store
        self.clock = clock
        self.composer = composer
        self.settings = settings
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    /// How long a lease outlasts the SMTP deadline: time to record the outcome.
    static let leaseMargin: Int64 = 15_000

    /// The wait before try `attempts + 1` after `attempts` failed ones: 1, 2, 4… minutes, at most 2 hours.
    static func backoff(afterAttempts attempts: Int) -> Int64 {
        min(60_000 << Int64(min(max(attempts - 1, 0), 16)), 7_200_000)
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            while !stopping.load(ordering: .relaxed), !Task.isCancelled {
                let pause = await sendDue()
                await store.mailQueued.wait(timeout: pause)
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.store.mailQueued.fire()
        }
    }

    /// Sends what is due now, one at a time; returns how long to wait before looking again.
    func sendDue() async -> Duration {
        do {
            while !stopping.load(ordering: .relaxed) {
                let now = clock.nowMilliseconds
                // One at a time: the lease covers one exchange (its deadline) and the commit after it.
                let lease = Int64(settings.timeout.components.seconds) * 1_000 + Self.leaseMargin
                let due = try await store.claimDueMail(now: now, leaseUntil: now + lease, limit: 1)
                guard !due.isEmpty else { break }
                for mail in due { try await send(mail) }
            }
            guard let next = try await store.nextMailDue() else { return .seconds(3_600) }
            return .milliseconds(max(50, min(next - clock.nowMilliseconds, 3_600_000)))
        } catch {
            logger.error("the mail outbox could not be read or updated", metadata: ["error": "\(error)"])
            return .seconds(5)
        }
    }

    private func send(_ mail: MailRecord) async throws {
        let outcome: MailOutcome
        do {
            try await SMTPClient.send(try composer.message(mail), settings: settings)
            outcome = .sent(at: clock.nowMilliseconds)
            logger.info("mail sent", metadata: ["mail": "\(mail.id)", "kind": "\(mail.kind)"])
        } catch {
            let attempts = mail.attempts + 1
            let permanent = (error as? SMTPError)?.isPermanent ?? false
            let description = (error as? SMTPError)?.description ?? "\(error)"
            if permanent || attempts >= maxAttempts {
                outcome = .failed(error: description)
                logger.error("mail failed", metadata: ["mail": "\(mail.id)", "attempts": "\(attempts)", "error": "\(description)"])
            } else {
                outcome = .retry(error: description, retryAt: clock.nowMilliseconds + Self.backoff(afterAttempts: attempts))
                logger.warning("mail not sent; will retry", metadata: ["mail": "\(mail.id)", "attempts": "\(attempts)", "error": "\(description)"])
            }
        }
        try await store.finishMail(id: mail.id, outcome: outcome)
    }
}

extension PorticoConfig.Mail {
    /// The SMTP settings, when a relay is configured.
    func smtpSettings(heloName: String) -> SMTPSettings? {
        guard let host = smtpHost else { return nil }
        return SMTPSettings(
            host: host,
            port: smtpPort,
            security: SMTPSettings.Security(rawValue: smtpSecurity) ?? .starttls,
            username: smtpUsername,
            password: smtpPassword,
            caFile: smtpCAFile,
            timeout: .seconds(timeoutSeconds),
            heloName: heloName
        )
    }
}
