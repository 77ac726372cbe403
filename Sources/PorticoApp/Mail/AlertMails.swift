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
                key: Self.name(of: key),
                livemode: key.livemode,
                expiresAt: RFC3339.string(milliseconds: expiresAt),
                link: "\(dashboard)/keys",
                settings: settings
            )
        case .usageThreshold:
            guard let crossing = request.crossing else { return [] }
            words = .usageThreshold(
                organization: organization,
                crossing: crossing,
                link: "\(dashboard)/usage",
                settings: settings
            )
        }
        return request.recipients.compactMap(MailAddress.init).map {
            composer.compose(kind: request.kind.rawValue, to: $0, words, organizationId: request.organization.id, at: request.at)
        }
    }
}

extension AlertMails {
    /// How mails name a key: its label, if it has one, and its prefix and last four characters.
    static func name(of key: APIKeyRecord) -> String {
        key.label.map { "\($0) (\(key.prefix)…\(key.last4))" } ?? "\(key.prefix)…\(key.last4)"
    }

    /// To each owner: a key was revoked as leaked (a security notice: it cannot be turned off).
    func leakedKey(_ key: APIKeyRecord, organization: OrganizationRecord, revokedBy: String, to owners: [String], at now: Int64) -> [MailRecord] {
        let words = MailContentTemplate.keyLeaked(
            organization: organization.name,
            key: Self.name(of: key),
            livemode: key.livemode,
            revokedBy: revokedBy,
            link: "\(baseURL.value)/dashboard/audit"
        )
        return owners.compactMap(MailAddress.init).map {
            composer.compose(kind: "api_key.leaked", to: $0, words, organizationId: organization.id, at: now)
        }
    }
}

/// What the store asks of the app while it writes (`StorePolicy`): the words
/// of alert mails (`AlertMails`, filled once the secrets key is read, right
/// after the store opened), the quotas a tenant's plan and staff overrides
/// set, and the `usage.threshold_reached` event.
final class AppStorePolicy: StorePolicy {
    let config: PorticoConfig
    let clock: any PorticoClock
    private let words = Mutex<AlertMails?>(nil)

    init(config: PorticoConfig, clock: any PorticoClock) {
        self.config = config
        self.clock = clock
    }

    func fill(_ mails: AlertMails) { words.withLock { $0 = mails } }

    var now: Int64 { clock.nowMilliseconds }

    func alertMails(_ request: AlertMailRequest) -> [MailRecord] {
        words.withLock { $0 }?.mails(for: request) ?? []
    }

    func quotas(of organization: OrganizationRecord, livemode: Bool, metric: String) -> [UsageQuota] {
        guard let limits = config.plan(for: organization)?.limits(livemode: livemode) else { return [] }
        if metric == UsageMetric.requests {
            return [
                limits.monthlyQuota.map { UsageQuota(period: .month, limit: Int64($0)) },
                limits.dailyQuota.map { UsageQuota(period: .day, limit: Int64($0)) },
            ].compactMap { $0 }
        }
        return limits.metricQuotas[metric].map { [UsageQuota(period: .month, limit: Int64($0))] } ?? []
    }

    func thresholdEvent(_ crossing: UsageThresholdCrossing, at now: Int64) -> EventRecord? {
        Events.make(
            AlertKind.usageThreshold.rawValue,
            about: UsageThresholdResource(crossing),
            scope: TenantScope(organizationId: crossing.organizationId, livemode: crossing.livemode),
            requestID: nil,
            at: now
        )
    }
}

/// `data.object` of `usage.threshold_reached`.
struct UsageThresholdResource: JSONWritable {
    var metric: String
    var period: String
    var periodStart: String
    var periodEnd: String
    /// Percent of the quota: 80 or 100.
    var threshold: Int
    var quantity: Int64
    var quota: Int64
    var livemode: Bool

    init(_ crossing: UsageThresholdCrossing) {
        metric = crossing.metric
        period = crossing.period.name
        periodStart = RFC3339.string(milliseconds: crossing.periodStart)
        periodEnd = RFC3339.string(milliseconds: crossing.periodEnd)
        threshold = crossing.threshold
        quantity = crossing.quantity
        quota = crossing.limit
        livemode = crossing.livemode
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("livemode", livemode)
            json.field("metric", metric)
            json.field("object", "usage_threshold")
            json.field("period", period)
            json.field("period_end", periodEnd)
            json.field("period_start", periodStart)
            json.field("quantity", quantity)
            json.field("quota", quota)
            json.field("threshold", threshold)
        }
    }
}
