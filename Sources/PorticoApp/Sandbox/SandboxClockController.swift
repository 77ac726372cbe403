import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// The sandbox clock, so CI can watch retries, dead-lettering and
/// auto-disable happen in seconds instead of days. Only on a `portico
/// sandbox` instance and only for test-mode keys; elsewhere 403 `sandbox_only`.
///
///     GET  /v1/sandbox/clock           webhooks:read   {"object":"sandbox_clock","now":"…","offset_seconds":…}
///     POST /v1/sandbox/clock/advance   webhooks:write  {"seconds": 3600} (1 to 2,592,000 per call)
///
/// The clock only moves forward and moves for the whole instance: retry
/// schedules, rate-limit windows, quotas, request-log partitions. Webhook
/// signatures keep using wall time, which receivers check against their own clock.
struct SandboxClockController: Sendable {
    typealias Context = PorticoRequestContext
    let clock: OffsetClock?
    let afterAdvance: @Sendable () async throws -> Void

    static let maxAdvanceSeconds = 30 * 86_400

    func register(_ routes: APIRoutes) {
        routes.on(.get, "sandbox/clock", scope: .webhooksRead, handler: read)
        routes.on(.post, "sandbox/clock/advance", scope: .webhooksWrite, handler: advance)
    }

    @Sendable func read(_ request: Request, context: Context) async throws -> Response {
        JSONCoding.response(SandboxClockResource(clock: try sandboxClock(context)))
    }

    @Sendable func advance(_ request: Request, context: Context) async throws -> Response {
        let clock = try sandboxClock(context)
        let body = try await RequestBody.decode(request, context: context)
        try body.allowOnly(["seconds"])
        guard let value = body.fields["seconds"] else { throw APIError(.parameterMissing, "seconds is required.", param: "seconds") }
        guard let seconds = value.integer, (1...Self.maxAdvanceSeconds).contains(seconds) else {
            throw APIError.invalid("seconds", "seconds must be an integer from 1 to \(Self.maxAdvanceSeconds) (30 days).")
        }
        clock.advance(by: TimeInterval(seconds))
        // The clock has moved whatever follows: a failure here (a full disk) must not report the advance as undone.
        do {
            try await afterAdvance()
        } catch {
            context.logger.warning("after the sandbox clock moved, partitions or the scheduler could not follow", metadata: ["error": "\(error)"])
        }
        return JSONCoding.response(SandboxClockResource(clock: clock))
    }

    private func sandboxClock(_ context: Context) throws -> OffsetClock {
        guard let clock else { throw APIError(.sandboxOnly, "The sandbox clock exists only on a `portico sandbox` instance.") }
        guard try !context.requirePrincipal().tenant.livemode else {
            throw APIError(.sandboxOnly, "The sandbox clock can only be moved with a test-mode key.")
        }
        return clock
    }
}

struct SandboxClockResource: JSONWritable {
    var now: String
    var offsetSeconds: Int

    init(now: String, offsetSeconds: Int) {
        self.now = now
        self.offsetSeconds = offsetSeconds
    }

    init(clock: OffsetClock) {
        let now = clock.now
        self.init(now: RFC3339.string(milliseconds: now.milliseconds), offsetSeconds: Int(now.timeIntervalSince(Date()).rounded()))
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("now", now)
            json.field("object", "sandbox_clock")
            json.field("offset_seconds", offsetSeconds)
        }
    }
}
