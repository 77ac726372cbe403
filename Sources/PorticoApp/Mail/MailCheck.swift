import Foundation
import PorticoCore
import PorticoStore

/// `portico mail test ADDRESS`: one mail through the configured relay, now,
/// with what went wrong in words; without a relay the mail is kept in the
/// outbox like every other.
public struct MailCheck: Sendable {
    let runtime: PorticoRuntime

    public init(runtime: PorticoRuntime) { self.runtime = runtime }

    public enum Outcome: Sendable, Equatable {
        case sent(id: String, relay: String)
        /// No `mail.smtp_host`: kept in the outbox.
        case kept(id: String)
        case failed(id: String, error: String)
    }

    public func send(to text: String) async throws -> Outcome {
        guard let address = MailAddress(text) else { throw ConfigError(description: "\"\(text)\" is not an email address") }
        let now = runtime.clock.nowMilliseconds
        let mail = runtime.mail.compose(
            kind: "test",
            to: [address],
            subject: "Portico test mail",
            text: "This is a test mail from the Portico at \(runtime.baseURL.value). If you read this, mail works.\n",
            html: "<p>This is a test mail from the Portico at \(HTML.escape(runtime.baseURL.value)). If you read this, mail works.</p>",
            organizationId: nil,
            at: now
        )
        try await runtime.store.insertMail(mail)
        let config = runtime.config.mail
        guard let settings = config.smtpSettings(heloName: URL(string: runtime.baseURL.value)?.host ?? "localhost") else {
            return .kept(id: mail.id)
        }
        do {
            try await SMTPClient.send(try runtime.mail.message(mail), settings: settings)
            try await runtime.store.finishMail(id: mail.id, outcome: .sent(at: runtime.clock.nowMilliseconds))
            return .sent(id: mail.id, relay: "\(settings.host):\(settings.port)")
        } catch {
            let description = (error as? SMTPError)?.description ?? "\(error)"
            try await runtime.store.finishMail(id: mail.id, outcome: .failed(error: description))
            return .failed(id: mail.id, error: description)
        }
    }
}
