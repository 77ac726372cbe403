import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `GET /v1/usage` (`usage:read`): the key's organization and mode, per metric,
/// grouped by `key`, `hour`, `day` or `month` (UTC) over `[since, until)`
/// (default: the current month so far), plus the current period against the
/// plan's quotas. `metric` and `key_id` narrow the report.
struct UsageController: Sendable {
    typealias Context = PorticoRequestContext
    let store: any BillingStore
    let billing: BillingService
    let admission: AdmissionControl
    let clock: any PorticoClock

    static let maxRange: Int64 = 366 * 86_400_000

    func register(_ routes: APIRoutes) {
        routes.on(.get, "usage", scope: .usageRead, query: .checkedByHandler, handler: report)
    }

    @Sendable func report(_ request: Request, context: Context) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = request.uri.queryParameters
        try QueryValue.refuseUnknown(query.map { String($0.key) }, allowed: ["group_by", "since", "until", "metric", "key_id"])
        let now = clock.nowMilliseconds
        let month = CivilTime.month(containing: now)
        let groupBy = try QueryValue.choice(query["group_by"].map(String.init), "group_by", ["key", "hour", "day", "month"]) ?? "day"
        let since = try QueryValue.time(query["since"].map(String.init), "since") ?? month.start
        let until = try QueryValue.time(query["until"].map(String.init), "until") ?? now + 1
        guard since < until else { throw APIError.invalid("until", "until must be later than since.") }
        guard until - since <= Self.maxRange else { throw APIError.invalid("since", "The range can span at most 366 days.") }
        let hourFloor = RequestLogPartition.start(of: since, width: 3_600_000)
        let rows = try await store.usage(
            scope: principal.tenant,
            from: hourFloor,
            until: until,
            metric: query["metric"].map(String.init),
            keyId: query["key_id"].map(String.init)
        )

        var totals: [UsageLine.Group: Int64] = [:]
        for row in rows {
            let group: UsageLine.Group
            switch groupBy {
            case "key": group = .init(periodStart: nil, keyID: row.keyId.isEmpty ? nil : row.keyId, metric: row.metric)
            case "hour": group = .init(periodStart: row.hourStart, keyID: nil, metric: row.metric)
            case "month": group = .init(periodStart: CivilTime.month(containing: row.hourStart).start, keyID: nil, metric: row.metric)
            default: group = .init(periodStart: CivilTime.dayStart(row.hourStart), keyID: nil, metric: row.metric)
            }
            totals[group, default: 0] += row.quantity
        }
        let lines = totals.map { UsageLine(group: $0.key, quantity: $0.value) }.sorted {
            ($0.group.periodStart ?? 0, $0.group.keyID ?? "", $0.group.metric) < ($1.group.periodStart ?? 0, $1.group.keyID ?? "", $1.group.metric)
        }

        let plan = admission.plan(for: principal)
        let limits = plan.limits(livemode: principal.livemode)
        let monthUsed = try await store.usageTotal(scope: principal.tenant, metric: UsageMetric.requests, from: month.start, until: month.end)
        var dayPeriod: QuotaPeriodResource?
        if let daily = limits.dailyQuota {
            let dayStart = CivilTime.dayStart(now)
            let used = try await store.usageTotal(scope: principal.tenant, metric: UsageMetric.requests, from: dayStart, until: dayStart + 86_400_000)
            dayPeriod = QuotaPeriodResource(start: dayStart, end: dayStart + 86_400_000, used: used, quota: daily, enforced: true)
        }
        return JSONCoding.response(
            UsageReport(
                livemode: principal.livemode,
                plan: principal.plan,
                groupBy: groupBy,
                since: RFC3339.string(milliseconds: since),
                until: RFC3339.string(milliseconds: until),
                data: lines,
                currentPeriod: QuotaPeriodResource(
                    start: month.start,
                    end: month.end,
                    used: monthUsed,
                    quota: limits.monthlyQuota,
                    enforced: limits.monthlyQuota != nil && plan.monthlyQuotaIsHard(livemode: principal.livemode)
                ),
                currentDay: dayPeriod
            )
        )
    }
}

/// The body of `GET /v1/usage`.
struct UsageReport: JSONWritable {
    var livemode: Bool
    var plan: String
    var groupBy: String
    var since: String
    var until: String
    var data: [UsageLine]
    var currentPeriod: QuotaPeriodResource
    var currentDay: QuotaPeriodResource?

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("current_day")
            if let currentDay { json.value(currentDay) } else { json.null() }
            json.field("current_period", currentPeriod)
            json.key("data")
            json.array(data) { $0.value($1) }
            json.field("group_by", groupBy)
            json.field("livemode", livemode)
            json.field("object", "usage")
            json.field("plan", plan)
            json.field("since", since)
            json.field("until", until)
        }
    }
}

/// One metric's quantity for one period or key.
struct UsageLine: JSONWritable {
    struct Group: Hashable {
        var periodStart: Int64?
        var keyID: String?
        var metric: String
    }

    var group: Group
    var quantity: Int64

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("key_id", group.keyID)
            json.field("metric", group.metric)
            json.field("period_start", time: group.periodStart)
            json.field("quantity", quantity)
        }
    }
}

/// A quota period: requests used against the plan's quota (null = unlimited).
struct QuotaPeriodResource: JSONWritable {
    var start: Int64
    var end: Int64
    var used: Int64
    var quota: Int?
    /// Whether running out refuses requests (false: overage is billed).
    var enforced: Bool

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("enforced", enforced)
            json.field("metric", UsageMetric.requests)
            json.field("period_end", time: end)
            json.field("period_start", time: start)
            json.field("quota", quota)
            json.field("remaining", quota.map { max(0, Int64($0) - used) })
            json.field("used", used)
        }
    }
}
