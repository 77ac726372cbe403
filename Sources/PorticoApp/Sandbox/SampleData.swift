import Foundation
import PorticoCore
import PorticoStore

/// `portico sandbox --seed-data`: about thirty days of one organization's
/// life, so the dashboard, the API and a client's tests have something to
/// look at before anything ran — customers created, changed and deleted,
/// orders' events, webhook deliveries that succeeded, failed and died
/// (their attempts decided by the real `RetryPolicy` and
/// `DeliveryBookkeeping`), request logs across routes and statuses with
/// their usage and statistics (through the log writer's own tallies), and a
/// closed invoice for the month before.
///
/// The test mode's endpoints are on `fail.portico.test` (`SimulatedReceiver`),
/// so what the sample promises keeps happening after it: the healthy one keeps
/// succeeding, the failing one keeps failing, and nothing leaves the machine.
struct SampleData {
    let runtime: PorticoRuntime

    /// Days of history: inside `retention.request_logs_days` (30), so the next maintenance keeps them all.
    static let days: Int64 = 29
    private static let day: Int64 = 86_400_000

    struct Summary: Sendable, Equatable {
        var customers = 0
        var events = 0
        var deliveries = 0
        var requestLogs = 0
    }

    /// Fills `seeded`'s organization, both modes, and invoices the month before.
    @discardableResult
    func fill(_ seeded: SeededOrganization) async throws -> Summary {
        let now = runtime.clock.nowMilliseconds
        let start = now - Self.days * Self.day
        let keys = try await runtime.store.apiKeys(organizationId: seeded.organizationID, livemode: nil)
        var summary = Summary()
        var history = SampleHistory()
        history.organizationCreatedAt = (seeded.organizationID, start - Self.day)
        var logs: [RequestLogEntry] = []
        for livemode in [false, true] {
            let scope = TenantScope(organizationId: seeded.organizationID, livemode: livemode)
            let keyID = keys.first { $0.livemode == livemode && $0.kind == APIKeyKind.secret.rawValue }?.id
            var tenant = Tenant(scope: scope, keyID: keyID, start: start, now: now)
            try tenant.customers(count: livemode ? 25 : 40)
            tenant.orders(count: livemode ? 40 : 60)
            tenant.traffic(count: livemode ? 700 : 1_100)
            if !livemode {
                let endpoints = tenant.endpoints(secrets: runtime.secretBox)
                tenant.deliver(to: endpoints, policy: RetryPolicy.standard, autoDisableAfterHours: runtime.config.webhooks.autoDisableAfterHours)
            }
            summary.customers += tenant.history.customers.count
            summary.events += tenant.history.events.count
            summary.deliveries += tenant.history.deliveries.count
            history.customers += tenant.history.customers
            history.endpoints += tenant.history.endpoints
            history.events += tenant.history.events
            history.deliveries += tenant.history.deliveries
            history.attempts += tenant.history.attempts
            logs += tenant.logs
        }
        try await runtime.store.insertSampleHistory(history)
        try await writeLogs(logs, from: start, until: now)
        summary.requestLogs = logs.count
        _ = try await runtime.billing.generateInvoices(monthStart: runtime.billing.previousMonthStart)
        return summary
    }

    /// Commits the logs as the log writer would, usage and statistics included, into partitions made for them.
    private func writeLogs(_ logs: [RequestLogEntry], from start: Int64, until now: Int64) async throws {
        let width = runtime.partitionWidth
        _ = try await runtime.store.createRequestLogPartitions(from: start, through: now, width: width)
        let sorted = logs.sorted { $0.createdAt < $1.createdAt }
        var index = 0
        while index < sorted.count {
            let batch = sorted[index..<min(index + 500, sorted.count)].map { PendingLog(entry: $0, enqueuedAt: .now) }
            try await runtime.store.appendRequestLogs(
                batch.map(\.entry),
                usage: RequestLogWriter.usage(of: batch),
                stats: TrafficSummary.increments(of: batch.lazy.map(\.entry)),
                routeStats: TrafficSummary.routeIncrements(of: batch.lazy.map(\.entry)),
                audit: [],
                width: width
            )
            index += batch.count
        }
    }
}

/// One tenant's made-up month: its records and the request-log rows of the calls that made them.
private struct Tenant {
    let scope: TenantScope
    let keyID: String?
    let start: Int64
    let now: Int64
    var history = SampleHistory()
    var logs: [RequestLogEntry] = []
    var random = SystemRandomNumberGenerator()

    init(scope: TenantScope, keyID: String?, start: Int64, now: Int64) {
        self.scope = scope
        self.keyID = keyID
        self.start = start
        self.now = now
    }

    static let firstNames = ["Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Margaret", "Linus", "Radia", "Ken", "Frances"]
    static let lastNames = ["Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Torvalds", "Perlman"]

    /// A time in `[from, until)`.
    mutating func time(_ from: Int64, _ until: Int64) -> Int64 { from >= until ? from : Int64.random(in: from..<until, using: &random) }

    /// A request-log row for a call at `at`, with a plausible latency for its status.
    mutating func log(_ method: String, _ path: String, route: String?, status: Int, at: Int64, requestID: String? = nil) {
        let micros: Int64 =
            status >= 500
            ? Int64.random(in: 200_000...2_500_000, using: &random) : 1_500 + Int64(pow(Double.random(in: 0...1, using: &random), 3) * 120_000)
        logs.append(
            RequestLogEntry(
                createdAt: at,
                requestId: requestID ?? Identifier.make("req", at: at),
                organizationId: scope.organizationId,
                livemode: scope.livemode,
                keyId: keyID,
                method: method,
                path: path,
                route: route,
                status: status,
                durationMicroseconds: micros,
                ip: "203.0.113.\(Int.random(in: 2...250, using: &random))",
                userAgent: ["portico-python/1.4", "portico-node/2.1", "curl/8.5.0"].randomElement(using: &random)
            )
        )
    }

    /// Customers created over the month; some changed later, some deleted.
    mutating func customers(count: Int) throws {
        for index in 0..<count {
            let createdAt = time(start, now - 3_600_000)
            let first = Self.firstNames[index % Self.firstNames.count]
            let last = Self.lastNames[(index / Self.firstNames.count + index) % Self.lastNames.count]
            var record = CustomerRecord(
                id: Identifier.make("cus", at: createdAt),
                organizationId: scope.organizationId,
                livemode: scope.livemode,
                name: "\(first) \(last)",
                email: "\(first.lowercased()).\(last.lowercased())\(index)@example.com",
                description: nil,
                metadata: StoredMetadata.encode(["plan": index % 3 == 0 ? "pro" : "starter"]),
                createdAt: createdAt,
                updatedAt: createdAt
            )
            let created = Identifier.make("req", at: createdAt)
            history.events.append(
                Events.make("customer.created", about: CustomerResource(record), scope: scope, requestID: created, at: createdAt)
            )
            log("POST", "/v1/customers", route: "/v1/customers", status: 200, at: createdAt, requestID: created)
            let roll = Int.random(in: 0..<10, using: &random)
            if roll < 2 {
                let updatedAt = time(createdAt + 60_000, now)
                record.description = "Moved to the pro plan"
                record.updatedAt = updatedAt
                let updated = Identifier.make("req", at: updatedAt)
                history.events.append(
                    Events.make(
                        "customer.updated",
                        about: CustomerResource(record),
                        previous: ["description": .null],
                        scope: scope,
                        requestID: updated,
                        at: updatedAt
                    )
                )
                log("PATCH", "/v1/customers/\(record.id)", route: "/v1/customers/{id}", status: 200, at: updatedAt, requestID: updated)
            }
            if roll == 9 {
                let deletedAt = time(createdAt + 60_000, now)
                let deleted = Identifier.make("req", at: deletedAt)
                history.events.append(
                    Events.make("customer.deleted", about: CustomerResource(record), scope: scope, requestID: deleted, at: deletedAt)
                )
                log("DELETE", "/v1/customers/\(record.id)", route: "/v1/customers/{id}", status: 200, at: deletedAt, requestID: deleted)
            } else {
                history.customers.append(record)
            }
        }
    }

    /// Orders the team's own backend announced with `POST /v1/events`; most shipped later.
    mutating func orders(count: Int) {
        for _ in 0..<count {
            let createdAt = time(start, now - 600_000)
            let order = "ord_" + Base62.random(count: 12)
            let amount = Int.random(in: 5..<400, using: &random) * 100
            // Written as `POST /v1/events` stores data (keys in order): responses splice it as is.
            let data = JSONWriter.text(JSONValue.object(["order": .string(order), "amount": .number(Double(amount)), "currency": "usd"]))
            let request = Identifier.make("req", at: createdAt)
            history.events.append(
                EventRecord(
                    id: Identifier.make("evt", at: createdAt),
                    scope: scope,
                    type: "order.created",
                    data: data,
                    requestId: request,
                    createdAt: createdAt
                )
            )
            log("POST", "/v1/events", route: "/v1/events", status: 200, at: createdAt, requestID: request)
            guard Int.random(in: 0..<10, using: &random) < 7 else { continue }
            let shippedAt = time(createdAt + 3_600_000, now)
            let shipped = Identifier.make("req", at: shippedAt)
            history.events.append(
                EventRecord(
                    id: Identifier.make("evt", at: shippedAt),
                    scope: scope,
                    type: "order.shipped",
                    data: data,
                    requestId: shipped,
                    createdAt: shippedAt
                )
            )
            log("POST", "/v1/events", route: "/v1/events", status: 200, at: shippedAt, requestID: shipped)
        }
    }

    /// Everyday reads, with the errors every integration meets now and then.
    mutating func traffic(count: Int) {
        let customerIDs = history.customers.map(\.id)
        for _ in 0..<count {
            let at = time(start, now)
            let id = customerIDs.randomElement(using: &random) ?? "cus_unknown"
            switch Int.random(in: 0..<200, using: &random) {
            case 0..<80: log("GET", "/v1/customers", route: "/v1/customers", status: 200, at: at)
            case 80..<120: log("GET", "/v1/customers/\(id)", route: "/v1/customers/{id}", status: 200, at: at)
            case 120..<128: log("GET", "/v1/customers/cus_0000000000", route: "/v1/customers/{id}", status: 404, at: at)
            case 128..<150: log("GET", "/v1/events", route: "/v1/events", status: 200, at: at)
            case 150..<162: log("GET", "/v1/webhook-deliveries", route: "/v1/webhook-deliveries", status: 200, at: at)
            case 162..<172: log("POST", "/v1/customers", route: "/v1/customers", status: 400, at: at)
            case 172..<180: log("GET", "/v1/customers", route: "/v1/customers", status: 429, at: at)
            case 180..<182: log("POST", "/v1/events", route: "/v1/events", status: 500, at: at)
            case 182..<190: log("GET", "/v1/usage", route: "/v1/usage", status: 200, at: at)
            default: log("GET", "/v1/request-logs", route: "/v1/request-logs", status: 200, at: at)
            }
        }
    }

    /// The test mode's three endpoints, each on `fail.portico.test`: one that works (with
    /// an outage on day 10 the sample makes up), one failing since three days ago, and one
    /// whose receiver went away (410) in the first days.
    func endpoints(secrets: SecretBox) -> [WebhookEndpointRecord] {
        let specs: [(SimulatedReceiver, String, [String], Int64)] = [
            (.ok, "Orders service (sample data)", ["customer.*", "order.*"], start),
            (.serverError, "Shipping notifier (sample data; always fails)", ["order.shipped"], now - 3 * 86_400_000),
            (.gone, "Old CRM sync (sample data; answered 410)", ["*"], start + 3_600_000),
        ]
        return specs.map { receiver, description, events, createdAt in
            let id = Identifier.make("we", at: createdAt)
            return WebhookEndpointRecord(
                id: id,
                scope: scope,
                url: "https://\(SimulatedReceiver.host)\(receiver.rawValue)",
                description: description,
                enabledEvents: StoredJSON.encode(events),
                metadata: "{}",
                secret: secrets.seal(WebhookSecret.generate().text, for: id),
                createdAt: createdAt
            )
        }
    }

    /// The receiver's answer at `at`: (status, error kind, excerpt).
    mutating func answer(of endpoint: WebhookEndpointRecord, at: Int64) -> (Int?, WebhookAttemptRecord.ErrorKind?, String) {
        let outage = (start + 10 * 86_400_000)..<(start + 10 * 86_400_000 + 36 * 3_600_000)
        switch (try? WebhookURL.parse(endpoint.url)).flatMap({ try? SimulatedReceiver($0) }) {
        case .ok where outage.contains(at): return (503, .http, "Service Unavailable")
        case .ok where Int.random(in: 0..<40, using: &random) == 0: return (nil, .timeout, "The receiver did not answer within the timeout.")
        case .ok: return (200, nil, "ok")
        case .gone: return (410, .http, #"{"error":"gone"}"#)
        default: return (500, .http, #"{"error":"internal server error"}"#)
        }
    }

    /// Every event's deliveries, attempted as the dispatcher would have: the real retry
    /// schedule and bookkeeping decide each next attempt, the endpoint's failing streak and
    /// disabling. Deliveries still owed an attempt keep a `next_attempt_at` in the future.
    mutating func deliver(to initial: [WebhookEndpointRecord], policy: RetryPolicy, autoDisableAfterHours: Int) {
        var endpoints = initial
        let bookkeeping = DeliveryBookkeeping(autoDisableAfterMilliseconds: Int64(autoDisableAfterHours) * 3_600_000, maxAttempts: policy.maxAttempts)
        var announced: [EventRecord] = []
        for event in history.events.sorted(by: { $0.createdAt < $1.createdAt }) {
            let existing = endpoints.filter { $0.createdAt <= event.createdAt }
            for var delivery in Fanout.deliveries(of: event, to: Fanout.recipients(of: event, among: existing)) {
                guard let index = endpoints.firstIndex(where: { $0.id == delivery.endpointId }) else { continue }
                var endpoint = endpoints[index]
                var at = event.createdAt + Int64.random(in: 30...900, using: &random)
                while at <= now {
                    let (status, kind, excerpt) = answer(of: endpoint, at: at)
                    let decision = policy.decide(attempt: delivery.attemptCount + 1, status: status, random: &random)
                    history.attempts.append(
                        WebhookAttemptRecord(
                            deliveryId: delivery.id,
                            attemptedAt: at,
                            durationMs: kind == .timeout ? 15_000 : Int64.random(in: 20...400, using: &random),
                            statusCode: status,
                            errorKind: kind,
                            responseExcerpt: excerpt
                        )
                    )
                    let result = DeliveryBookkeeping.Result(decision: decision, attemptedAt: at, statusCode: status)
                    announced += bookkeeping.apply(result, eventType: event.type, to: &delivery, endpoint: &endpoint).compactMap { $0.event(at: at) }
                    guard delivery.status == .failed, let next = delivery.nextAttemptAt else { break }
                    at = next
                }
                endpoints[index] = endpoint
                history.deliveries.append(delivery)
            }
        }
        history.endpoints = endpoints
        history.events += announced
    }
}
