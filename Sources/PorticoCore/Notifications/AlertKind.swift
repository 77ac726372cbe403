import Foundation

/// What Portico tells an organization's owners and admins about by mail, as
/// well as by the event of the same type that webhooks receive.
package enum AlertKind: String, CaseIterable, Sendable, Codable {
    /// Portico disabled an endpoint (410 Gone, or failing for `webhooks.auto_disable_after_hours`).
    case endpointDisabled = "webhook_endpoint.disabled"
    /// Deliveries ran out of attempts: one mail at once, then at most one digest per endpoint per hour.
    case deliveriesExhausted = "webhook_delivery.exhausted"
    /// A key expires within `keyExpiryNotice` (announced once per key; rolled and revoked keys are not).
    case keyExpiring = "api_key.expiring"
    /// A metered quota reached 80 % or 100 % (once per threshold per period).
    case usageThreshold = "usage.threshold_reached"

    /// How the settings page names it.
    package var title: String {
        switch self {
        case .endpointDisabled: "A webhook endpoint is disabled"
        case .deliveriesExhausted: "Webhook deliveries run out of attempts (at most one mail an hour per endpoint)"
        case .keyExpiring: "An API key expires within 7 days"
        case .usageThreshold: "Usage reaches 80 % or 100 % of a quota"
        }
    }

    /// How long before a key's expiry it is announced.
    package static let keyExpiryNotice: Int64 = 7 * 86_400_000

    /// The least time between two mails of this kind about one subject.
    package static let digestInterval: Int64 = 3_600_000
}

/// An organization's choice of alert mails (`organizations.notification_settings`):
/// every kind is mailed unless turned off. Events are published either way.
package struct NotificationSettings: Equatable, Sendable {
    package var off: Set<AlertKind>

    package init(off: Set<AlertKind> = []) {
        self.off = off
    }

    /// From the stored JSON list of kinds turned off; nil or unreadable: all on.
    package init(stored: String?) {
        let names = stored.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        off = Set(names.compactMap(AlertKind.init(rawValue:)))
    }

    /// What to store: nil when every kind is on.
    package var stored: String? {
        guard !off.isEmpty else { return nil }
        let names = off.map(\.rawValue).sorted()
        return (try? JSONEncoder().encode(names)).map { String(decoding: $0, as: UTF8.self) }
    }

    package func mails(_ kind: AlertKind) -> Bool { !off.contains(kind) }
}
