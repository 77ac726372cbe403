import PorticoCore

@testable import PorticoStore

/// Fixtures for the webhook, request-log, billing and maintenance contracts.
extension Fixtures {
    /// Request-log partitions one hour wide, as the default configuration keeps them.
    static let logWidth: Int64 = 3_600_000

    /// A page large enough to hold everything a contract test writes.
    static let wholePage = PageRequest(limit: 100)

    /// Creates an organization in `store` (with its audit row) and returns it.
    static func seededOrganization(_ name: String = "Acme", in store: any PorticoStorage, at time: Int64 = now) async throws -> OrganizationRecord {
        let record = organization(name, at: time)
        try await store.createOrganization(record, audit: audit("organization.created", organization: record.id, target: record.id, at: time))
        return record
    }

    /// An enabled endpoint of `scope` subscribed to `events` (types, `x.*` wildcards or `*`).
    static func webhookEndpoint(
        _ scope: TenantScope,
        events: [String] = ["*"],
        secret: String = "whsec_contract",
        at time: Int64 = now
    ) -> WebhookEndpointRecord {
        WebhookEndpointRecord(
            id: Identifier.make("we", at: time),
            scope: scope,
            url: "https://hooks.example.com/portico",
            description: nil,
            enabledEvents: StoredJSON.encode(events),
            metadata: "{}",
            secret: secret,
            createdAt: time
        )
    }

    /// The audit row of an endpoint change.
    static func endpointAudit(_ action: String, _ endpoint: WebhookEndpointRecord, at time: Int64 = now) -> AuditEntryRecord {
        audit(action, organization: endpoint.organizationId, target: endpoint.id, type: "webhook_endpoint", at: time)
    }

    /// Inserts `endpoint` with its `webhook_endpoint.created` audit row and returns it.
    @discardableResult
    static func insertedWebhookEndpoint(_ endpoint: WebhookEndpointRecord, in store: any PorticoStorage) async throws -> WebhookEndpointRecord {
        try await store.insertEndpoint(endpoint, audit: endpointAudit("webhook_endpoint.created", endpoint, at: endpoint.createdAt))
        return endpoint
    }

    /// An event of `type` in `scope`, made at `time`.
    static func webhookEvent(_ type: String, scope: TenantScope, at time: Int64 = now) -> EventRecord {
        EventRecord(
            id: Identifier.make("evt", at: time),
            scope: scope,
            type: type,
            data: #"{"object":{"id":"cus_contract"}}"#,
            requestId: nil,
            createdAt: time
        )
    }

    /// An attempt at `deliveryId` whose outcome sets the delivery to `status`
    /// (due again at `retryAt` when `failed`), as `DeliveryBookkeeping` would.
    static func webhookAttempt(
        _ deliveryId: String,
        at time: Int64,
        statusCode: Int?,
        leaving status: WebhookDeliveryRecord.Status,
        retryAt: Int64? = nil,
        events: [EventRecord] = [],
        endpointChange: @escaping @Sendable (inout WebhookEndpointRecord) -> Void = { _ in }
    ) -> AttemptOutcome {
        let succeeded = statusCode.map { (200..<300).contains($0) } ?? false
        let errorKind: WebhookAttemptRecord.ErrorKind? = succeeded ? nil : (statusCode == nil ? .timeout : .http)
        return AttemptOutcome(
            attempt: WebhookAttemptRecord(
                deliveryId: deliveryId,
                attemptedAt: time,
                durationMs: 42,
                statusCode: statusCode,
                errorKind: errorKind,
                responseExcerpt: statusCode.map { "status \($0)" }
            )
        ) { delivery, endpoint in
            delivery.status = status
            delivery.attemptCount += 1
            delivery.lastAttemptAt = time
            delivery.lastStatusCode = statusCode
            delivery.nextAttemptAt = status == .failed ? retryAt : nil
            delivery.updatedAt = time
            endpoint.failingSince = succeeded ? nil : (endpoint.failingSince ?? time)
            endpointChange(&endpoint)
            return events
        }
    }

    /// One `/v1` request's log row; unauthenticated when `scope` is nil.
    static func logEntry(
        _ scope: TenantScope?,
        at time: Int64,
        method: String = "GET",
        path: String = "/v1/customers",
        status: Int = 200,
        keyId: String? = nil,
        durationMicroseconds: Int64 = 1_500
    ) -> RequestLogEntry {
        RequestLogEntry(
            createdAt: time,
            requestId: Identifier.makeRequestID(at: time),
            organizationId: scope?.organizationId,
            livemode: scope?.livemode,
            keyId: keyId,
            method: method,
            path: path,
            route: nil,
            status: status,
            durationMicroseconds: durationMicroseconds,
            ip: "203.0.113.7",
            userAgent: "contract-tests/1.0"
        )
    }

    /// `quantity` of `metric` for `scope` and `keyId` in the hour starting at `hourStart`.
    static func usageIncrement(_ scope: TenantScope, hourStart: Int64, metric: String = "requests", keyId: String = "") -> UsageIncrement {
        UsageIncrement(organizationId: scope.organizationId, livemode: scope.livemode, hourStart: hourStart, metric: metric, keyId: keyId)
    }

    /// A request of `scope` counted in `request_stats`.
    static func statIncrement(_ scope: TenantScope, hourStart: Int64, statusClass: Int, latencyBucket: Int) -> RequestStatIncrement {
        RequestStatIncrement(
            organizationId: scope.organizationId,
            livemode: scope.livemode,
            hourStart: hourStart,
            statusClass: statusClass,
            latencyBucket: latencyBucket
        )
    }

    /// A `free`-plan invoice of `scope` for the calendar month holding `month`, made at `time`.
    static func billingInvoice(_ scope: TenantScope, month: Int64, usage: Int64 = 0, at time: Int64 = now) -> InvoiceRecord {
        let period = CivilTime.month(containing: month)
        return InvoiceRecord(
            id: Identifier.make("inv", at: time),
            organizationId: scope.organizationId,
            livemode: scope.livemode,
            periodStart: period.start,
            periodEnd: period.end,
            plan: "free",
            currency: "usd",
            baseAmount: 0,
            includedQuantity: 10_000,
            usageQuantity: usage,
            overageQuantity: 0,
            overageUnitAmount: nil,
            overageAmount: 0,
            total: 0,
            createdAt: time
        )
    }
}
