import Foundation
import PorticoCore
import PorticoStore

/// The webhook-endpoint operations the API and the dashboard share, so a
/// rule (the endpoint limit, the rotation overlap, "a disabled endpoint gets
/// no test") is written once whichever door the request came through.
/// Errors are `APIError`s; the dashboard shows their `detail` on the form.
/// Every change is written to the audit log in the same transaction, with
/// who made it (an API key or a dashboard user).
struct WebhookEndpointService: Sendable {
    let store: any WebhookStore
    let clock: any PorticoClock
    let settings: PorticoConfig.Webhooks
    let policy: AddressPolicy
    let replays: WebhookReplayer
    let secrets: SecretBox

    static let maxOverlapSeconds = 7 * 86_400

    /// Creates an endpoint from validated input (url and enabled_events required) with a fresh signing secret.
    func create(
        _ input: EndpointInput,
        scope: TenantScope,
        by actor: AuditActor,
        completing completion: IdempotentCompletion<WebhookEndpointRecord>? = nil
    ) async throws -> WebhookEndpointRecord {
        guard let url = input.url else { throw APIError(.parameterMissing, "url is required.", param: "url") }
        guard let events = input.enabledEvents else {
            throw APIError(
                .parameterMissing,
                "enabled_events is required: a list of event types, wildcards such as customer.* , or *.",
                param: "enabled_events"
            )
        }
        guard try await store.endpointCount(scope: scope) < settings.maxEndpoints else {
            throw APIError(
                .resourceLimitReached,
                "This organization already has \(settings.maxEndpoints) webhook endpoints in this mode (webhooks.max_endpoints)."
            )
        }
        let now = clock.nowMilliseconds
        var metadata: [String: String] = [:]
        input.metadata.apply(to: &metadata)
        let id = Identifier.make("we", at: now)
        let record = WebhookEndpointRecord(
            id: id,
            scope: scope,
            url: url.text,
            description: input.description.value(or: nil),
            enabledEvents: StoredJSON.encode(events),
            metadata: StoredMetadata.encode(metadata),
            secret: secrets.seal(WebhookSecret.generate().text, for: id),
            createdAt: now
        )
        try await store.insertEndpoint(
            record,
            audit: audit(actor, "webhook_endpoint.created", record.id, scope, ["url": record.url], at: now),
            completing: completion?.pullback { _ in record }
        )
        return record
    }

    /// Applies an update; nil when there is no such endpoint in `scope`.
    func update(id: String, scope: TenantScope, with input: EndpointInput, by actor: AuditActor) async throws -> WebhookEndpointRecord? {
        let now = clock.nowMilliseconds
        var details: [String: String] = [:]
        if let url = input.url { details["url"] = url.text }
        if let status = input.status { details["status"] = status.rawValue }
        let entry = audit(actor, "webhook_endpoint.updated", id, scope, details, at: now)
        return try await store.updateEndpoint(id: id, scope: scope, audit: entry, completing: nil) { endpoint in
            if let url = input.url { endpoint.url = url.text }
            if let events = input.enabledEvents { endpoint.enabledEvents = StoredJSON.encode(events) }
            input.description.apply(to: &endpoint.description)
            var metadata = StoredMetadata.decode(endpoint.metadata)
            input.metadata.apply(to: &metadata)
            endpoint.metadata = StoredMetadata.encode(metadata)
            if let status = input.status, status != endpoint.status {
                endpoint.status = status
                endpoint.disabledReason = status == .disabled ? "manual" : nil
                endpoint.failingSince = nil
            }
            endpoint.updatedAt = max(now, endpoint.createdAt)
        }
    }

    /// A new secret signs from now on; the old one keeps signing alongside it
    /// for `overlapSeconds` (default `webhooks.rotation_overlap_hours`), so
    /// receivers can switch without dropping a delivery. Nil when there is no such endpoint.
    func rotateSecret(
        id: String,
        scope: TenantScope,
        overlapSeconds: Int?,
        by actor: AuditActor,
        completing completion: IdempotentCompletion<WebhookEndpointRecord?>? = nil
    ) async throws -> WebhookEndpointRecord? {
        let overlap = overlapSeconds ?? settings.rotationOverlapHours * 3_600
        guard (0...Self.maxOverlapSeconds).contains(overlap) else {
            throw APIError.invalid("overlap_seconds", "overlap_seconds must be an integer from 0 to \(Self.maxOverlapSeconds) (7 days).")
        }
        let now = clock.nowMilliseconds
        let fresh = secrets.seal(WebhookSecret.generate().text, for: id)
        let entry = audit(actor, "webhook_endpoint.secret_rotated", id, scope, ["overlap_seconds": String(overlap)], at: now)
        return try await store.updateEndpoint(id: id, scope: scope, audit: entry, completing: completion) { endpoint in
            endpoint.previousSecret = overlap > 0 ? endpoint.secret : nil
            endpoint.previousSecretExpiresAt = overlap > 0 ? now + Int64(overlap) * 1_000 : nil
            endpoint.secret = fresh
            endpoint.updatedAt = max(now, endpoint.createdAt)
        }
    }

    /// The temporary endpoint of a `portico listen` connection: URL host `listen.portico.test`
    /// (the dispatcher hands its deliveries to the connection), a fresh secret, audited like any.
    func createListener(events: [String], scope: TenantScope, by actor: AuditActor) async throws -> WebhookEndpointRecord {
        guard try await store.endpointCount(scope: scope) < settings.maxEndpoints else {
            throw APIError(
                .resourceLimitReached,
                "This organization already has \(settings.maxEndpoints) webhook endpoints in this mode (webhooks.max_endpoints)."
            )
        }
        let now = clock.nowMilliseconds
        let id = Identifier.make("we", at: now)
        let record = WebhookEndpointRecord(
            id: id,
            scope: scope,
            url: WebhookEndpointRecord.listenerURLPrefix + id,
            description: "portico listen (temporary: deleted when it disconnects)",
            enabledEvents: StoredJSON.encode(events),
            metadata: "{}",
            secret: secrets.seal(WebhookSecret.generate().text, for: id),
            createdAt: now
        )
        try await store.insertEndpoint(
            record,
            audit: audit(actor, "webhook_endpoint.created", record.id, scope, ["url": record.url, "listen": "true"], at: now),
            completing: nil
        )
        return record
    }

    /// Deletes the endpoint with its deliveries; false when there is no such endpoint.
    func delete(id: String, scope: TenantScope, by actor: AuditActor) async throws -> Bool {
        try await store.deleteEndpoint(
            id: id,
            scope: scope,
            audit: audit(actor, "webhook_endpoint.deleted", id, scope, [:], at: clock.nowMilliseconds)
        )
    }

    /// The audit row of an endpoint change; the mode goes in its details, as for keys.
    private func audit(
        _ actor: AuditActor,
        _ action: String,
        _ id: String,
        _ scope: TenantScope,
        _ details: [String: String],
        at now: Int64
    ) -> AuditEntryRecord {
        actor.entry(
            action,
            organizationID: scope.organizationId,
            targetType: "webhook_endpoint",
            targetID: id,
            details: details.merging(["mode": scope.livemode ? "live" : "test"]) { $1 },
            at: now
        )
    }

    /// The endpoint's current signing secret, opened (`SecretBox`).
    func signingSecret(of endpoint: WebhookEndpointRecord) throws -> String {
        try secrets.open(endpoint.secret, for: endpoint.id)
    }

    /// Sends a `portico.test` event to this endpoint only.
    func sendTest(
        to endpoint: WebhookEndpointRecord,
        requestID: String?,
        completing completion: IdempotentCompletion<EventRecord>? = nil
    ) async throws -> EventRecord {
        guard endpoint.status == .enabled else {
            throw APIError(.endpointDisabled, "This endpoint is disabled; enable it before sending a test.")
        }
        let event = Events.make(
            "portico.test",
            about: WebhookEndpointResource(endpoint),
            scope: endpoint.scope,
            requestID: requestID,
            at: clock.nowMilliseconds
        )
        try await store.insertEvent(event, onlyTo: endpoint, completing: completion?.pullback { _ in event })
        return event
    }

    /// Starts a job re-queuing the endpoint's failed and dead deliveries created in [since, until).
    func startReplay(
        of endpoint: WebhookEndpointRecord,
        since: Int64,
        until: Int64,
        completing completion: IdempotentCompletion<WebhookReplayRecord>? = nil
    ) async throws -> WebhookReplayRecord {
        guard since < until else { throw APIError.invalid("until", "until must be later than since.") }
        guard endpoint.status == .enabled else {
            throw APIError(.endpointDisabled, "This endpoint is disabled; enable it before replaying to it.")
        }
        let now = clock.nowMilliseconds
        let job = WebhookReplayRecord(id: Identifier.make("whr", at: now), endpoint: endpoint, since: since, until: until, createdAt: now)
        try await store.insertReplay(job, completing: completion?.pullback { _ in job })
        replays.start(job.id)
        return job
    }

    /// Makes a delivery due now (a dead one gets exactly one more attempt); nil when there is no such delivery.
    func retry(
        deliveryID id: String,
        scope: TenantScope,
        completing completion: IdempotentCompletion<DeliveryView?>? = nil
    ) async throws -> DeliveryView? {
        try Self.retried(
            try await store.retryDelivery(id: id, scope: scope, now: clock.nowMilliseconds, completing: completion?.pullback(Self.retried))
        )
    }

    /// A retry's outcome: the delivery, nil when there is none, or the refusal as an API error.
    private static func retried(_ outcome: Result<DeliveryView, RetryRefusal>?) throws -> DeliveryView? {
        switch outcome {
        case nil: return nil
        case .failure(.endpointDisabled)?:
            throw APIError(.endpointDisabled, "The delivery's endpoint is disabled; enable it before retrying.")
        case .success(let delivery)?: return delivery
        }
    }
}
