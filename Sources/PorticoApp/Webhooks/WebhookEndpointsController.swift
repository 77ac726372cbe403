import Foundation
import Hummingbird
import PorticoStore

/// `/v1/webhook-endpoints`: where the organization's events are sent.
///
///     POST   /v1/webhook-endpoints                      webhooks:write  (url, enabled_events, description, metadata); answer shows `secret` once
///     GET    /v1/webhook-endpoints                      webhooks:read
///     GET    /v1/webhook-endpoints/{id}                 webhooks:read
///     PATCH  /v1/webhook-endpoints/{id}                 webhooks:write  (also `status`: enabled | disabled)
///     DELETE /v1/webhook-endpoints/{id}                 webhooks:write
///     GET    /v1/webhook-endpoints/{id}/secret          webhooks:write  (reading a signing secret is a write-level power)
///     POST   /v1/webhook-endpoints/{id}/rotate-secret   webhooks:write  (overlap_seconds: how long the old secret keeps signing)
///     POST   /v1/webhook-endpoints/{id}/test            webhooks:write  sends a `portico.test` event to this endpoint only
///     POST   /v1/webhook-endpoints/{id}/replay          webhooks:write  (since, until) re-queues failed and dead deliveries, as a job
///     GET    /v1/webhook-replays/{id}                   webhooks:read   the job's progress
struct WebhookEndpointsController: Sendable {
    typealias Context = PorticoRequestContext
    let store: Store
    let clock: any PorticoClock
    let settings: PorticoConfig.Webhooks
    let policy: AddressPolicy
    let replays: WebhookReplayer

    static let writableFields: Set<String> = ["url", "enabled_events", "description", "metadata", "status"]
    static let maxOverlapSeconds = 7 * 86_400

    func register(_ routes: APIRoutes) {
        routes.on(.post, "webhook-endpoints", scope: "webhooks:write", handler: create)
        routes.on(.get, "webhook-endpoints", scope: "webhooks:read", handler: list)
        routes.on(.get, "webhook-endpoints/:id", scope: "webhooks:read", handler: retrieve)
        routes.on(.patch, "webhook-endpoints/:id", scope: "webhooks:write", handler: update)
        routes.on(.delete, "webhook-endpoints/:id", scope: "webhooks:write", handler: delete)
        routes.on(.get, "webhook-endpoints/:id/secret", scope: "webhooks:write", handler: secret)
        routes.on(.post, "webhook-endpoints/:id/rotate-secret", scope: "webhooks:write", handler: rotateSecret)
        routes.on(.post, "webhook-endpoints/:id/test", scope: "webhooks:write", handler: test)
        routes.on(.post, "webhook-endpoints/:id/replay", scope: "webhooks:write", handler: replay)
        routes.on(.get, "webhook-replays/:id", scope: "webhooks:read", handler: replayStatus)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(Self.writableFields.subtracting(["status"]))
        guard body.fields["url"] != nil else { throw APIError(.parameterMissing, "url is required.", param: "url") }
        guard body.fields["enabled_events"] != nil else {
            throw APIError(.parameterMissing, "enabled_events is required: a list of event types, wildcards such as customer.* , or *.", param: "enabled_events")
        }
        let input = try await EndpointInput(body: body, policy: policy)
        guard try await store.endpointCount(scope: scope) < settings.maxEndpoints else {
            throw APIError(.resourceLimitReached, "This organization already has \(settings.maxEndpoints) webhook endpoints in this mode (webhooks.max_endpoints).")
        }
        let now = clock.nowMilliseconds
        var metadata: [String: String] = [:]
        input.metadata.apply(to: &metadata)
        let record = WebhookEndpointRecord(
            id: Identifier.make("we", at: now), scope: scope, url: input.url!.text, description: input.description.value(or: nil),
            enabledEvents: StoredJSON.encode(input.enabledEvents!), metadata: try StoredMetadata.encode(metadata),
            secret: WebhookSecret.generate().text, createdAt: now)
        try await store.insertEndpoint(record)
        return try JSONCoding.response(WebhookEndpointResource(record, revealingSecret: true))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let query = try ListQuery(request.uri)
        let page = try await store.endpoints(scope: scope, page: query.page)
        return try JSONCoding.response(
            ListEnvelope(data: page.items.map { WebhookEndpointResource($0) }, hasMore: page.hasMore, url: "/v1/webhook-endpoints"))
    }

    @Sendable func retrieve(_ request: Request, context: Context) async throws -> Response {
        try JSONCoding.response(WebhookEndpointResource(try await endpoint(context)))
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(Self.writableFields)
        let input = try await EndpointInput(body: body, policy: policy)
        let now = clock.nowMilliseconds
        let updated = try await store.updateEndpoint(id: id, scope: scope) { endpoint in
            if let url = input.url { endpoint.url = url.text }
            if let events = input.enabledEvents { endpoint.enabledEvents = StoredJSON.encode(events) }
            input.description.apply(to: &endpoint.description)
            var metadata = StoredMetadata.decode(endpoint.metadata)
            input.metadata.apply(to: &metadata)
            endpoint.metadata = try StoredMetadata.encode(metadata)
            if let status = input.status, status != endpoint.status {
                endpoint.status = status
                endpoint.disabledReason = status == .disabled ? "manual" : nil
                endpoint.failingSince = nil
            }
            endpoint.updatedAt = max(now, endpoint.createdAt)
        }
        guard let updated else { throw APIError.notFound("webhook endpoint", id: id) }
        return try JSONCoding.response(WebhookEndpointResource(updated))
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard try await store.deleteEndpoint(id: id, scope: scope) else { throw APIError.notFound("webhook endpoint", id: id) }
        return try JSONCoding.response(DeletedResource(id: id, object: "webhook_endpoint"))
    }

    @Sendable func secret(_ request: Request, context: Context) async throws -> Response {
        try JSONCoding.response(WebhookSecretResource(try await endpoint(context), now: clock.nowMilliseconds))
    }

    /// A new secret signs from now on; the old one keeps signing alongside it
    /// for `overlap_seconds` (default `webhooks.rotation_overlap_hours`), so
    /// receivers can switch without dropping a delivery.
    @Sendable func rotateSecret(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["overlap_seconds"])
        var overlap = settings.rotationOverlapHours * 3_600
        if let value = body.fields["overlap_seconds"] {
            guard let seconds = value.integer, (0...Self.maxOverlapSeconds).contains(seconds) else {
                throw APIError.invalid("overlap_seconds", "overlap_seconds must be an integer from 0 to \(Self.maxOverlapSeconds) (7 days).")
            }
            overlap = seconds
        }
        let now = clock.nowMilliseconds
        let fresh = WebhookSecret.generate().text
        let rotated = try await store.updateEndpoint(id: id, scope: scope) { [overlap] endpoint in
            endpoint.previousSecret = overlap > 0 ? endpoint.secret : nil
            endpoint.previousSecretExpiresAt = overlap > 0 ? now + Int64(overlap) * 1_000 : nil
            endpoint.secret = fresh
            endpoint.updatedAt = max(now, endpoint.createdAt)
        }
        guard let rotated else { throw APIError.notFound("webhook endpoint", id: id) }
        return try JSONCoding.response(WebhookSecretResource(rotated, now: now))
    }

    /// Sends a `portico.test` event to this endpoint only; the answer is the
    /// event (its deliveries are listed with `GET /v1/webhook-deliveries?event=…`).
    @Sendable func test(_ request: Request, context: Context) async throws -> Response {
        let endpoint = try await endpoint(context)
        guard endpoint.status == .enabled else {
            throw APIError(.endpointDisabled, "This endpoint is disabled; enable it (PATCH status=enabled) before sending a test.")
        }
        let event = try Events.make(
            "portico.test", about: WebhookEndpointResource(endpoint), scope: endpoint.scope, requestID: context.requestID,
            at: clock.nowMilliseconds)
        try await store.insertEvent(event, onlyTo: endpoint)
        return try JSONCoding.response(EventResource(event))
    }

    /// Starts a job re-queuing the endpoint's failed and dead deliveries
    /// created in [since, until) (default: every one still kept, up to now).
    @Sendable func replay(_ request: Request, context: Context) async throws -> Response {
        let endpoint = try await endpoint(context)
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["since", "until"])
        let now = clock.nowMilliseconds
        let since = try Self.time(body, "since") ?? 0
        let until = try Self.time(body, "until") ?? now + 1
        guard since < until else { throw APIError.invalid("until", "until must be later than since.") }
        guard endpoint.status == .enabled else {
            throw APIError(.endpointDisabled, "This endpoint is disabled; enable it (PATCH status=enabled) before replaying to it.")
        }
        let job = WebhookReplayRecord(id: Identifier.make("whr", at: now), endpoint: endpoint, since: since, until: until, createdAt: now)
        try await store.insertReplay(job)
        replays.start(job.id)
        return try JSONCoding.response(WebhookReplayResource(job), status: .accepted)
    }

    @Sendable func replayStatus(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard let job = try await store.replay(id: id, scope: scope) else { throw APIError.notFound("webhook replay", id: id) }
        return try JSONCoding.response(WebhookReplayResource(job))
    }

    private func endpoint(_ context: Context) async throws -> WebhookEndpointRecord {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard let endpoint = try await store.endpoint(id: id, scope: scope) else { throw APIError.notFound("webhook endpoint", id: id) }
        return endpoint
    }

    /// A body time: RFC 3339 string or Unix seconds, as in query strings.
    private static func time(_ body: RequestBody, _ name: String) throws -> Int64? {
        switch body.fields[name] {
        case nil, .null?: return nil
        case .string(let text)?: return try QueryValue.time(text, name)
        case let value?:
            guard let seconds = value.integer else {
                throw APIError.invalid(name, "\(name) must be an RFC 3339 time (2026-11-22T10:00:00Z) or Unix seconds.")
            }
            return try QueryValue.time(String(seconds), name)
        }
    }
}

/// The validated fields of an endpoint create or update body. The URL is
/// resolved and every address checked now, and again at every attempt.
struct EndpointInput: Sendable {
    var url: WebhookURL?
    var enabledEvents: [String]?
    var description: RequestBody.Update<String>
    var metadata: RequestBody.Update<[String: String?]>
    var status: WebhookEndpointRecord.Status?

    init(body: RequestBody, policy: AddressPolicy) async throws {
        switch body.fields["url"] {
        case nil: url = nil
        case .string(let text)?:
            do {
                let parsed = try WebhookURL.parse(text)
                _ = try await WebhookTarget.resolve(parsed, policy: policy)
                url = parsed
            } catch let error as WebhookURLError {
                throw APIError.invalid("url", error.message)
            } catch let failure as WebhookTarget.Failure {
                throw APIError.invalid("url", failure.message)
            }
        case let other?: throw APIError.invalid("url", "url must be a string, not \(other.typeName).")
        }
        switch body.fields["enabled_events"] {
        case nil: enabledEvents = nil
        case .array(let items)?:
            guard (1...100).contains(items.count) else {
                throw APIError.invalid("enabled_events", "enabled_events must list 1 to 100 event types.")
            }
            enabledEvents = try items.map { item in
                guard case .string(let text) = item, EventTypePattern(text) != nil else {
                    throw APIError.invalid("enabled_events", "enabled_events entries must be event types (customer.created), wildcards (customer.*) or *.")
                }
                return text
            }
        case let other?: throw APIError.invalid("enabled_events", "enabled_events must be an array of strings, not \(other.typeName).")
        }
        description = try body.string("description", maxLength: 1_000)
        metadata = try body.metadata("metadata")
        switch body.fields["status"] {
        case nil: status = nil
        case .string(let text)? where WebhookEndpointRecord.Status(rawValue: text) != nil: status = WebhookEndpointRecord.Status(rawValue: text)
        case _?: throw APIError.invalid("status", "status must be enabled or disabled.")
        }
    }
}
