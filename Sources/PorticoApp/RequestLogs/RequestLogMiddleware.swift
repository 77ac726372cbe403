import HTTPTypes
import Hummingbird
import PorticoCore
import PorticoStore

/// Logs every `/v1` request once its final response exists (401s, 404s and
/// 429s included): it sits outside the gateway and the problem renderer.
/// Hands the record to the batching writer; nothing here waits on SQLite.
///
/// Headers are never logged (so `Authorization` and `Cookie` cannot leak),
/// and a key pasted into the path is stored cut to its prefix and last four;
/// bodies only when the organization turned body capture on, and then redacted.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let writer: RequestLogWriter
    let redactor: BodyRedactor
    let clock: any PorticoClock
    /// Told what each request metered, for the quotas of metrics counted after the fact.
    let admission: AdmissionControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard APIPath.contains(request.uri.path) else { return try await next(request, context) }
        let started = ContinuousClock.now
        var response = try await next(request, context)
        let facts = context.facts
        var responseBody: String?
        if facts.principal?.bodyCapture == true {
            responseBody =
                facts.mayHold(response.headers)
                ? redactor.redact(try await response.collectBody()) : GatewayRoute.notCaptured
        }
        let principal = facts.principal
        let now = clock.nowMilliseconds
        // A platform key's call is the operating team's, not the tenant's: it is logged
        // without the organization (so neither shown to it nor metered) and audited for it.
        let tenant = principal?.isPlatform == true ? nil : principal?.organizationID
        let entry = RequestLogEntry(
            createdAt: now,
            requestId: context.requestID,
            organizationId: tenant,
            livemode: principal?.livemode,
            keyId: principal?.keyID,
            method: request.method.rawValue,
            path: APIKeyFormat.redactingKeys(in: request.uri.path),
            route: context.routeTemplate,
            status: Int(response.status.code),
            durationMicroseconds: (ContinuousClock.now - started).nanoseconds / 1_000,
            ip: (facts.clientIP ?? context.clientIP)?.description,
            userAgent: request.headers[.userAgent].map { String($0.prefix(512)) },
            requestBody: facts.requestBody,
            responseBody: responseBody
        )
        let succeeded = (200..<300).contains(response.status.code)
        let meters = succeeded ? facts.routeMeters + facts.reportedUsage : facts.reportedUsage
        var audit: AuditEntryRecord?
        if let principal, principal.isPlatform {
            audit = AuditActor(principal, context).entry(
                "platform_key.request",
                organizationID: principal.organizationID,
                targetType: "request",
                targetID: context.requestID,
                details: ["method": entry.method, "path": entry.path, "status": String(entry.status)],
                at: now
            )
        }
        let pending = PendingLog(entry: entry, meters: meters, enqueuedAt: .now, audit: audit)
        // The quota counters see exactly what the writer will meter (`PendingLog.isMetered`).
        if pending.isMetered, let principal { admission.record(meters, for: principal.tenant) }
        writer.enqueue(pending)
        return response
    }
}
