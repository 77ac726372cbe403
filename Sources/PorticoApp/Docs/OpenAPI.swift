import Foundation
import PorticoCore

/// The OpenAPI 3.1 description of every `/v1` route, written in code so it
/// ships inside the binary (served at `/v1/openapi.json`) and the compiler
/// checks it is built; `openapi.json` in the repository is this document
/// as `portico openapi` prints it, and a test keeps the two equal. Another
/// test requires an operation here for every route `APIRoutes` registers
/// and checks real responses against the schemas.
enum OpenAPI {
    /// Served without a key: the description of the API is public, like its docs.
    static let path = APIPath.prefix + "/openapi.json"

    /// The document as pretty, key-sorted JSON text (what the route serves and the repository keeps).
    static let json: String = render(document)

    /// A document as pretty, key-sorted JSON text.
    static func render(_ document: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// Each dated version's document as JSON text, by version id, rendered on first use.
    static let versionedJSON: [String: String] = Dictionary(
        uniqueKeysWithValues: APIVersions.all.map { ($0.id, $0.id == APIVersions.current.id ? json : render(document(for: $0))) }
    )

    /// The document as of `version`: its schemas with every later change undone
    /// (`VersionChange.downgradeSchemas`), `info.version` and `Portico-Version`'s default
    /// set to it, so a client generated from it asks for exactly those shapes.
    static func document(for version: APIVersion) -> JSONValue {
        guard version.id != APIVersions.current.id, case .object(var document) = document else { return document }
        if case .object(var info)? = document["info"] {
            info["version"] = .string(version.id)
            document["info"] = .object(info)
        }
        if case .object(var components)? = document["components"], case .object(var schemas)? = components["schemas"] {
            for change in APIVersions.changes(after: version.id) { change.downgradeSchemas(&schemas) }
            components["schemas"] = .object(schemas)
            document["components"] = .object(components)
        }
        if case .object(var paths)? = document["paths"] {
            for (path, item) in paths {
                guard case .object(var methods) = item else { continue }
                for (method, operation) in methods {
                    guard case .object(var fields) = operation, case .array(let parameters)? = fields["parameters"] else { continue }
                    fields["parameters"] = .array(parameters.map { Self.pinned($0, to: version.id) })
                    methods[method] = .object(fields)
                }
                paths[path] = .object(methods)
            }
            document["paths"] = .object(paths)
        }
        return .object(document)
    }

    /// The version a `?version=` names (the newest when there is none); 400 for one that is not served.
    static func requestedVersion(_ text: String?) throws -> APIVersion {
        guard let text, !text.isEmpty else { return APIVersions.current }
        guard let version = APIVersions.named(text) else {
            throw APIError.invalid(
                "version",
                "version must be one of the dated versions this Portico serves: \(APIVersions.all.map(\.id).joined(separator: ", "))."
            )
        }
        return version
    }

    /// `parameter` with its default set to `version` when it is the `Portico-Version` header.
    private static func pinned(_ parameter: JSONValue, to version: String) -> JSONValue {
        guard case .object(var fields) = parameter, fields["name"] == "Portico-Version", case .object(var schema)? = fields["schema"] else {
            return parameter
        }
        schema["default"] = .string(version)
        fields["schema"] = .object(schema)
        return .object(fields)
    }

    /// Built once, on first use (the first request for it, or the first docs page), not at start-up.
    static let document: JSONValue = {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            guard case .object(var item) = paths[operation.path] ?? [:] else { continue }
            item[operation.method] = operation.json
            paths[operation.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Portico API",
                "version": .string(APIVersions.current.id),
                "description": """
                The Portico API. Authenticate with `Authorization: Bearer <key>`; test keys (`sk_test_…`) see test data \
                and live keys live data. Errors are RFC 9457 problem documents whose `type` links to their docs page. \
                Send `Portico-Version: <date>` to pin a version (see the changelog at /docs/changelog).
                """,
            ],
            "servers": [["url": "/", "description": "This Portico instance"]],
            "security": [["bearerAuth": []]],
            "tags": .array(tags.map { ["name": .string($0.0), "description": .string($0.1)] }),
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "bearerAuth": ["type": "http", "scheme": "bearer", "description": "An API key: sk_test_…, sk_live_…, rk_…, pk_…"]
                ],
                "schemas": .object(schemas),
                "responses": [
                    "Problem": [
                        "description": "An error, as an RFC 9457 problem document.",
                        "headers": .object(ResponseHeaders.problem),
                        "content": ["application/problem+json": ["schema": ref("Problem")]],
                    ]
                ],
                "headers": .object(ResponseHeaders.components),
            ],
        ]
    }()

    static let tags: [(String, String)] = [
        ("Customers", "An example resource: the CRUD, pagination and idempotency conventions every resource follows."),
        ("Keys", "API keys: create, roll, revoke, and verify a key from another service."),
        ("Request logs", "Every /v1 request, newest first."),
        ("Usage and invoices", "Metered usage against the plan's quotas, and monthly invoices."),
        ("Events", "Things that happened, kept for the retention period and sent to webhook endpoints."),
        ("Webhooks", "Endpoints, signing secrets, deliveries and their attempts, retries and replays."),
        ("Sandbox", "Only on a `portico sandbox` instance."),
    ]

    // MARK: Operations

    struct Operation {
        var method: String
        var path: String
        var id: String
        var tag: String
        var summary: String
        var scope: Scope
        var parameters: [JSONValue] = []
        var body: JSONValue?
        var bodyRequired = true
        var status = "200"
        var response: JSONValue
        /// Answered with server-sent events (`text/event-stream`) rather than JSON; `response` describes the stream.
        var eventStream = false
        /// Set on an operation of a gateway route: its upstream's own description, served with Portico's additions.
        var gateway: Gateway? = nil

        struct Gateway: Sendable {
            var document: JSONValue
            var route: GatewayRoute
        }

        /// Every scope a key needs to call it.
        var scopes: [Scope] { gateway?.route.scopes ?? [scope] }

        var json: JSONValue {
            if let gateway { return GatewayOpenAPI.augment(gateway.document, method: method, route: gateway.route) }
            var operation: [String: JSONValue] = [
                "operationId": .string(id), "tags": [.string(tag)], "summary": .string(summary),
                "description": .string("Needs the `\(scope)` scope."),
                "x-portico-scope": .string(scope.name),
                "responses": [
                    status: [
                        "description": eventStream ? "A stream of server-sent events; see the schema's description." : "Success.",
                        "headers": .object(ResponseHeaders.success(post: method == "post")),
                        "content": .object([eventStream ? "text/event-stream" : "application/json": ["schema": response]]),
                    ],
                    "default": ["$ref": "#/components/responses/Problem"],
                ],
            ]
            var parameters = parameters
            if path.contains("{id}") { parameters.insert(pathID, at: 0) }
            if path.contains("{request_id}") { parameters.insert(OpenAPI.parameter("request_id", in: "path", string(), required: true), at: 0) }
            if method == "post" { parameters.append(idempotencyKey) }
            parameters.append(versionHeader)
            operation["parameters"] = .array(parameters)
            if let body {
                operation["requestBody"] = ["required": .bool(bodyRequired), "content": ["application/json": ["schema": body]]]
            }
            return .object(operation)
        }
    }

    static let operations: [Operation] = {
        let list = [pageLimit, startingAfter, endingBefore]
        return [
            // Customers
            Operation(
                method: "post",
                path: "/v1/customers",
                id: "createCustomer",
                tag: "Customers",
                summary: "Create a customer",
                scope: .customersWrite,
                body: customerInput,
                bodyRequired: false,
                response: ref("Customer")
            ),
            Operation(
                method: "get",
                path: "/v1/customers",
                id: "listCustomers",
                tag: "Customers",
                summary: "List customers",
                scope: .customersRead,
                parameters: list + [parameter("email", string(maxLength: 512))],
                response: listOf("Customer")
            ),
            Operation(
                method: "get",
                path: "/v1/customers/{id}",
                id: "getCustomer",
                tag: "Customers",
                summary: "Retrieve a customer",
                scope: .customersRead,
                response: ref("Customer")
            ),
            Operation(
                method: "patch",
                path: "/v1/customers/{id}",
                id: "updateCustomer",
                tag: "Customers",
                summary: "Update a customer (null clears a field; metadata merges)",
                scope: .customersWrite,
                body: customerInput,
                bodyRequired: false,
                response: ref("Customer")
            ),
            Operation(
                method: "delete",
                path: "/v1/customers/{id}",
                id: "deleteCustomer",
                tag: "Customers",
                summary: "Delete a customer",
                scope: .customersWrite,
                response: ref("Deleted")
            ),
            // Keys
            Operation(
                method: "get",
                path: "/v1/keys",
                id: "listKeys",
                tag: "Keys",
                summary: "List the keys of this organization and mode",
                scope: .keysRead,
                parameters: list,
                response: listOf("APIKey")
            ),
            Operation(
                method: "post",
                path: "/v1/keys",
                id: "createKey",
                tag: "Keys",
                summary: "Create a key (the secret is in this answer only)",
                scope: .keysWrite,
                body: object(
                    [
                        "kind": string(enum: ["secret", "restricted", "publishable"]),
                        "label": nullable(string(maxLength: 200)),
                        "scopes": array(string()),
                        "allowed_ips": array(string(description: "An IP address or CIDR block")),
                        "expires_at": nullable(timestamp),
                    ],
                    required: []
                ),
                bodyRequired: false,
                response: ref("APIKey")
            ),
            Operation(
                method: "post",
                path: "/v1/keys/verify",
                id: "verifyKey",
                tag: "Keys",
                summary: "Check a key for another service",
                scope: .keysRead,
                body: object(
                    ["key": string(maxLength: 200), "ip": nullable(string(description: "The caller's IP, checked against the key's allowlist"))],
                    required: ["key"]
                ),
                response: ref("KeyVerification")
            ),
            Operation(
                method: "post",
                path: "/v1/keys/{id}/roll",
                id: "rollKey",
                tag: "Keys",
                summary: "Replace a key; the old one keeps working for the overlap",
                scope: .keysWrite,
                body: object(["overlap_seconds": integer(minimum: 0, maximum: 2_592_000)], required: []),
                bodyRequired: false,
                response: ref("APIKey")
            ),
            Operation(
                method: "post",
                path: "/v1/keys/{id}/revoke",
                id: "revokeKey",
                tag: "Keys",
                summary: "Revoke a key now",
                scope: .keysWrite,
                body: object(
                    [
                        "reason": string(
                            description: "Why, kept in the audit log; `leaked` also mails the organization's owners (once)",
                            enum: RevocationReason.allCases.map(\.rawValue)
                        )
                    ],
                    required: []
                ),
                bodyRequired: false,
                response: ref("APIKey")
            ),
            // Request logs
            Operation(
                method: "get",
                path: "/v1/request-logs",
                id: "listRequestLogs",
                tag: "Request logs",
                summary: "List request logs, newest first",
                scope: .logsRead,
                parameters: list + [
                    parameter("status", integer(minimum: 100, maximum: 599)),
                    parameter("status_class", string(enum: ["1xx", "2xx", "3xx", "4xx", "5xx"])),
                    parameter("method", string()),
                    parameter("path_prefix", string()),
                    parameter("key_id", string()),
                    parameter("since", queryTime),
                    parameter("until", queryTime),
                ],
                response: listOf("RequestLog")
            ),
            Operation(
                method: "get",
                path: "/v1/request-logs/stream",
                id: "streamRequestLogs",
                tag: "Request logs",
                summary: "Follow request logs as they are written (`portico logs tail`)",
                scope: .logsRead,
                parameters: [
                    parameter("status", integer(minimum: 100, maximum: 599)),
                    parameter("status_class", string(enum: ["1xx", "2xx", "3xx", "4xx", "5xx"])),
                    parameter("method", string()),
                    parameter("path_prefix", string()),
                ],
                response: [
                    "type": "string",
                    "description": .string(
                        "Server-sent events: first `ready` (data `{\"livemode\": …}`), then one `request_log` event per matching row of this organization and mode as it is written, its data a RequestLog and its id the request id. A comment line every 5 seconds keeps the connection open. It does not end on its own."
                    ),
                ],
                eventStream: true
            ),
            Operation(
                method: "get",
                path: "/v1/request-logs/{request_id}",
                id: "getRequestLog",
                tag: "Request logs",
                summary: "Retrieve one request's log",
                scope: .logsRead,
                response: ref("RequestLog")
            ),
            // Usage and invoices
            Operation(
                method: "get",
                path: "/v1/usage",
                id: "getUsage",
                tag: "Usage and invoices",
                summary: "Usage over a range, and the current period against its quota",
                scope: .usageRead,
                parameters: [
                    parameter("group_by", string(enum: ["key", "hour", "day", "month"])),
                    parameter("since", queryTime), parameter("until", queryTime),
                    parameter("metric", string()), parameter("key_id", string()),
                ],
                response: ref("Usage")
            ),
            Operation(
                method: "post",
                path: "/v1/usage-records",
                id: "createUsageRecord",
                tag: "Usage and invoices",
                summary: "Record usage measured after the fact (platform keys only, with Portico-Organization)",
                scope: .usageWrite,
                parameters: [
                    parameter("Portico-Organization", in: "header", string(description: "The organization the platform key acts for"), required: true)
                ],
                body: object(
                    [
                        "metric": string(description: "A metric declared in gateway.metrics", maxLength: 40),
                        "quantity": integer(minimum: 1, maximum: 1_000_000_000_000),
                        "idempotency_key": string(description: "The same key again records nothing", maxLength: 255),
                        "timestamp": bodyTime,
                    ],
                    required: ["metric", "quantity", "idempotency_key"]
                ),
                response: ref("UsageRecord")
            ),
            Operation(
                method: "get",
                path: "/v1/invoices",
                id: "listInvoices",
                tag: "Usage and invoices",
                summary: "List invoices",
                scope: .invoicesRead,
                parameters: list,
                response: listOf("Invoice")
            ),
            Operation(
                method: "get",
                path: "/v1/invoices/{id}",
                id: "getInvoice",
                tag: "Usage and invoices",
                summary: "Retrieve an invoice",
                scope: .invoicesRead,
                response: ref("Invoice")
            ),
            // Events
            Operation(
                method: "post",
                path: "/v1/events",
                id: "createEvent",
                tag: "Events",
                summary: "Publish your own event to subscribed endpoints",
                scope: .eventsWrite,
                body: object(
                    [
                        "type": string(
                            description: "Lowercase dot-delimited words, e.g. order.shipped; customer.*, webhook_*.* and portico.* are reserved",
                            maxLength: 100
                        ),
                        "data": ["type": "object"],
                    ],
                    required: ["type", "data"]
                ),
                response: ref("Event")
            ),
            Operation(
                method: "get",
                path: "/v1/events",
                id: "listEvents",
                tag: "Events",
                summary: "List events",
                scope: .eventsRead,
                parameters: list + [
                    parameter("type", string(description: "An event type or wildcard: customer.created, customer.*, *")),
                    parameter("since", queryTime), parameter("until", queryTime),
                ],
                response: listOf("Event")
            ),
            Operation(
                method: "get",
                path: "/v1/events/{id}",
                id: "getEvent",
                tag: "Events",
                summary: "Retrieve an event",
                scope: .eventsRead,
                response: ref("Event")
            ),
            // Webhooks
            Operation(
                method: "post",
                path: "/v1/webhook-endpoints",
                id: "createWebhookEndpoint",
                tag: "Webhooks",
                summary: "Add an endpoint (the secret is in this answer)",
                scope: .webhooksWrite,
                body: endpointInput(required: ["url", "enabled_events"], withStatus: false),
                response: ref("WebhookEndpoint")
            ),
            Operation(
                method: "get",
                path: "/v1/webhook-endpoints",
                id: "listWebhookEndpoints",
                tag: "Webhooks",
                summary: "List endpoints",
                scope: .webhooksRead,
                parameters: list,
                response: listOf("WebhookEndpoint")
            ),
            Operation(
                method: "get",
                path: "/v1/webhook-endpoints/{id}",
                id: "getWebhookEndpoint",
                tag: "Webhooks",
                summary: "Retrieve an endpoint",
                scope: .webhooksRead,
                response: ref("WebhookEndpoint")
            ),
            Operation(
                method: "patch",
                path: "/v1/webhook-endpoints/{id}",
                id: "updateWebhookEndpoint",
                tag: "Webhooks",
                summary: "Change an endpoint, or enable/disable it",
                scope: .webhooksWrite,
                body: endpointInput(required: [], withStatus: true),
                bodyRequired: false,
                response: ref("WebhookEndpoint")
            ),
            Operation(
                method: "delete",
                path: "/v1/webhook-endpoints/{id}",
                id: "deleteWebhookEndpoint",
                tag: "Webhooks",
                summary: "Delete an endpoint",
                scope: .webhooksWrite,
                response: ref("Deleted")
            ),
            Operation(
                method: "get",
                path: "/v1/webhook-endpoints/{id}/secret",
                id: "getWebhookEndpointSecret",
                tag: "Webhooks",
                summary: "Reveal the signing secret",
                scope: .webhooksWrite,
                response: ref("WebhookEndpointSecret")
            ),
            Operation(
                method: "post",
                path: "/v1/webhook-endpoints/{id}/rotate-secret",
                id: "rotateWebhookEndpointSecret",
                tag: "Webhooks",
                summary: "Rotate the signing secret; the old one signs too for the overlap",
                scope: .webhooksWrite,
                body: object(["overlap_seconds": integer(minimum: 0, maximum: 604_800)], required: []),
                bodyRequired: false,
                response: ref("WebhookEndpointSecret")
            ),
            Operation(
                method: "post",
                path: "/v1/webhook-endpoints/{id}/test",
                id: "testWebhookEndpoint",
                tag: "Webhooks",
                summary: "Send a portico.test event to this endpoint",
                scope: .webhooksWrite,
                response: ref("Event")
            ),
            Operation(
                method: "post",
                path: "/v1/webhook-endpoints/{id}/replay",
                id: "replayWebhookEndpoint",
                tag: "Webhooks",
                summary: "Re-queue failed and dead deliveries created in a range, as a job",
                scope: .webhooksWrite,
                body: object(["since": nullable(bodyTime), "until": nullable(bodyTime)], required: []),
                bodyRequired: false,
                status: "202",
                response: ref("WebhookReplay")
            ),
            Operation(
                method: "get",
                path: "/v1/webhook-endpoints/listen",
                id: "listenWebhooks",
                tag: "Webhooks",
                summary: "Receive this mode's deliveries over the connection (`portico listen`)",
                scope: .webhooksWrite,
                parameters: [parameter("enabled_events", string(description: "Comma-separated event types or wildcards; default *"))],
                response: [
                    "type": "string",
                    "description": .string(
                        "Server-sent events. Opening the stream makes a temporary webhook endpoint (deleted when the stream ends). First `ready`, data `{\"endpoint_id\", \"secret\", \"livemode\", \"enabled_events\"}`; then one `delivery` event per attempt, data `{\"delivery_id\", \"event_type\", \"attempt\", \"headers\", \"body\"}`: post `body` with `headers` to your receiver and report its answer with `POST /v1/webhook-endpoints/{id}/listen-results` within `webhooks.timeout_seconds`. A comment line every 5 seconds keeps the connection open."
                    ),
                ],
                eventStream: true
            ),
            Operation(
                method: "post",
                path: "/v1/webhook-endpoints/{id}/listen-results",
                id: "reportListenResult",
                tag: "Webhooks",
                summary: "Report a local receiver's answer to a delivery sent down a listen stream",
                scope: .webhooksWrite,
                body: object(
                    [
                        "delivery_id": string(),
                        "attempt": integer(minimum: 1),
                        "status": integer(minimum: 100, maximum: 599),
                        "body": string(description: "The answer's body (kept up to webhooks.response_excerpt_bytes)"),
                        "error": string(description: "When there was no answer", enum: ["timeout", "refused", "dns", "tls", "network"]),
                        "message": string(maxLength: 500),
                    ],
                    required: ["delivery_id", "attempt"]
                ),
                response: object(["object": ["const": "listen_result"], "delivery_id": string(), "recorded": ["const": true]])
            ),
            Operation(
                method: "get",
                path: "/v1/webhook-replays/{id}",
                id: "getWebhookReplay",
                tag: "Webhooks",
                summary: "A replay job's progress",
                scope: .webhooksRead,
                response: ref("WebhookReplay")
            ),
            Operation(
                method: "get",
                path: "/v1/webhook-deliveries",
                id: "listWebhookDeliveries",
                tag: "Webhooks",
                summary: "List deliveries",
                scope: .webhooksRead,
                parameters: list + [
                    parameter("endpoint", string()), parameter("event", string()),
                    parameter("status", string(enum: ["pending", "failed", "succeeded", "dead"])),
                ],
                response: listOf("WebhookDelivery")
            ),
            Operation(
                method: "get",
                path: "/v1/webhook-deliveries/{id}",
                id: "getWebhookDelivery",
                tag: "Webhooks",
                summary: "Retrieve a delivery with its attempts",
                scope: .webhooksRead,
                response: ref("WebhookDelivery")
            ),
            Operation(
                method: "post",
                path: "/v1/webhook-deliveries/{id}/retry",
                id: "retryWebhookDelivery",
                tag: "Webhooks",
                summary: "Attempt a delivery again now",
                scope: .webhooksWrite,
                status: "202",
                response: ref("WebhookDelivery")
            ),
            // Sandbox
            Operation(
                method: "get",
                path: "/v1/sandbox/clock",
                id: "getSandboxClock",
                tag: "Sandbox",
                summary: "The sandbox's clock",
                scope: .webhooksRead,
                response: ref("SandboxClock")
            ),
            Operation(
                method: "post",
                path: "/v1/sandbox/clock/advance",
                id: "advanceSandboxClock",
                tag: "Sandbox",
                summary: "Move the sandbox's clock forward (retries, expiry and period ends happen in seconds)",
                scope: .webhooksWrite,
                body: object(["seconds": integer(minimum: 1, maximum: 2_592_000)], required: ["seconds"]),
                response: ref("SandboxClock")
            ),
            Operation(
                method: "get",
                path: "/v1/sandbox/emails",
                id: "listSandboxEmails",
                tag: "Sandbox",
                summary: "Every mail the sandbox caught, newest first (its platform key only)",
                scope: .eventsRead,
                parameters: list + [parameter("to", string(maxLength: 254))],
                response: listOf("SandboxEmail")
            ),
        ]
    }()

    // MARK: Schemas

    static var schemas: [String: JSONValue] {
        [
            "Problem": object(
                [
                    "type": string(description: "A link to this error code's docs page", format: "uri"),
                    "title": string(), "status": integer(minimum: 400, maximum: 599), "detail": string(),
                    "code": openString(
                        ErrorCode.allCases.map(\.rawValue),
                        description:
                            "A stable, machine-readable error code; `type` links to its docs page. New codes may be added at any time: handle an unknown code by its HTTP `status`."
                    ),
                    "param": string(description: "The parameter at fault"),
                    "limit": string(description: "The rate limit or quota that refused the request (429 only)"),
                    "request_id": string(),
                ],
                required: ["type", "title", "status", "detail", "code", "request_id"]
            ),
            "Deleted": object(["id": string(), "object": string(), "deleted": ["const": true]]),
            "WebhookAttemptErrorKind": string(
                description: "Why an attempt failed; `http` when the receiver answered outside 2xx.",
                enum: WebhookAttemptRecord.ErrorKind.allCases.map(\.rawValue)
            ),
            "Customer": object([
                "id": string(), "object": ["const": "customer"], "name": nullable(string()), "email": nullable(string()),
                "description": nullable(string()), "metadata": metadata, "livemode": boolean, "created_at": timestamp, "updated_at": timestamp,
            ]),
            "APIKey": object(
                [
                    "id": string(), "object": ["const": "api_key"], "livemode": boolean,
                    "kind": string(enum: ["secret", "restricted", "publishable"]),
                    "label": nullable(string()), "redacted": string(description: "The key's prefix and last four characters"),
                    "scopes": array(string()), "allowed_ips": array(string()), "status": string(enum: ["active", "expired", "revoked"]),
                    "expires_at": nullable(timestamp), "revoked_at": nullable(timestamp), "rolled_to": nullable(string()),
                    "last_used_at": nullable(timestamp), "created_at": timestamp,
                    "secret": string(description: "The full key: only in the answer that created it"),
                ],
                required: [
                    "id", "object", "livemode", "kind", "label", "redacted", "scopes", "allowed_ips", "status", "expires_at", "revoked_at",
                    "rolled_to", "last_used_at", "created_at",
                ]
            ),
            "KeyVerification": object([
                "object": ["const": "key_verification"], "valid": boolean,
                "code": string(enum: ["valid", "not_found", "revoked", "expired", "rate_limited", "quota_exceeded", "forbidden_ip"]),
                "key_id": nullable(string()), "organization_id": nullable(string()), "livemode": nullable(boolean),
                "kind": nullable(string()), "scopes": nullable(array(string())), "expires_at": nullable(timestamp),
                "limits": array(
                    object([
                        "name": string(), "limit": integer(minimum: 0), "window_seconds": integer(minimum: 0), "remaining": integer(minimum: 0),
                        "reset_seconds": integer(minimum: 0),
                    ])
                ),
            ]),
            "RequestLog": object([
                "id": string(description: "The request id"), "object": ["const": "request_log"], "livemode": boolean, "method": string(),
                "path": string(),
                "route": nullable(string()), "status": integer(minimum: 100, maximum: 599), "duration_ms": number,
                "key_id": nullable(string()), "ip": nullable(string()), "user_agent": nullable(string()),
                "request_body": nullable(string()), "response_body": nullable(string()), "created_at": timestamp,
            ]),
            "QuotaPeriod": object([
                "period_start": timestamp, "period_end": timestamp, "metric": string(), "used": integer(minimum: 0),
                "quota": nullable(integer(minimum: 0)), "remaining": nullable(integer(minimum: 0)), "enforced": boolean,
            ]),
            "Usage": object([
                "object": ["const": "usage"], "livemode": boolean, "plan": string(), "group_by": string(enum: ["key", "hour", "day", "month"]),
                "since": timestamp, "until": timestamp,
                "data": array(
                    object(["metric": string(), "quantity": integer(minimum: 0), "period_start": nullable(timestamp), "key_id": nullable(string())])
                ),
                "current_period": ref("QuotaPeriod"), "current_day": nullable(ref("QuotaPeriod")),
            ]),
            "UsageRecord": object(
                [
                    "id": string(), "object": ["const": "usage_record"], "metric": string(), "quantity": integer(minimum: 1),
                    "timestamp": timestamp, "idempotency_key": string(), "livemode": boolean, "created": timestamp,
                ],
                required: ["id", "object", "metric", "quantity", "timestamp", "idempotency_key", "livemode", "created"]
            ),
            "Invoice": object([
                "id": string(), "object": ["const": "invoice"], "livemode": boolean, "plan": string(), "currency": string(),
                "period_start": timestamp, "period_end": timestamp, "base_amount": integer(minimum: 0),
                "included_quantity": nullable(integer(minimum: 0)),
                "usage_quantity": integer(minimum: 0), "overage_quantity": integer(minimum: 0), "overage_unit_amount": nullable(integer(minimum: 0)),
                "overage_amount": integer(minimum: 0), "total": integer(minimum: 0),
                "lines": array(
                    object([
                        "description": string(), "quantity": integer(minimum: 0), "unit_amount": nullable(integer(minimum: 0)),
                        "amount": integer(minimum: 0),
                    ])
                ),
                "created_at": timestamp,
            ]),
            "Event": object([
                "id": string(), "object": ["const": "event"], "type": string(), "data": ["type": "object"], "livemode": boolean,
                "request_id": nullable(string()), "created_at": timestamp,
            ]),
            "WebhookEndpoint": object(
                [
                    "id": string(), "object": ["const": "webhook_endpoint"], "url": string(format: "uri"), "description": nullable(string()),
                    "enabled_events": array(string()), "metadata": metadata, "status": string(enum: ["enabled", "disabled"]),
                    "disabled_reason": nullable(string()), "livemode": boolean, "created_at": timestamp, "updated_at": timestamp,
                    "secret": string(description: "whsec_…: only in the answer that created the endpoint"),
                ],
                required: [
                    "id", "object", "url", "description", "enabled_events", "metadata", "status", "disabled_reason", "livemode", "created_at",
                    "updated_at",
                ]
            ),
            "WebhookEndpointSecret": object([
                "object": ["const": "webhook_endpoint_secret"], "endpoint_id": string(), "secret": string(),
                "previous_secret_expires_at": nullable(timestamp),
            ]),
            "WebhookDelivery": object(
                [
                    "id": string(), "object": ["const": "webhook_delivery"], "endpoint_id": string(), "event_id": string(), "event_type": string(),
                    "status": string(enum: ["pending", "failed", "succeeded", "dead"]), "attempt_count": integer(minimum: 0),
                    "next_attempt_at": nullable(timestamp), "last_attempt_at": nullable(timestamp),
                    "last_status_code": nullable(integer(minimum: 100, maximum: 599)),
                    "livemode": boolean, "created_at": timestamp,
                    "attempts": array(
                        object([
                            "attempted_at": timestamp, "duration_ms": integer(minimum: 0),
                            "status_code": nullable(integer(minimum: 100, maximum: 599)),
                            "error_kind": nullable(ref("WebhookAttemptErrorKind")),
                            "response_excerpt": nullable(string()),
                        ])
                    ),
                ],
                required: [
                    "id", "object", "endpoint_id", "event_id", "event_type", "status", "attempt_count", "next_attempt_at", "last_attempt_at",
                    "last_status_code", "livemode", "created_at",
                ]
            ),
            "WebhookReplay": object([
                "id": string(), "object": ["const": "webhook_replay"], "endpoint_id": string(), "since": timestamp, "until": timestamp,
                "status": string(enum: ["running", "completed"]), "queued": integer(minimum: 0), "created_at": timestamp,
                "completed_at": nullable(timestamp),
            ]),
            "SandboxClock": object(["object": ["const": "sandbox_clock"], "now": timestamp, "offset_seconds": integer(minimum: 0)]),
            "SandboxEmail": object([
                "object": ["const": "sandbox_email"], "id": string(), "kind": string(), "from": string(), "to": array(string()),
                "subject": string(), "text": string(), "html": nullable(string()), "links": array(string()), "created_at": timestamp,
            ]),
        ]
    }

    private static var customerInput: JSONValue {
        object(
            [
                "name": nullable(string(maxLength: 256)),
                "email": nullable(string(format: "email", maxLength: 512)),
                "description": nullable(string(maxLength: 1_000)),
                "metadata": metadataInput,
            ],
            required: []
        )
    }

    private static func endpointInput(required: [String], withStatus: Bool) -> JSONValue {
        var properties: [String: JSONValue] = [
            "url": string(
                description:
                    "http(s) URL; private, loopback and link-local addresses are refused unless the operator allows them (webhooks.allowed_cidrs)",
                format: "uri",
                maxLength: 2_048
            ),
            "enabled_events": array(string(description: "An event type, a wildcard such as customer.*, or *"), minItems: 1, maxItems: 100),
            "description": nullable(string(maxLength: 1_000)),
            "metadata": metadataInput,
        ]
        if withStatus { properties["status"] = string(enum: ["enabled", "disabled"]) }
        return object(properties, required: required)
    }

    // MARK: Building blocks

    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    static func listOf(_ name: String) -> JSONValue {
        object(["object": ["const": "list"], "data": array(ref(name)), "has_more": boolean, "url": string()])
    }

    /// An object whose properties are all required unless `required` says otherwise; unknown properties are refused.
    static func object(_ properties: [String: JSONValue], required: [String]? = nil) -> JSONValue {
        [
            "type": "object", "properties": .object(properties),
            "required": .array((required ?? properties.keys.sorted()).sorted().map { .string($0) }),
            "additionalProperties": false,
        ]
    }

    static func string(description: String? = nil, format: String? = nil, maxLength: Int? = nil, enum values: [String]? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string"]
        if let description { schema["description"] = .string(description) }
        if let format { schema["format"] = .string(format) }
        if let maxLength { schema["maxLength"] = .number(Double(maxLength)) }
        if let values { schema["enum"] = .array(values.map { .string($0) }) }
        return .object(schema)
    }

    /// A string whose known values are listed but not closed (`examples` and the description, not
    /// `enum`): a generated client must not fail on a value added after it was generated.
    static func openString(_ known: [String], description: String) -> JSONValue {
        [
            "type": "string",
            "description": .string(description + " Known values: " + known.map { "`\($0)`" }.joined(separator: ", ") + "."),
            "examples": .array(known.map { .string($0) }),
        ]
    }

    static func integer(minimum: Int? = nil, maximum: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "integer"]
        if let minimum { schema["minimum"] = .number(Double(minimum)) }
        if let maximum { schema["maximum"] = .number(Double(maximum)) }
        return .object(schema)
    }

    static func array(_ items: JSONValue, minItems: Int? = nil, maxItems: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "array", "items": items]
        if let minItems { schema["minItems"] = .number(Double(minItems)) }
        if let maxItems { schema["maxItems"] = .number(Double(maxItems)) }
        return .object(schema)
    }

    /// The schema, or null (3.1: a `type` list, or `anyOf` for a reference or an enum — a `null`
    /// inside an enum makes client generators such as openapi-python-client emit duplicate types).
    static func nullable(_ schema: JSONValue) -> JSONValue {
        guard case .object(var fields) = schema, case .string(let type)? = fields["type"], fields["enum"] == nil else {
            return ["anyOf": [schema, ["type": "null"]]]
        }
        fields["type"] = [.string(type), "null"]
        return .object(fields)
    }

    static let boolean: JSONValue = ["type": "boolean"]
    static let number: JSONValue = ["type": "number"]
    static let timestamp: JSONValue = ["type": "string", "format": "date-time", "description": "RFC 3339, UTC"]
    static let metadata: JSONValue = ["type": "object", "additionalProperties": ["type": "string"], "description": "Your own key-value pairs"]
    static let metadataInput: JSONValue = [
        "type": ["object", "null"], "maxProperties": 50,
        "propertyNames": ["maxLength": 40],
        "additionalProperties": ["type": ["string", "null"], "maxLength": 500],
        "description": "Up to 50 keys; a null value removes that key, a null object removes all",
    ]
    static let queryTime: JSONValue = ["type": "string", "description": "RFC 3339 time or Unix seconds"]
    static let bodyTime: JSONValue = ["type": ["string", "integer"], "description": "RFC 3339 time or Unix seconds"]

    static func parameter(_ name: String, in location: String = "query", _ schema: JSONValue, required: Bool = false) -> JSONValue {
        ["name": .string(name), "in": .string(location), "required": .bool(required), "schema": schema]
    }

    static let pathID = parameter("id", in: "path", string(), required: true)
    static let pageLimit = parameter("limit", integer(minimum: 1, maximum: 100))
    static let startingAfter = parameter("starting_after", string())
    static let endingBefore = parameter("ending_before", string())
    static let idempotencyKey: JSONValue = [
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": ["type": "string", "minLength": 1, "maxLength": 255],
        "description": "Makes a POST safe to retry: the same key and body replay the first answer.",
    ]
    static var versionHeader: JSONValue {
        [
            "name": "Portico-Version", "in": "header", "required": false,
            // The default is the version this document describes, so a client generated from it sends it
            // and gets the shapes it was generated for, whatever the organization is pinned to.
            "schema": ["type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "default": .string(APIVersions.current.id)],
            "description": .string(
                "The API version to use (\(APIVersions.all.map(\.id).joined(separator: ", "))). Without the header the organization's pinned "
                    + "version applies; the default shown is the version this document describes, which generated clients send. "
                    + "Echoed in the response. Older versions differ as the changelog says."
            ),
        ]
    }
}

/// Documents the CLI prints.
public enum PorticoDocuments {
    public static var openAPI: String { OpenAPI.json }
}
