import Logging
import PorticoCore
import PorticoStore
import ServiceLifecycle
import Synchronization

/// A quantity of one usage metric a request adds (besides its one `requests`).
struct Meter: Sendable, Hashable, Codable {
    var metric: String
    var quantity: Int64

    init(metric: String, quantity: Int64) {
        self.metric = metric
        self.quantity = quantity
    }

    private enum CodingKeys: String, CodingKey { case metric, quantity }

    /// Spill files written before quantities existed hold bare metric names, each one unit.
    init(from decoder: any Decoder) throws {
        if let metric = try? decoder.singleValueContainer().decode(String.self) {
            self.init(metric: metric, quantity: 1)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(metric: try container.decode(String.self, forKey: .metric), quantity: try container.decode(Int64.self, forKey: .quantity))
    }
}

/// A finished request on its way to the log: the row, and what it meters.
struct PendingLog: Sendable {
    var entry: RequestLogEntry
    /// Metrics to count besides `requests`.
    var meters: [Meter] = []
    var enqueuedAt: ContinuousClock.Instant
    /// The audit row of a call that is audited whatever it did (a platform key's), committed with the log row.
    var audit: AuditEntryRecord? = nil

    /// Whether the request counts as usage: authenticated and not refused by a limit.
    /// Reconciliation (`BillingStore.meteredRequestCounts`) applies the same rule to the log rows.
    var isMetered: Bool { entry.organizationId != nil && entry.status != 429 }
}

/// Takes request-log records off the request path and commits them in
/// batches, together with the usage they add, in one transaction each.
///
/// The request path only appends to an in-memory queue under a lock (no
/// SQLite, no await). The writer commits when `batch_size` records wait or
/// `flush_interval_ms` after the last commit, and drains the queue at
/// shutdown, after the HTTP server has finished its in-flight requests. The
/// queue is bounded: past `queue_capacity` records are dropped and counted
/// (`portico_request_log_dropped_total`), never buffered without limit. A
/// failed commit puts its batch back and is retried on the next tick; what is
/// still uncommitted when the writer stops (a full disk) goes to the
/// `RequestLogSpill` and is committed at the next start.
final class RequestLogWriter: Service, Sendable {
    private struct State {
        var queue: [PendingLog] = []
        /// Taken by a flush but not committed yet; counts against the capacity.
        var inFlight = 0
        var dropped = 0
        var ringer: AsyncStream<Void>.Continuation?
    }

    private let store: any RequestLogStore
    private let metrics: PorticoMetrics
    private let logger: Logger
    private let batchSize: Int
    private let capacity: Int
    private let interval: Duration
    let partitionWidth: Int64
    private let state = Mutex(State())
    private let spill: RequestLogSpill?
    private let failures: ThrottledLog
    /// One flush at a time, so a flush that returns has really committed everything queued before it.
    private let flushing = AsyncGate()

    /// Told of every committed batch (`portico logs tail`).
    let tail = LogTail()

    init(config: PorticoConfig.RequestLogs, store: any RequestLogStore, metrics: PorticoMetrics, logger: Logger, spill: RequestLogSpill? = nil) {
        self.spill = spill
        self.failures = ThrottledLog(logger: logger, message: "request log batch failed; will retry")
        self.store = store
        self.metrics = metrics
        self.logger = logger
        batchSize = config.batchSize
        capacity = config.queueCapacity
        interval = .milliseconds(config.flushIntervalMs)
        partitionWidth = config.partitionWidth
    }

    /// Queues one record; never blocks and never touches the database.
    func enqueue(_ log: PendingLog) {
        let (ringer, dropped) = state.withLock { state -> (AsyncStream<Void>.Continuation?, Bool) in
            guard state.queue.count + state.inFlight < capacity else {
                state.dropped += 1
                return (nil, true)
            }
            state.queue.append(log)
            return (state.queue.count == batchSize ? state.ringer : nil, false)
        }
        if dropped { metrics.logDropped.increment() }
        ringer?.yield()
    }

    /// Records dropped because the queue was full, since start.
    var droppedCount: Int { state.withLock { $0.dropped } }

    /// Records not committed yet: queued, or taken by a flush still in progress.
    var queueDepth: Int { state.withLock { $0.queue.count + $0.inFlight } }

    /// When the oldest record still waiting was logged: how far the writer lags (nil when nothing waits).
    var oldestQueuedAt: Int64? { state.withLock { $0.queue.first?.entry.createdAt } }

    func run() async throws {
        let spillReady = await restoreSpilled()
        let (bell, ringer) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.ringer = ringer }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { [interval] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        ringer.yield()
                    }
                }
                for await _ in bell { await flush() }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            ringer.finish()
        }
        state.withLock { $0.ringer = nil }
        await flush()
        if queueDepth > 0 { spillUnwritten(spillReady: spillReady) }
    }

    /// Commits what the previous run spilled, in one transaction and skipping
    /// records already logged (a crash between that commit and the file's
    /// clearing must not log them twice), then reserves the spill's space for
    /// this run; returns whether the reserve succeeded.
    private func restoreSpilled() async -> Bool {
        guard let spill else { return false }
        guard spill.claim() else {
            logger.warning("every request-log spill file is held by another running instance", metadata: ["path": "\(spill.path)"])
            return false
        }
        let spilled = spill.load()
        if !spilled.isEmpty {
            do {
                let logged = try await store.loggedRequestIDs(spilled.map(\.entry.requestId), width: partitionWidth)
                let missing = spilled.filter { !logged.contains($0.entry.requestId) }
                if !missing.isEmpty {
                    try await store.appendRequestLogs(
                        missing.map(\.entry),
                        usage: Self.usage(of: missing),
                        stats: TrafficSummary.increments(of: missing.lazy.map(\.entry)),
                        routeStats: TrafficSummary.routeIncrements(of: missing.lazy.map(\.entry)),
                        audit: missing.compactMap(\.audit),
                        width: partitionWidth
                    )
                }
                spill.clear()
                logger.notice("committed request logs spilled at the last shutdown", metadata: ["records": "\(missing.count)"])
            } catch {
                // Still in the file: the next start tries again (this run's spill goes after them).
                logger.error("could not commit spilled request logs", metadata: ["records": "\(spilled.count)", "error": "\(error)"])
            }
        }
        let reserved = spill.reserve()
        if !reserved { logger.warning("could not reserve the request-log spill file", metadata: ["path": "\(spill.path)"]) }
        return reserved
    }

    /// The queue could not be committed at shutdown: what fits goes to the spill file; the rest is counted as lost.
    private func spillUnwritten(spillReady: Bool) {
        let unwritten = state.withLock { state in
            defer { state.queue = [] }
            return state.queue
        }
        let spilled = spillReady ? spill?.write(unwritten) ?? 0 : 0
        let lost = unwritten.count - spilled
        if lost > 0 { metrics.logLost.increment(by: Int64(lost)) }
        logger.error(
            "request logs could not be committed at shutdown",
            metadata: ["records": "\(unwritten.count)", "spilled": "\(spilled)", "lost": "\(lost)", "spill": "\(spill?.path ?? "none")"]
        )
    }

    /// Commits everything queued now, one batch of at most `batch_size` per transaction.
    /// Stops at the first failure (the unwritten records go back to the front of the queue).
    ///
    /// The whole queue is taken in one swap and cut into batches here: taking
    /// a batch off the front of a long queue would shift every record behind it.
    func flush() async {
        await flushing.enter()
        defer { flushing.leave() }
        while true {
            let taken = state.withLock { state -> [PendingLog] in
                defer {
                    state.inFlight = state.queue.count
                    state.queue = []
                }
                return state.queue
            }
            guard !taken.isEmpty else { return }
            var start = 0
            while start < taken.count {
                let batch = taken[start..<min(start + batchSize, taken.count)]
                do {
                    try await store.appendRequestLogs(
                        batch.map(\.entry),
                        usage: Self.usage(of: batch),
                        stats: TrafficSummary.increments(of: batch.lazy.map(\.entry)),
                        routeStats: TrafficSummary.routeIncrements(of: batch.lazy.map(\.entry)),
                        audit: batch.compactMap(\.audit),
                        width: partitionWidth
                    )
                } catch {
                    metrics.logWriteFailures.increment()
                    failures.failed(error, count: batch.count)
                    let unwritten = taken[start...]
                    state.withLock { state in
                        state.inFlight = 0
                        let room = max(0, capacity - state.queue.count)
                        state.dropped += unwritten.count - min(room, unwritten.count)
                        state.queue.insert(contentsOf: unwritten.prefix(room), at: 0)
                    }
                    return
                }
                failures.succeeded()
                tail.publish(batch.lazy.map(\.entry))
                start = batch.endIndex
                state.withLock { $0.inFlight = taken.count - start }
                metrics.logBatchSize.record(batch.count)
                metrics.logWriterLag.record(Double((ContinuousClock.now - batch[batch.startIndex].enqueuedAt).nanoseconds) / 1e9)
                metrics.logQueueDepth.record(queueDepth)
            }
        }
    }

    /// The usage a batch adds: `requests` plus route-declared metrics, per tenant, key and hour.
    static func usage(of batch: some Collection<PendingLog>) -> [UsageIncrement: Int64] {
        var usage = RunLengthTally<UsageIncrement>()
        for log in batch where log.isMetered {
            let entry = log.entry
            guard let organization = entry.organizationId, let livemode = entry.livemode else { continue }
            var increment = UsageIncrement(
                organizationId: organization,
                livemode: livemode,
                hourStart: RequestLogPartition.start(of: entry.createdAt, width: 3_600_000),
                metric: UsageMetric.requests,
                keyId: entry.keyId ?? ""
            )
            usage.add(increment)
            for meter in log.meters {
                increment.metric = meter.metric
                usage.add(increment, count: meter.quantity)
            }
        }
        return usage.counts
    }
}

/// A minimal async mutual exclusion: `enter` suspends (without blocking a
/// thread) until the previous holder calls `leave`.
final class AsyncGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func enter() async {
        await withCheckedContinuation { continuation in
            let acquired = state.withLock { state -> Bool in
                if state.held {
                    state.waiters.append(continuation)
                    return false
                }
                state.held = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
