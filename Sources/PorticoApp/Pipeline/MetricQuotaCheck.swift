import Hummingbird
import PorticoCore

/// 429 `quota_exceeded` when the organization has used its plan's monthly
/// quota of the route's metric (`metric_quotas`), checked before the route
/// runs; a refusal gives back what the gateway counted.
struct MetricQuotaCheck: RouteLayer {
    let admission: AdmissionControl

    /// Only routes metering a declared metric: Portico's own (`requests`, `key_verifications`) have no metric quota.
    func applies(to route: RouteSpec) -> Bool {
        route.meter.map { !UsageMetric.reserved.contains($0.metric) } ?? false
    }

    func handle(_ request: Request, context: Context, route: RouteSpec, next: Handler) async throws -> Response {
        guard let meter = route.meter else { return try await next(request, context) }
        let principal = try context.requirePrincipal()
        let facts = context.facts
        // Moved out of the shared box while the ledger awaits, as the gateway does.
        var limits = facts.limits
        facts.limits = []
        let allowed = try await admission.admit(principal, metric: meter.metric, into: &limits)
        facts.limits = limits
        guard allowed else {
            if let counted = facts.admission { admission.refund(counted, for: principal) }
            throw admission.refusal(limits, principal: principal)!
        }
        return try await next(request, context)
    }
}
