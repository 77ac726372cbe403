import CoreMetrics
import Foundation
import Logging
import NIOCore
import PorticoCore
import PorticoStore
import ServiceLifecycle
import Synchronization

/// Sends due webhook deliveries: a Service that sleeps until the earliest
/// due delivery (by the injected clock) and is woken early when a commit
/// queues new ones, an attempt finishes, or the sandbox clock moves.
///
/// At most `webhooks.max_concurrency` requests are in flight at once, and at
/// most `webhooks.per_endpoint_concurrency` per endpoint: the due query skips
/// endpoints already at their limit, so a slow or dead endpoint's backlog
/// waits without holding up anyone else's. An endpoint's slot frees as soon
/// as its response is in; the delivery itself stays claimed until the
/// attempt's record commits (so the next request to that endpoint does not
/// wait for the disk). Delivery is at least once: an
/// attempt is recorded after it ends, so one cut short by a crash is simply
/// made again on the next start (same `webhook-id`, the event id).
///
/// When an attempt's outcome cannot be recorded (a full disk, an I/O error),
/// the outcome is kept and recording is retried after a growing pause; its
/// delivery stays claimed meanwhile, so it is never sent again at once, and
/// once an endpoint's claims are all waiting to be recorded nothing more is
/// sent to it. Whatever fails, an endpoint gets at most its concurrency's
/// worth of requests per recording retry, and the error is logged once per
/// interval with a count rather than once per attempt.
final class WebhookDispatcher: Service, Sendable {
    private let store: any WebhookStore
    private let clock: any PorticoClock
    private let client: WebhookClient
    private let policy: AddressPolicy
    private let retry: RetryPolicy
    private let bookkeeping: DeliveryBookkeeping
    /// `portico listen` connections, which take the deliveries of their endpoints.
    private let listeners: ListenerHub
    /// The delivery timeout, which a simulated slow receiver (`fail.portico.test/slow`) uses up.
    private let timeout: Duration
    private let maxConcurrency: Int
    private let perEndpoint: Int
    /// Claims an endpoint may hold: `perEndpoint` being sent plus as many sent and waiting for their record.
    private var maxClaimedPerEndpoint: Int { 2 * perEndpoint }
    private let metrics: PorticoMetrics
    private let logger: Logger
    private let inFlight = Mutex(InFlight())
    /// Finished attempts waiting to be recorded, and the signal that wakes the recorder.
    private let finished = Mutex<[(outcome: AttemptOutcome, job: DeliveryJob)]>([])
    private let recorderWake = WakeSignal()
    private let parsed = ParsedEndpointCache()
    private let stopping = Atomic<Bool>(false)
    private let faults: FaultInjection
    /// Opens the endpoints' sealed signing secrets.
    private let secrets: SecretBox
    private let recordErrors: ThrottledLog
    private let readErrors: ThrottledLog

    private struct InFlight {
        /// Claimed deliveries: being sent, or sent and waiting for their record to commit.
        var deliveries: Set<String> = []
        /// Claimed deliveries per endpoint (sending or unrecorded).
        var claimedPerEndpoint: [String: Int] = [:]
        /// Requests in flight, in all and per endpoint: what the concurrency limits bound.
        var sending = 0
        var sendingPerEndpoint: [String: Int] = [:]
        /// Bumped after every recorder commit.
        var generation = 0
        /// Deliveries released after a commit, with the generation it made. A
        /// scheduling pass whose read snapshot may predate that commit (it began
        /// at an older generation) still sees them as due and must skip them.
        var recentlyRecorded: [String: Int] = [:]
        /// Deliveries whose outcome could not be recorded for a reason other than
        /// storage (a bug, a constraint): released, but not sent again before this time.
        var coolingUntil: [String: Int64] = [:]

        mutating func endSending(_ endpointId: String) {
            sending -= 1
            Self.decrement(&sendingPerEndpoint, endpointId)
        }

        /// Counts down, dropping the key at zero so idle endpoints leave no entries.
        static func decrement(_ counts: inout [String: Int], _ key: String) {
            counts[key, default: 1] -= 1
            if counts[key] == 0 { counts[key] = nil }
        }
    }

    /// How long attempts in flight may run on after shutdown begins.
    static let drainTime = Duration.seconds(5)

    /// Fired to make the scheduler look again (new work, a finished attempt, a moved clock).
    var wake: WakeSignal { store.deliveriesQueued }

    init(
        store: any WebhookStore,
        clock: any PorticoClock,
        client: WebhookClient,
        policy: AddressPolicy,
        settings: PorticoConfig.Webhooks,
        retry: RetryPolicy = .standard,
        metrics: PorticoMetrics,
        logger: Logger,
        faults: FaultInjection = FaultInjection([:]),
        secrets: SecretBox,
        listeners: ListenerHub = ListenerHub()
    ) {
        self.secrets = secrets
        self.listeners = listeners
        self.store = store
        self.clock = clock
        self.client = client
        self.policy = policy
        self.retry = retry
        self.bookkeeping = DeliveryBookkeeping(
            autoDisableAfterMilliseconds: Int64(settings.autoDisableAfterHours) * 3_600_000,
            maxAttempts: retry.maxAttempts
        )
        self.timeout = .seconds(settings.timeoutSeconds)
        self.maxConcurrency = settings.maxConcurrency
        self.perEndpoint = settings.perEndpointConcurrency
        self.metrics = metrics
        self.logger = logger
        self.faults = faults
        self.recordErrors = ThrottledLog(logger: logger, message: "could not record webhook attempts; retrying with backoff")
        self.readErrors = ThrottledLog(logger: logger, message: "webhook scheduler could not read due deliveries")
    }

    /// Failures of a kind other than storage after which a batch of outcomes is given up.
    static let maxRecordRetries = 5

    /// The pause before recording attempts again after `failures` failures in a row: 250 ms doubling, at most 30 s.
    static func recordBackoff(afterFailures failures: Int) -> Duration {
        .milliseconds(min(250 << min(failures - 1, 10), 30_000))
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.recordFinishedAttempts() }
                // Cancelled (another service failed, the listener could not bind): stop at once, no drain.
                while !stopping.load(ordering: .relaxed), !Task.isCancelled {
                    await wake.wait(timeout: await dispatchDue(into: &group))
                }
                // Shutting down: attempts in flight get `drainTime` to finish; the rest
                // are cancelled unrecorded, so they are still due at the next start.
                let deadline = ContinuousClock.now + Self.drainTime
                while !inFlight.withLock({ $0.deliveries.isEmpty }), ContinuousClock.now < deadline, !Task.isCancelled {
                    await wake.wait(timeout: deadline - ContinuousClock.now)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wake.fire()
        }
    }

    /// Starts attempts for what is due; returns how long to sleep before
    /// looking again (until the next retry falls due, unless woken).
    private func dispatchDue(into group: inout DiscardingTaskGroup) async -> Duration {
        let now = clock.nowMilliseconds
        let (busyEndpoints, free, generation) = inFlight.withLock { state in
            // Commits before this point are visible to the read below; forget them.
            let generation = state.generation
            state.recentlyRecorded = state.recentlyRecorded.filter { $0.value > generation }
            if !state.coolingUntil.isEmpty { state.coolingUntil = state.coolingUntil.filter { $0.value > now } }
            var busy = Set(state.sendingPerEndpoint.filter { $0.value >= perEndpoint }.keys)
            busy.formUnion(state.claimedPerEndpoint.filter { $0.value >= maxClaimedPerEndpoint }.keys)
            // Unrecorded claims are bounded globally too, at as many again as may be sent.
            return (busy, min(maxConcurrency - state.sending, 2 * maxConcurrency - state.deliveries.count), generation)
        }
        let idle = Duration.seconds(60)
        guard free > 0 else { return idle }  // a finishing attempt wakes us
        do {
            // Claimed deliveries are still due until recorded, so reading `maxClaimedPerEndpoint`
            // due rows per endpoint finds every one that is free to send.
            try faults.check(.readDueDeliveries)
            let work = try await store.claimDueWork(
                now: now,
                excludingEndpoints: busyEndpoints,
                listeners: listeners.openEndpointIDs,
                perEndpoint: maxClaimedPerEndpoint
            ) { due in
                self.inFlight.withLock { state in
                    var claimed: [String] = []
                    for item in due
                    where !state.deliveries.contains(item.id) && (state.recentlyRecorded[item.id] ?? 0) <= generation
                        && state.coolingUntil[item.id] == nil
                    {
                        guard state.sending < self.maxConcurrency, state.sendingPerEndpoint[item.endpointId, default: 0] < self.perEndpoint,
                            state.claimedPerEndpoint[item.endpointId, default: 0] < self.maxClaimedPerEndpoint
                        else { continue }
                        state.sending += 1
                        state.sendingPerEndpoint[item.endpointId, default: 0] += 1
                        state.claimedPerEndpoint[item.endpointId, default: 0] += 1
                        state.deliveries.insert(item.id)
                        claimed.append(item.id)
                    }
                    return claimed
                }
            }
            for item in work.claimedButGone { release(item.id, endpointId: item.endpointId, sending: true) }
            for job in work.jobs {
                group.addTask { await self.attempt(job) }
            }
            readErrors.succeeded()
            metrics.webhookInFlight.record(inFlight.withLock { $0.sending })
            // Whatever is still due waits for a free slot; a finished request or a recorded attempt wakes us.
            guard let next = work.nextDueAt else { return idle }
            return .milliseconds(min(max(next - clock.nowMilliseconds, 1), 60_000))
        } catch {
            readErrors.failed(error)
            return .seconds(1)
        }
    }

    /// Frees the request slot of a claimed delivery: its response is in.
    private func sent(endpointId: String) {
        inFlight.withLock { $0.endSending(endpointId) }
    }

    /// Gives up the claim on a delivery (recorded, or left due for the next pass);
    /// `sending` when its request slot is still held too (it was never sent).
    private func release(_ id: String, endpointId: String, sending: Bool = false) {
        inFlight.withLock { state in
            if sending { state.endSending(endpointId) }
            state.deliveries.remove(id)
            InFlight.decrement(&state.claimedPerEndpoint, endpointId)
        }
    }

    /// Records finished attempts as they come, each batch in one transaction
    /// (group commit: whatever finished while the previous commit ran), then
    /// frees their slots. A claim is only released once its attempt is
    /// recorded, so a delivery is never picked again while its row still
    /// says it is due. A batch that cannot be recorded is kept and tried
    /// again after `recordBackoff`, its claims still held, for as long as the
    /// storage fails (a full disk ends); after `maxRecordRetries` failures of
    /// another kind (a bug would repeat for ever) it is given up: its claims
    /// are released and its deliveries wait out the backoff cap before they are
    /// sent again. Runs until cancelled at the end of shutdown, then tries once
    /// more: what is still unrecorded stays due and is sent again at the next
    /// start (at least once).
    private func recordFinishedAttempts() async {
        var failures = 0
        while true {
            let cancelled = Task.isCancelled
            let batch = finished.withLock { finished in
                defer { finished.removeAll(keepingCapacity: true) }
                return finished
            }
            if !batch.isEmpty {
                do {
                    try faults.check(.recordAttempts)
                    try await store.recordAttempts(batch.map(\.outcome))
                    failures = 0
                    recordErrors.succeeded()
                } catch {
                    failures += 1
                    recordErrors.failed(error, count: batch.count)
                    let storage = StorageFailure.isStorageFailure(error) || error is FaultInjection.InjectedFault
                    if storage || failures < Self.maxRecordRetries {
                        finished.withLock { $0.insert(contentsOf: batch, at: 0) }
                        if cancelled { return }
                        try? await Task.sleep(for: Self.recordBackoff(afterFailures: failures))
                        continue
                    }
                    failures = 0
                    let until = clock.nowMilliseconds + Int64(Self.recordBackoff(afterFailures: .max).components.seconds) * 1_000
                    inFlight.withLock { state in
                        for item in batch { state.coolingUntil[item.job.delivery.id] = until }
                    }
                }
                inFlight.withLock { state in
                    state.generation += 1
                    for item in batch { state.recentlyRecorded[item.job.delivery.id] = state.generation }
                }
                for item in batch { release(item.job.delivery.id, endpointId: item.job.endpoint.id) }
                wake.fire()
            }
            if cancelled { return }
            await recorderWake.wait()
        }
    }

    /// One attempt: resolve and check the address, sign, send; the result goes to the recorder.
    private func attempt(_ job: DeliveryJob) async {
        let attemptedAt = clock.nowMilliseconds
        if let due = job.delivery.nextAttemptAt { metrics.webhookDispatchLag.recordMilliseconds(max(0, attemptedAt - due)) }
        let started = ContinuousClock.now
        let outcome = await send(job, at: attemptedAt)
        sent(endpointId: job.endpoint.id)
        // Cut short by shutdown: not an outcome of the receiver's, so not recorded; still due.
        if Task.isCancelled {
            release(job.delivery.id, endpointId: job.endpoint.id)
            return
        }
        let duration = ContinuousClock.now - started
        metrics.webhookAttemptDuration.recordNanoseconds(duration.nanoseconds)

        var random = SystemRandomNumberGenerator()
        let record: WebhookAttemptRecord
        let decision: RetryPolicy.Decision
        switch outcome {
        case .response(let status, let retryAfter, let excerpt):
            decision = retry.decide(attempt: job.delivery.attemptCount + 1, status: status, retryAfterSeconds: retryAfter, random: &random)
            record = WebhookAttemptRecord(
                deliveryId: job.delivery.id,
                attemptedAt: attemptedAt,
                durationMs: duration.nanoseconds / 1_000_000,
                statusCode: status,
                errorKind: (200..<300).contains(status) ? nil : .http,
                responseExcerpt: excerpt.isEmpty ? nil : excerpt
            )
            metrics.recordWebhookAttempt(outcome: (200..<300).contains(status) ? "succeeded" : "http")
        case .failure(let kind, let message):
            decision = retry.decide(attempt: job.delivery.attemptCount + 1, status: nil, random: &random)
            record = WebhookAttemptRecord(
                deliveryId: job.delivery.id,
                attemptedAt: attemptedAt,
                durationMs: duration.nanoseconds / 1_000_000,
                statusCode: nil,
                errorKind: kind,
                responseExcerpt: message
            )
            metrics.recordWebhookAttempt(outcome: kind.rawValue)
        }
        let result = DeliveryBookkeeping.Result(decision: decision, attemptedAt: attemptedAt, statusCode: record.statusCode)
        let eventType = job.event.type
        let outcomeRecord = AttemptOutcome(attempt: record) { [bookkeeping] delivery, endpoint in
            bookkeeping.apply(result, eventType: eventType, to: &delivery, endpoint: &endpoint).compactMap { $0.event(at: attemptedAt) }
        }
        finished.withLock { $0.append((outcomeRecord, job)) }
        recorderWake.fire()
        wake.fire()  // a request slot is free
    }

    /// Resolves the endpoint's host, checks every address, and POSTs the
    /// signed event to the first one (never to an unchecked address).
    private func send(_ job: DeliveryJob, at now: Int64) async -> WebhookClient.Outcome {
        let url: WebhookURL
        do {
            url = try parsed.url(job.endpoint.url)
        } catch {
            return .failure(.blocked, error.message)
        }
        if !job.endpoint.livemode, let simulated = try? SimulatedReceiver(url) { return await simulate(simulated) }
        if url.hostName == ListenerHub.host {
            let (headers, body) = signed(job, at: now)
            let delivery = ListenerHub.Delivery(
                deliveryId: job.delivery.id,
                eventType: job.event.type,
                attempt: job.delivery.attemptCount + 1,
                headers: Dictionary(headers, uniquingKeysWith: { first, _ in first }),
                body: String(buffer: body)
            )
            return await listeners.deliver(delivery, endpointID: job.endpoint.id, timeout: timeout)
        }
        let addresses: [RawAddress]
        do {
            addresses = try await WebhookTarget.resolve(url, policy: policy)
        } catch {
            switch error {
            case .dns: return .failure(.dns, error.message)
            case .blocked: return .failure(.blocked, error.message)
            }
        }
        guard let address = addresses.first, let socket = try? address.socketAddress(port: url.port) else {
            return .failure(.dns, "The host \(url.hostName) has no usable address.")
        }
        let (headers, body) = signed(job, at: now)
        return await client.post(WebhookClient.Target(address: socket, url: url), headers: headers, body: body)
    }

    /// The event's body and its Standard Webhooks headers, signed with every current secret of the endpoint.
    private func signed(_ job: DeliveryJob, at now: Int64) -> (headers: [(String, String)], body: ByteBuffer) {
        let body = EventResource.body(job.event)
        // The timestamp is wall time, whatever the (sandbox) clock says: receivers compare it with their own clock.
        let timestamp = Int64(Date().timeIntervalSince1970)
        let secrets = job.endpoint.signingSecrets(at: now).compactMap { try? self.secrets.open($0, for: job.endpoint.id) }.compactMap(parsed.secret)
        let headers = [
            ("webhook-id", job.event.id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", WebhookSignature.header(id: job.event.id, timestamp: timestamp, body: body.readableBytesView, secrets: secrets)),
        ]
        return (headers, body)
    }

    /// A test-mode delivery to `fail.portico.test`: nothing is sent, the outcome is what the path names.
    private func simulate(_ receiver: SimulatedReceiver) async -> WebhookClient.Outcome {
        let origin = "(simulated by \(SimulatedReceiver.host)\(receiver.rawValue))"
        switch receiver {
        case .ok:
            return .response(status: 200, retryAfterSeconds: nil, excerpt: "ok")
        case .timeout:
            return .failure(.timeout, "The receiver did not answer within the timeout \(origin).")
        case .serverError:
            return .response(status: 500, retryAfterSeconds: nil, excerpt: #"{"error":"internal server error"}"#)
        case .gone:
            return .response(status: 410, retryAfterSeconds: nil, excerpt: #"{"error":"gone"}"#)
        case .tls:
            return .failure(.tls, "The TLS handshake failed: the certificate is not valid for \(SimulatedReceiver.host) \(origin).")
        case .refused:
            return .failure(.refused, "The connection was refused \(origin).")
        case .slow:
            try? await Task.sleep(for: timeout)
            return .failure(.timeout, "The receiver accepted the connection but sent no complete response within the timeout \(origin).")
        }
    }
}

/// Endpoint URLs and secrets as parsed values, kept so an attempt does not
/// parse the same text again (bounded: cleared when it grows past `capacity`).
final class ParsedEndpointCache: Sendable {
    private let urls = Mutex<[String: WebhookURL]>([:])
    private let secrets = Mutex<[String: WebhookSecret]>([:])
    private let capacity = 4_096

    func url(_ text: String) throws(WebhookURLError) -> WebhookURL {
        if let cached = urls.withLock({ $0[text] }) { return cached }
        let parsed = try WebhookURL.parse(text)
        urls.withLock { urls in
            if urls.count >= capacity { urls.removeAll() }
            urls[text] = parsed
        }
        return parsed
    }

    func secret(_ text: String) -> WebhookSecret? {
        if let cached = secrets.withLock({ $0[text] }) { return cached }
        guard let parsed = WebhookSecret(text: text) else { return nil }
        secrets.withLock { secrets in
            if secrets.count >= capacity { secrets.removeAll() }
            secrets[text] = parsed
        }
        return parsed
    }
}

extension RawAddress {
    func socketAddress(port: Int) throws -> SocketAddress {
        switch self {
        case .v4(let bytes), .v6(let bytes): try SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: port)
        }
    }
}

extension CoreMetrics.Timer {
    func recordMilliseconds(_ milliseconds: Int64) { recordNanoseconds(milliseconds * 1_000_000) }
}
