import Foundation
import Hummingbird
import PorticoCore
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
    let service: WebhookEndpointService
    var store: any WebhookStore { service.store }
    var clock: any PorticoClock { service.clock }

    static let writableFields: Set<String> = ["url", "enabled_events", "description", "metadata", "status"]

    func register(_ routes: APIRoutes) {
        routes.on(.post, "webhook-endpoints", scope: .webhooksWrite, handler: create)
        routes.on(.get, "webhook-endpoints", scope: .webhooksRead, query: .checkedByHandler, handler: list)
        routes.on(.get, "webhook-endpoints/:id", scope: .webhooksRead, handler: retrieve)
        routes.on(.patch, "webhook-endpoints/:id", scope: .webhooksWrite, handler: update)
        routes.on(.delete, "webhook-endpoints/:id", scope: .webhooksWrite, handler: delete)
        routes.on(.get, "webhook-endpoints/:id/secret", scope: .webhooksWrite, handler: secret)
        routes.on(.post, "webhook-endpoints/:id/rotate-secret", scope: .webhooksWrite, handler: rotateSecret)
        routes.on(.post, "webhook-endpoints/:id/test", scope: .webhooksWrite, handler: test)
        routes.on(.post, "webhook-endpoints/:id/replay", scope: .webhooksWrite, handler: replay)
        routes.on(.get, "webhook-replays/:id", scope: .webhooksRead, handler: replayStatus)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(Self.writableFields.subtracting(["status"]))
        let input = try await EndpointInput(body: body, policy: service.policy, livemode: caller.livemode)
        let actor = AuditActor(caller, context)
        return try await context.respond { completion in
            try await service.create(input, scope: caller.tenant, by: actor, completing: completion)
        } render: { [service] record in
            WebhookEndpointResource(record, secret: try service.signingSecret(of: record))
        }
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let query = try ListQuery(request.uri)
        let page = try await store.endpoints(scope: scope, page: query.page)
        return JSONCoding.response(
            ListEnvelope(data: page.items.map { WebhookEndpointResource($0) }, hasMore: page.hasMore, url: "/v1/webhook-endpoints")
        )
    }

    @Sendable func retrieve(_ request: Request, context: Context) async throws -> Response {
        JSONCoding.response(WebhookEndpointResource(try await endpoint(context)))
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(Self.writableFields)
        guard let current = try await store.endpoint(id: id, scope: caller.tenant) else { throw APIError.notFound("webhook endpoint", id: id) }
        let input = try await EndpointInput(body: body, policy: service.policy, livemode: caller.livemode, current: current)
        guard let updated = try await service.update(id: id, scope: caller.tenant, with: input, by: AuditActor(caller, context)) else {
            throw APIError.notFound("webhook endpoint", id: id)
        }
        return JSONCoding.response(WebhookEndpointResource(updated))
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        guard try await service.delete(id: id, scope: caller.tenant, by: AuditActor(caller, context)) else {
            throw APIError.notFound("webhook endpoint", id: id)
        }
        return JSONCoding.response(DeletedResource(id: id, object: "webhook_endpoint"))
    }

    @Sendable func secret(_ request: Request, context: Context) async throws -> Response {
        let endpoint = try await endpoint(context)
        return JSONCoding.response(WebhookSecretResource(endpoint, secret: try service.signingSecret(of: endpoint), now: clock.nowMilliseconds))
    }

    /// `overlap_seconds`: how long the old secret keeps signing (default `webhooks.rotation_overlap_hours`).
    @Sendable func rotateSecret(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["overlap_seconds"])
        var overlap: Int?
        if let value = body.fields["overlap_seconds"] {
            guard let seconds = value.integer else {
                throw APIError.invalid(
                    "overlap_seconds",
                    "overlap_seconds must be an integer from 0 to \(WebhookEndpointService.maxOverlapSeconds) (7 days)."
                )
            }
            overlap = seconds
        }
        let actor = AuditActor(caller, context)
        return try await context.respond { [overlap] completion in
            try await service.rotateSecret(id: id, scope: caller.tenant, overlapSeconds: overlap, by: actor, completing: completion)
        } render: { [now = clock.nowMilliseconds] rotated in
            guard let rotated else { throw APIError.notFound("webhook endpoint", id: id) }
            return WebhookSecretResource(rotated, secret: try service.signingSecret(of: rotated), now: now)
        }
    }

    /// Sends a `portico.test` event to this endpoint only; the answer is the
    /// event (its deliveries are listed with `GET /v1/webhook-deliveries?event=…`).
    @Sendable func test(_ request: Request, context: Context) async throws -> Response {
        let endpoint = try await endpoint(context)
        return try await context.respond { completion in
            try await service.sendTest(to: endpoint, requestID: context.requestID, completing: completion)
        } render: { event in
            EventResource(event)
        }
    }

    /// Starts a job re-queuing the endpoint's failed and dead deliveries
    /// created in [since, until) (default: every one still kept, up to now).
    @Sendable func replay(_ request: Request, context: Context) async throws -> Response {
        let endpoint = try await endpoint(context)
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["since", "until"])
        let since = try body.time("since") ?? 0
        let until = try body.time("until") ?? clock.nowMilliseconds + 1
        return try await context.respond(status: .accepted) { completion in
            try await service.startReplay(of: endpoint, since: since, until: until, completing: completion)
        } render: { job in
            WebhookReplayResource(job)
        }
    }

    @Sendable func replayStatus(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard let job = try await store.replay(id: id, scope: scope) else { throw APIError.notFound("webhook replay", id: id) }
        return JSONCoding.response(WebhookReplayResource(job))
    }

    private func endpoint(_ context: Context) async throws -> WebhookEndpointRecord {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard let endpoint = try await store.endpoint(id: id, scope: scope) else { throw APIError.notFound("webhook endpoint", id: id) }
        return endpoint
    }
}

/// The validated fields of an endpoint create or update body. The URL is
/// resolved and every address checked now, and again at every attempt;
/// a test-mode URL on `fail.portico.test` is not resolved (it simulates a
/// failing receiver), and live mode refuses that host.
struct EndpointInput: Sendable {
    var url: WebhookURL?
    var enabledEvents: [String]?
    var description: RequestBody.Update<String>
    var metadata: RequestBody.Update<[String: String?]>
    var status: WebhookEndpointRecord.Status?

    /// `current`: the endpoint being updated (its URL may be sent back unchanged, and a
    /// `portico listen` endpoint's URL may not change).
    init(body: RequestBody, policy: AddressPolicy, livemode: Bool, current: WebhookEndpointRecord? = nil) async throws {
        switch body.fields["url"] {
        case nil: url = nil
        case .string(let text)? where current?.isListener == true:
            guard text == current?.url else {
                throw APIError.invalid("url", "A portico listen endpoint keeps its URL; make a new endpoint for another one.")
            }
            url = try? WebhookURL.parse(text)
        case .string(let text)?:
            do {
                let parsed = try WebhookURL.parse(text)
                guard parsed.hostName != ListenerHub.host else {
                    throw APIError.invalid("url", "\(ListenerHub.host) endpoints are made by portico listen, not by hand.")
                }
                if try SimulatedReceiver(parsed) != nil {
                    guard !livemode else {
                        throw APIError.invalid(
                            "url",
                            "\(SimulatedReceiver.host) simulates failing receivers for test mode only; a live-mode endpoint needs a real URL."
                        )
                    }
                } else {
                    _ = try await WebhookTarget.resolve(parsed, policy: policy)
                }
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
                    throw APIError.invalid(
                        "enabled_events",
                        "enabled_events entries must be event types (customer.created), wildcards (customer.*) or *."
                    )
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
