import Foundation
import NIOCore
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Every API resource rendered by `JSONWriter` against the `Encodable` code it
/// replaced (`LegacyResources.swift`), byte for byte, for values with every
/// optional absent and with every optional present and strings that need
/// escaping; then the same for every dated version, through the version
/// middleware's downgrade (against the old decode-and-re-encode path).
@Suite struct ResourceRenderingTests {
    static let tricky = "Ünïcödé \"quoted\" back\\slash/slash\nnew line\ttab\u{01}😀"
    static let now: Int64 = 1_764_600_000_123

    /// One resource in both renderings.
    struct Pair: CustomTestStringConvertible {
        let name: String
        let new: ByteBuffer
        let old: Data
        var testDescription: String { name }

        init(_ name: String, _ new: some JSONWritable, _ old: some Encodable) throws {
            self.name = name
            self.new = JSONWriter.render(new)
            self.old = try CanonicalJSON.encoder.encode(old)
        }
    }

    static func pairs() throws -> [Pair] {
        var pairs: [Pair] = []
        for full in [false, true] {
            let text: String? = full ? tricky : nil
            let time: Int64? = full ? now + 86_400_000 : nil
            let suffix = full ? " (everything set)" : " (optionals absent)"
            let scope = TenantScope(organizationId: "org_1", livemode: full)

            let metadata = full ? StoredMetadata.encode(["tier": "gold", "Ключ": tricky, "a": ""]) : StoredMetadata.encode([:])
            let customer = CustomerRecord(
                id: "cus_1",
                organizationId: "org_1",
                livemode: full,
                name: text,
                email: full ? "a@example.com" : nil,
                description: text,
                metadata: metadata,
                createdAt: now,
                updatedAt: now + 1_000
            )
            pairs.append(try Pair("customer" + suffix, CustomerResource(customer), LegacyCustomerResource(customer)))
            pairs.append(
                try Pair(
                    "customer list" + suffix,
                    ListEnvelope(data: [CustomerResource(customer), CustomerResource(customer)], hasMore: full, url: "/v1/customers"),
                    LegacyListEnvelope(
                        data: [LegacyCustomerResource(customer), LegacyCustomerResource(customer)],
                        hasMore: full,
                        url: "/v1/customers"
                    )
                )
            )
            pairs.append(
                try Pair("deleted" + suffix, DeletedResource(id: "cus_1", object: "customer"), LegacyDeletedResource(id: "cus_1", object: "customer"))
            )

            let previous: [String: JSONValue]? = full ? ["name": .string(tricky), "metadata": .object([:]), "n": .number(1.5)] : nil
            let event = Events.make(
                "customer.updated",
                about: CustomerResource(customer),
                previous: previous,
                scope: scope,
                requestID: full ? "req_1" : nil,
                at: now
            )
            pairs.append(try Pair("event" + suffix, EventResource(event), LegacyEventResource(event)))
            let posted = EventRecord(
                id: "evt_2",
                scope: scope,
                type: "order.shipped",
                data: String(
                    buffer: JSONWriter.render(
                        JSONValue.object(["b": [1, .number(2.5), "x", .null], "a": .object(["z": true, "é": .string(tricky)])])
                    )
                ),
                requestId: nil,
                createdAt: now
            )
            pairs.append(try Pair("posted event" + suffix, EventResource(posted), LegacyEventResource(posted)))
            #expect(
                String(buffer: EventResource.body(event))
                    == String(decoding: try CanonicalJSON.encoder.encode(LegacyEventResource(event)), as: UTF8.self)
            )

            let log = RequestLogEntry(
                id: 7,
                createdAt: now,
                requestId: "req_1",
                organizationId: "org_1",
                livemode: full ? true : nil,
                keyId: full ? "key_1" : nil,
                method: "POST",
                path: "/v1/customers/cus_1",
                route: full ? "/v1/customers/:id" : nil,
                status: 201,
                durationMicroseconds: full ? 1_234_567 : 1_000,
                ip: full ? "::1" : nil,
                userAgent: text,
                requestBody: text,
                responseBody: text
            )
            pairs.append(try Pair("request log" + suffix, RequestLogResource(log), LegacyRequestLogResource(log)))

            let endpoint = WebhookEndpointRecord(
                id: "we_1",
                organizationId: "org_1",
                livemode: full,
                url: "https://example.com/hook?a=1&b=/x",
                description: text,
                enabledEvents: full ? #"["customer.created","order.*"]"# : #"["*"]"#,
                metadata: metadata,
                status: full ? .disabled : .enabled,
                disabledReason: text,
                secret: "sealed",
                previousSecret: nil,
                previousSecretExpiresAt: time,
                failingSince: nil,
                createdAt: now,
                updatedAt: now
            )
            pairs.append(
                try Pair(
                    "webhook endpoint" + suffix,
                    WebhookEndpointResource(endpoint, secret: full ? "whsec_x" : nil),
                    LegacyWebhookEndpointResource(endpoint, secret: full ? "whsec_x" : nil)
                )
            )
            pairs.append(
                try Pair(
                    "webhook secret" + suffix,
                    WebhookSecretResource(endpoint, secret: "whsec_y", now: now),
                    LegacyWebhookSecretResource(endpoint, secret: "whsec_y", now: now)
                )
            )
            let delivery = WebhookDeliveryRecord(
                id: "wd_1",
                organizationId: "org_1",
                livemode: full,
                endpointId: "we_1",
                eventId: "evt_1",
                status: full ? .failed : .pending,
                attemptCount: full ? 3 : 0,
                nextAttemptAt: time,
                lastAttemptAt: time,
                lastStatusCode: full ? 503 : nil,
                createdAt: now,
                updatedAt: now
            )
            let attempts = [
                WebhookAttemptRecord(
                    deliveryId: "wd_1",
                    attemptedAt: now,
                    durationMs: 12,
                    statusCode: nil,
                    errorKind: .timeout,
                    responseExcerpt: nil
                ),
                WebhookAttemptRecord(
                    deliveryId: "wd_1",
                    attemptedAt: now,
                    durationMs: 40,
                    statusCode: 503,
                    errorKind: .http,
                    responseExcerpt: tricky
                ),
            ]
            let view = DeliveryView(delivery: delivery, eventType: "customer.created")
            pairs.append(
                try Pair(
                    "webhook delivery" + suffix,
                    WebhookDeliveryResource(view, attempts: full ? attempts : nil),
                    LegacyWebhookDeliveryResource(view, attempts: full ? attempts : nil)
                )
            )
            var replay = WebhookReplayRecord(id: "wr_1", endpoint: endpoint, since: now - 1_000, until: now, createdAt: now)
            if full {
                replay.status = .completed
                replay.completedAt = now + 5
                replay.queued = 12
            }
            pairs.append(try Pair("webhook replay" + suffix, WebhookReplayResource(replay), LegacyWebhookReplayResource(replay)))

            let key = APIKeyRecord(
                id: "key_1",
                organizationId: "org_1",
                livemode: full,
                kind: full ? "publishable" : "secret",
                label: text,
                secretHash: Data([1]),
                prefix: "sk_test_ab",
                last4: "wxyz",
                scopes: full ? "customers:read events:read" : "",
                allowedCidrs: full ? "10.0.0.0/8 ::1/128" : "",
                expiresAt: time,
                revokedAt: time,
                rolledToId: full ? "key_2" : nil,
                lastUsedAt: time,
                createdAt: now,
                updatedAt: now
            )
            pairs.append(
                try Pair(
                    "api key" + suffix,
                    APIKeyResource(key, now: now, secret: full ? "sk_test_secret" : nil),
                    LegacyAPIKeyResource(key, now: now, secret: full ? "sk_test_secret" : nil)
                )
            )
            var verification = KeyVerification(code: "not_found")
            var legacyVerification = LegacyKeyVerification(code: "not_found")
            if full {
                let principal = Principal(record: key, organization: OrganizationRecord(id: "org_1", name: "Org", createdAt: now))
                verification = KeyVerification(code: "valid", principal: principal)
                legacyVerification = LegacyKeyVerification(code: "valid", principal: principal)
                let state = LimitState(policy: LimitPolicy(.key, .burst, quota: 10), remaining: 9, resetSeconds: 1)
                verification.limits = [KeyVerification.Limit(state)]
                legacyVerification.limits = [LegacyKeyVerification.Limit(state)]
                verification.valid = true
                legacyVerification.valid = true
            }
            pairs.append(try Pair("key verification" + suffix, verification, legacyVerification))

            let usage = UsageRecord(
                id: "ur_1",
                organizationId: "org_1",
                livemode: full,
                metric: "emails_sent",
                quantity: full ? 9_000_000_000 : 1,
                timestamp: now,
                idempotencyKey: tricky,
                recordedBy: "pk_1",
                createdAt: now
            )
            pairs.append(try Pair("usage record" + suffix, UsageRecordResource(usage), LegacyUsageRecordResource(usage)))

            let invoice = InvoiceRecord(
                id: "in_1",
                organizationId: "org_1",
                livemode: full,
                periodStart: now,
                periodEnd: now + 1,
                plan: "pro",
                currency: "usd",
                baseAmount: 4_900,
                includedQuantity: full ? 100_000 : nil,
                usageQuantity: 150_000,
                overageQuantity: full ? 50 : 0,
                overageUnitAmount: full ? 10 : nil,
                overageAmount: full ? 500 : 0,
                total: 5_400,
                createdAt: now
            )
            pairs.append(try Pair("invoice" + suffix, InvoiceResource(invoice), LegacyInvoiceResource(invoice)))

            let period = QuotaPeriodResource(start: now, end: now + 1, used: 12, quota: full ? 10 : nil, enforced: full)
            let legacyPeriod = LegacyQuotaPeriodResource(start: now, end: now + 1, used: 12, quota: full ? 10 : nil, enforced: full)
            let line = UsageLine(group: .init(periodStart: time, keyID: full ? "key_1" : nil, metric: "requests"), quantity: 4)
            let legacyLine = LegacyUsageLine(group: .init(periodStart: time, keyID: full ? "key_1" : nil, metric: "requests"), quantity: 4)
            pairs.append(
                try Pair(
                    "usage report" + suffix,
                    UsageReport(
                        livemode: full,
                        plan: "pro",
                        groupBy: "day",
                        since: "a",
                        until: "b",
                        data: [line, line],
                        currentPeriod: period,
                        currentDay: full ? period : nil
                    ),
                    LegacyUsageReport(
                        livemode: full,
                        plan: "pro",
                        groupBy: "day",
                        since: "a",
                        until: "b",
                        data: [legacyLine, legacyLine],
                        currentPeriod: legacyPeriod,
                        currentDay: full ? legacyPeriod : nil
                    )
                )
            )
            let crossing = UsageThresholdCrossing(
                organizationId: "org_1",
                livemode: full,
                metric: "requests",
                period: full ? .day : .month,
                periodStart: now,
                periodEnd: now + 1,
                threshold: 80,
                quantity: 80,
                limit: 100
            )
            pairs.append(try Pair("usage threshold" + suffix, UsageThresholdResource(crossing), LegacyUsageThresholdResource(crossing)))

            let ready = ListenReady(endpointId: "we_1", secret: "whsec", livemode: full, enabledEvents: full ? ["a", tricky] : [])
            let legacyReady = LegacyListenReady(endpointId: "we_1", secret: "whsec", livemode: full, enabledEvents: full ? ["a", tricky] : [])
            pairs.append(try Pair("listen ready" + suffix, ready, legacyReady))
            pairs.append(try Pair("listen result" + suffix, ListenResult(deliveryId: "wd_1"), LegacyListenResult(deliveryId: "wd_1")))
            let headers = full ? ["webhook-id": "msg_1", "webhook-signature": "v1,abc=", "Content-Type": "application/json"] : [:]
            pairs.append(
                try Pair(
                    "listener delivery" + suffix,
                    ListenerHub.Delivery(deliveryId: "wd_1", eventType: "a.b", attempt: 2, headers: headers, body: tricky),
                    LegacyListenerDelivery(deliveryId: "wd_1", eventType: "a.b", attempt: 2, headers: headers, body: tricky)
                )
            )
            pairs.append(
                try Pair(
                    "sandbox clock" + suffix,
                    SandboxClockResource(now: RFC3339.string(milliseconds: now), offsetSeconds: full ? -86_400 : 0),
                    LegacySandboxClockResource(now: RFC3339.string(milliseconds: now), offsetSeconds: full ? -86_400 : 0)
                )
            )
            let mail = MailRecord(
                id: "ml_1",
                organizationId: nil,
                kind: "password_reset",
                recipients: "a@example.com, b@example.com",
                subject: tricky,
                body: "",
                at: now
            )
            let content = MailContent(text: "Open https://example.com/reset?t=1 now.\n" + tricky, html: full ? "<p>\(tricky)</p>" : nil)
            let sender = try #require(MailAddress("portico@example.com"))
            pairs.append(
                try Pair(
                    "sandbox email" + suffix,
                    SandboxEmailResource(mail, content: content, from: sender),
                    LegacySandboxEmailResource(mail, content: content, from: sender)
                )
            )
            var error = APIError(.parameterInvalid, tricky, param: full ? "name" : nil)
            error.limit = full ? "key_per_second" : nil
            pairs.append(
                try Pair(
                    "problem" + suffix,
                    ProblemDocument(error, baseURL: "https://api.example.com", requestID: "req_1"),
                    LegacyProblemDocument(error, baseURL: "https://api.example.com", requestID: "req_1")
                )
            )
        }
        return pairs
    }

    @Test func everyResourceIsRenderedAsBefore() throws {
        let pairs = try Self.pairs()
        #expect(pairs.count == 44)  // 22 kinds, each with optionals absent and present
        for pair in pairs {
            #expect(String(buffer: pair.new) == String(decoding: pair.old, as: UTF8.self), "\(pair.name)")
        }
    }

    @Test(arguments: APIVersions.all.map(\.id))
    func everyResourceIsDowngradedAsBefore(version: String) throws {
        let changes = APIVersions.changes(after: version)
        for pair in try Self.pairs() {
            let new = APIVersionMiddleware.downgraded(pair.new, changes: changes).map { String(buffer: $0) } ?? String(buffer: pair.new)
            #expect(new == (try Self.legacyDowngrade(pair.old, changes: changes)), "\(pair.name) on \(version)")
        }
    }

    /// The middleware's downgrade as it was: decode, apply, re-encode with Foundation.
    static func legacyDowngrade(_ data: Data, changes: [any VersionChange]) throws -> String {
        let text = String(decoding: data, as: UTF8.self)
        let relevant = changes.filter { change in change.objects.contains { text.contains("\"object\":\"\($0)\"") } }
        guard !relevant.isEmpty else { return text }
        var value = try JSONDecoder().decode(JSONValue.self, from: data)
        for change in relevant { APIVersionMiddleware.apply(change, to: &value) }
        return String(decoding: try CanonicalJSON.encoder.encode(value), as: UTF8.self)
    }
}
