import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `POST /v1/usage-records` (platform keys only, `usage:write`): usage the
/// team's backend measured after the fact, for the organization named in
/// `Portico-Organization`.
///
///     {"metric": "tokens", "quantity": 1234, "idempotency_key": "job_42", "timestamp": "2026-11-30T10:00:00Z"}
///
/// `metric` must be declared in `gateway.metrics`; `timestamp` (default now,
/// RFC 3339 or Unix seconds) places the usage in its hour, at most 35 days
/// back. The same `idempotency_key` again records nothing and answers with
/// the first record (different values with it: 422).
struct UsageRecordsController: Sendable {
    typealias Context = PorticoRequestContext
    let store: any PlatformStore
    let admission: AdmissionControl
    let gateway: GatewayTable
    let clock: any PorticoClock

    /// How far back a record may be dated (a month and a few days of grace to report it).
    static let maxAge: Int64 = 35 * 86_400_000
    /// How far ahead (clocks differ).
    static let maxSkew: Int64 = 300_000

    func register(_ routes: APIRoutes) {
        routes.on(.post, "usage-records", scope: .usageWrite, platformOnly: true, handler: create)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["metric", "quantity", "idempotency_key", "timestamp"])
        let declared = gateway.definition.metrics
        guard let metric = try body.string("metric", maxLength: 40).value(or: nil) else {
            throw APIError(.parameterMissing, "metric is required.", param: "metric")
        }
        guard declared[metric] != nil else {
            let known = declared.keys.sorted().joined(separator: ", ")
            throw APIError.invalid("metric", "metric must be one declared in gateway.metrics (\(known.isEmpty ? "none are" : known)).")
        }
        guard let quantityValue = body.fields["quantity"] else { throw APIError(.parameterMissing, "quantity is required.", param: "quantity") }
        guard let quantity = quantityValue.integer, (1...1_000_000_000_000).contains(quantity) else {
            throw APIError.invalid("quantity", "quantity must be an integer from 1 to 1000000000000.")
        }
        guard let key = try body.string("idempotency_key", maxLength: 255).value(or: nil), !key.isEmpty else {
            throw APIError(.parameterMissing, "idempotency_key is required (1 to 255 characters).", param: "idempotency_key")
        }
        let now = clock.nowMilliseconds
        let given = try body.time("timestamp")
        let timestamp = given ?? now
        guard timestamp >= now - Self.maxAge, timestamp <= now + Self.maxSkew else {
            throw APIError.invalid("timestamp", "timestamp must be within the last 35 days and not in the future.")
        }
        let record = UsageRecord(
            id: Identifier.make("ur", at: now),
            organizationId: principal.organizationID,
            livemode: principal.livemode,
            metric: metric,
            quantity: Int64(quantity),
            timestamp: timestamp,
            idempotencyKey: key,
            recordedBy: principal.keyID,
            createdAt: now
        )
        let audit = AuditActor(principal, context).entry(
            "usage_record.created",
            organizationID: principal.organizationID,
            targetType: "usage_record",
            targetID: record.id,
            details: ["metric": metric, "quantity": String(quantity)],
            at: now
        )
        var created = false
        let response = try await context.respond { completion in
            let outcome = try await store.recordUsage(record, audit: audit, completing: completion)
            created = outcome.created
            return outcome.record
        } render: { stored in
            // A retry is the same usage: same metric and quantity, and the same time if it named one.
            let sameUsage = stored.metric == record.metric && stored.quantity == record.quantity && (given == nil || stored.timestamp == given)
            guard stored.id == record.id || sameUsage else {
                throw APIError(
                    .idempotencyKeyReused,
                    "Usage was already recorded with idempotency_key '\(key)' and other values; use a new key for new usage."
                )
            }
            return UsageRecordResource(stored)
        }
        if created, CivilTime.month(containing: timestamp).start == CivilTime.month(containing: now).start {
            admission.record([Meter(metric: metric, quantity: Int64(quantity))], for: principal.tenant)
        }
        return response
    }
}

/// A recorded usage quantity, as the API shows it.
struct UsageRecordResource: JSONWritable, Sendable {
    var record: UsageRecord

    init(_ record: UsageRecord) {
        self.record = record
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created", time: record.createdAt)
            json.field("id", record.id)
            json.field("idempotency_key", record.idempotencyKey)
            json.field("livemode", record.livemode)
            json.field("metric", record.metric)
            json.field("object", "usage_record")
            json.field("quantity", record.quantity)
            json.field("timestamp", time: record.timestamp)
        }
    }
}
