import Foundation
import PorticoCore
import PorticoStore
import Synchronization

/// Words the alert mails the store writes with their cause
/// (`StoreConfiguration.alertMails`): one mail per owner or admin, linking
/// to the dashboard page that shows the problem.
struct AlertMails: Sendable {
    let composer: MailComposer
    let baseURL: BaseURL

    func mails(for request: AlertMailRequest) -> [MailRecord] {
        let dashboard = "\(baseURL.value)/dashboard"
        let settings = "\(dashboard)/settings"
        let organization = request.organization.name
        let words: MailContentTemplate
        switch request.kind {
        case .endpointDisabled:
            guard let endpoint = request.endpoint else { return [] }
            words = .endpointDisabled(
                organization: organization,
                url: endpoint.url,
                livemode: endpoint.livemode,
                reason: endpoint.disabledReason,
                link: "\(dashboard)/webhooks/\(endpoint.id)",
                settings: settings
            )
        case .deliveriesExhausted:
            guard let endpoint = request.endpoint else { return [] }
            words = .deliveriesExhausted(
                organization: organization,
                url: endpoint.url,
                livemode: endpoint.livemode,
                count: request.count,
                link: "\(dashboard)/deliveries?endpoint=\(endpoint.id)",
                settings: settings
            )
        case .keyExpiring:
            guard let key = request.apiKey, let expiresAt = key.expiresAt else { return [] }
            words = .keyExpiring(
                organization: organization,
                key: key.label.map { "\($0) (\(key.prefix)…\(key.last4))" } ?? "\(key.prefix)…\(key.last4)",
                livemode: key.livemode,
                expiresAt: RFC3339.string(milliseconds: expiresAt),
                link: "\(dashboard)/keys",
                settings: settings
            )
        }
        return request.recipients.compactMap(MailAddress.init).map {
            composer.compose(kind: request.kind.rawValue, to: $0, words, organizationId: request.organization.id, at: request.at)
        }
    }
}

/// `AlertMails` for a store opened before the secrets key is read: filled once, right after.
final class AlertMailsSlot: Sendable {
    private let filled = Mutex<AlertMails?>(nil)

    func fill(_ mails: AlertMails) { filled.withLock { $0 = mails } }

    func mails(for request: AlertMailRequest) -> [MailRecord] {
        filled.withLock { $0 }?.mails(for: request) ?? []
    }
}
