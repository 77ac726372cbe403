import Foundation

/// A row of `mail_outbox`: one mail, written in the transaction of the change
/// that caused it and sent later by the mailer. Its bodies are sealed
/// (`SecretBox`): they may hold a single-use link.
package struct MailRecord: Codable, Sendable, Equatable {
    package enum Status: String, Codable, Sendable, CaseIterable {
        /// Waiting: for its next attempt, or for SMTP to be configured.
        case queued
        case sent
        /// Refused for good, or out of attempts.
        case failed
    }

    package var id: String
    /// The organization it concerns (nil: an account's own mail, a test mail).
    package var organizationId: String?
    /// What it is: `invitation`, `password_reset`, `test`…
    package var kind: String
    /// Comma-separated addresses.
    package var recipients: String
    package var subject: String
    /// Sealed JSON `{"text": …, "html": …}`, bound to the id.
    package var body: String
    package var status: Status
    package var attempts: Int
    /// When it may be tried next (nil once sent or failed).
    package var nextAttemptAt: Int64?
    /// A mailer holds it until then; another may take it after (a crash mid-send).
    package var leaseUntil: Int64?
    package var lastError: String?
    package var createdAt: Int64
    package var sentAt: Int64?

    package init(id: String, organizationId: String?, kind: String, recipients: String, subject: String, body: String, at now: Int64) {
        self.id = id
        self.organizationId = organizationId
        self.kind = kind
        self.recipients = recipients
        self.subject = subject
        self.body = body
        self.status = .queued
        self.attempts = 0
        self.nextAttemptAt = now
        self.leaseUntil = nil
        self.lastError = nil
        self.createdAt = now
        self.sentAt = nil
    }

    package enum CodingKeys: String, CodingKey {
        case id, kind, recipients, subject, body, status, attempts
        case organizationId = "organization_id"
        case nextAttemptAt = "next_attempt_at"
        case leaseUntil = "lease_until"
        case lastError = "last_error"
        case createdAt = "created_at"
        case sentAt = "sent_at"
    }
}

/// What one attempt at a mail came to.
package enum MailOutcome: Sendable, Equatable {
    case sent(at: Int64)
    /// Tried again at `retryAt`.
    case retry(error: String, retryAt: Int64)
    case failed(error: String)
}
