import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `portico listen`: webhooks for a machine no one can reach.
///
///     GET  /v1/webhook-endpoints/listen                    webhooks:write  (enabled_events=a,b) a server-sent event stream
///     POST /v1/webhook-endpoints/{id}/listen-results       webhooks:write  (delivery_id, status and body, or error and message)
///
/// Opening the stream makes a temporary endpoint of the key's organization
/// and mode (URL host `listen.portico.test`), says `ready` with its id and
/// signing secret, then sends one `delivery` event per attempt: the signed
/// headers and the exact body. The CLI posts them to its local URL and
/// reports the answer, which becomes the attempt (retries, dashboard and
/// all). When the stream ends the endpoint is deleted.
struct ListenController: Sendable {
    typealias Context = PorticoRequestContext
    let service: WebhookEndpointService
    let hub: ListenerHub
    /// The longest response excerpt kept, as for real attempts (`webhooks.response_excerpt_bytes`).
    let excerptLimit: Int

    func register(_ routes: APIRoutes) {
        routes.on(.get, "webhook-endpoints/listen", scope: .webhooksWrite, query: .checkedByHandler, handler: listen)
        routes.on(.post, "webhook-endpoints/:id/listen-results", scope: .webhooksWrite, handler: report)
    }

    @Sendable func listen(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let query = request.uri.queryParameters
        try QueryValue.refuseUnknown(query.map { String($0.key) }, allowed: ["enabled_events"])
        let events = (query["enabled_events"].map(String.init) ?? "*").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...100).contains(events.count), events.allSatisfy({ EventTypePattern($0) != nil }) else {
            throw APIError.invalid(
                "enabled_events",
                "enabled_events must be a comma-separated list of event types (customer.created), wildcards (customer.*) or *."
            )
        }
        let actor = AuditActor(caller, context)
        let endpoint = try await service.createListener(events: events, scope: caller.tenant, by: actor)
        let secret: String
        do {
            secret = try service.signingSecret(of: endpoint)
        } catch {
            _ = try? await service.delete(id: endpoint.id, scope: caller.tenant, by: actor)
            throw error
        }
        // Nothing awaits from here to the response: the stream's clean-up owns the endpoint.
        let deliveries = hub.open(endpointID: endpoint.id)
        let ready = ListenReady(endpointId: endpoint.id, secret: secret, livemode: caller.livemode, enabledEvents: events)
        return EventStreamResponse.make(
            ready: ServerSentEvent(event: "ready", data: JSONWriter.text(ready)),
            items: deliveries,
            event: { ServerSentEvent(event: "delivery", id: $0.deliveryId, data: JSONWriter.text($0)) },
            onEnd: { [hub, service] in
                hub.close(endpointID: endpoint.id)
                _ = try? await service.delete(id: endpoint.id, scope: caller.tenant, by: actor)
            }
        )
    }

    /// The local answer to one delivery, which the waiting attempt records.
    @Sendable func report(_ request: Request, context: Context) async throws -> Response {
        let caller = try context.requirePrincipal()
        let id = try context.parameters.require("id")
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["delivery_id", "attempt", "status", "body", "error", "message"])
        guard case .string(let deliveryID)? = body.fields["delivery_id"] else {
            throw APIError(.parameterMissing, "delivery_id is required: the delivery the answer is for.", param: "delivery_id")
        }
        guard let attempt = body.fields["attempt"]?.integer, attempt >= 1 else {
            throw APIError.invalid("attempt", "attempt is required: the attempt number the delivery event carried.")
        }
        let outcome: WebhookClient.Outcome
        switch (body.fields["status"], body.fields["error"]) {
        case (let status?, nil):
            guard let code = status.integer, (100...599).contains(code) else {
                throw APIError.invalid("status", "status must be the local answer's HTTP status, 100 to 599.")
            }
            let text: String
            switch body.fields["body"] {
            case nil, .null?: text = ""
            case .string(let value)?: text = value
            case let other?: throw APIError.invalid("body", "body must be a string, not \(other.typeName).")
            }
            outcome = .response(status: code, retryAfterSeconds: nil, excerpt: String(decoding: text.utf8.prefix(excerptLimit), as: UTF8.self))
        case (nil, .string(let error)?):
            guard let kind = WebhookAttemptRecord.ErrorKind(rawValue: error), kind != .http, kind != .blocked else {
                throw APIError.invalid("error", "error must be one of timeout, refused, dns, tls, network.")
            }
            let message: String
            if case .string(let text)? = body.fields["message"] { message = String(text.prefix(500)) } else { message = "" }
            outcome = .failure(kind, "The local receiver: \(message)")
        default:
            throw APIError.invalid("status", "Send status (and body) for an answer, or error (and message) when there was none; not both.")
        }
        guard let endpoint = try await service.store.endpoint(id: id, scope: caller.tenant), endpoint.isListener else {
            throw APIError.notFound("webhook endpoint", id: id)
        }
        guard hub.report(endpointID: endpoint.id, deliveryID: deliveryID, attempt: attempt, outcome: outcome) else {
            throw APIError(
                .resourceNotFound,
                "Attempt \(attempt) of delivery '\(deliveryID)' is not waiting for an answer on this endpoint (it timed out, or was answered already).",
                param: "delivery_id"
            )
        }
        return JSONCoding.response(ListenResult(deliveryId: deliveryID))
    }

}

/// The stream's first event.
struct ListenReady: JSONWritable {
    var endpointId: String
    var secret: String
    var livemode: Bool
    var enabledEvents: [String]

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("enabled_events", enabledEvents)
            json.field("endpoint_id", endpointId)
            json.field("livemode", livemode)
            json.field("secret", secret)
        }
    }
}

/// What a report is answered with.
struct ListenResult: JSONWritable {
    var deliveryId: String

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("delivery_id", deliveryId)
            json.field("object", "listen_result")
            json.field("recorded", true)
        }
    }
}

extension WebhookEndpointRecord {
    /// A `portico listen` connection's temporary endpoint.
    var isListener: Bool { (try? WebhookURL.parse(url))?.hostName == ListenerHub.host }
}
