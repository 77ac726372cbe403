import Foundation
import PorticoCore

/// What an alert mail is about, handed to the app that words it
/// (`StoreConfiguration.alertMails`). The engine decides whether one is owed
/// (the organization's settings, the digest interval) and to whom (its
/// owners and admins), and writes the mails in the transaction of what they
/// are about, so an alert is never lost nor sent for something that did not
/// happen.
package struct AlertMailRequest: Sendable {
    package var kind: AlertKind
    package var organization: OrganizationRecord
    /// Owners' and admins' confirmed addresses: one mail each (no one sees the others'; an
    /// address someone signed up with but never confirmed gets nothing).
    package var recipients: [String]
    package var endpoint: WebhookEndpointRecord?
    package var apiKey: APIKeyRecord?
    package var crossing: UsageThresholdCrossing?
    /// How many occurrences the mail covers (exhausted deliveries in a digest).
    package var count: Int
    package var at: Int64

    package init(
        kind: AlertKind,
        organization: OrganizationRecord,
        recipients: [String],
        endpoint: WebhookEndpointRecord?,
        apiKey: APIKeyRecord? = nil,
        crossing: UsageThresholdCrossing? = nil,
        count: Int,
        at: Int64
    ) {
        self.crossing = crossing
        self.kind = kind
        self.organization = organization
        self.recipients = recipients
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.count = count
        self.at = at
    }
}

/// What the store asks the app while it writes, so that alerts go in the
/// transaction of their cause while their rules of wording and pricing stay
/// the app's.
package protocol StorePolicy: Sendable {
    /// The app's clock (a sandbox's may run ahead): when a threshold is announced.
    var now: Int64 { get }
    /// One mail per recipient.
    func alertMails(_ request: AlertMailRequest) -> [MailRecord]
    /// The quotas on `metric` for the tenant (its plan's, with staff overrides); empty: none watched.
    func quotas(of organization: OrganizationRecord, livemode: Bool, metric: String) -> [UsageQuota]
    /// The `usage.threshold_reached` event; nil if it cannot be made.
    func thresholdEvent(_ crossing: UsageThresholdCrossing, at now: Int64) -> EventRecord?
}

/// Alert mails that are not written with their cause: digests that come due
/// when their hour has passed.
package protocol AlertStore: Sendable {
    /// Writes the digest mails now due (exhausted deliveries held back within the hour after an
    /// endpoint's last such mail); returns how many endpoints got one.
    func sendDueAlertDigests(now: Int64) async throws -> Int
    /// The earliest time a held-back digest comes due; nil when none waits.
    func nextAlertDigestDue() async throws -> Int64?
    /// Records the staff digest of the day starting at `dayStart` with its mails (none when
    /// `problems` is 0), once: false, writing nothing, when that day was recorded already.
    func recordStaffDigest(dayStart: Int64, problems: Int, mails: [MailRecord], at now: Int64) async throws -> Bool
    /// Whether the day starting at `dayStart` has its digest recorded.
    func staffDigestRecorded(dayStart: Int64) async throws -> Bool
    /// Announces every key that expires within `AlertKind.keyExpiryNotice` of `now` and was not
    /// announced yet (neither revoked nor rolled): the event `event(key)` makes and the alert
    /// mails, with the key marked, in one transaction. Returns how many keys.
    func announceExpiringKeys(now: Int64, event: @escaping @Sendable (APIKeyRecord) -> EventRecord?) async throws -> Int
}
