import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization

/// The instance's metrics: a private Prometheus registry (so several
/// instances in one test process never share counters) fed through
/// swift-metrics handles.
public final class PorticoMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    private struct RequestSeries: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    /// Handles per series, so the hot path does one dictionary lookup instead of
    /// a registry lookup (with its own lock and label hashing) per metric.
    private let requestHandles = Mutex<[RequestSeries: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        factory.valueHistogramBuckets["portico_request_log_batch_size"] = [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]
        self.factory = factory
        logQueueDepth = CoreMetrics.Gauge(label: "portico_request_log_queue_depth", factory: factory)
        logDropped = CoreMetrics.Counter(label: "portico_request_log_dropped_total", factory: factory)
        logBatchSize = CoreMetrics.Recorder(label: "portico_request_log_batch_size", factory: factory)
        logWriterLag = CoreMetrics.Gauge(label: "portico_request_log_writer_lag_seconds", factory: factory)
        logWriteFailures = CoreMetrics.Counter(label: "portico_request_log_write_failures_total", factory: factory)
        logLost = CoreMetrics.Counter(label: "portico_request_log_lost_total", factory: factory)
        rateLimitBuckets = CoreMetrics.Gauge(label: "portico_rate_limit_buckets", factory: factory)
        rateLimitHits = LabelledCounters(label: "portico_rate_limit_hits_total", dimension: "limit", factory: factory)
        webhookAttempts = LabelledCounters(label: "portico_webhook_attempts_total", dimension: "outcome", factory: factory)
        webhookAttemptDuration = CoreMetrics.Timer(label: "portico_webhook_attempt_duration_seconds", factory: factory)
        webhookDispatchLag = CoreMetrics.Timer(label: "portico_webhook_dispatch_lag_seconds", factory: factory)
        webhookOwed = CoreMetrics.Gauge(label: "portico_webhook_deliveries_owed", factory: factory)
        webhookOldestDueAge = CoreMetrics.Gauge(label: "portico_webhook_oldest_due_age_seconds", factory: factory)
        webhookInFlight = CoreMetrics.Gauge(label: "portico_webhook_attempts_in_flight", factory: factory)
        upstreamFailures = LabelledCounters(label: "portico_gateway_upstream_failures_total", dimension: "outcome", factory: factory)
        usageIgnored = CoreMetrics.Counter(label: "portico_gateway_usage_ignored_total", factory: factory)
        backupLastSuccess = CoreMetrics.Gauge(label: "portico_backup_last_success_timestamp_seconds", factory: factory)
        backupFailures = CoreMetrics.Counter(label: "portico_backup_failures_total", factory: factory)
        retentionDeleted = LabelledCounters(label: "portico_retention_deleted_total", dimension: "kind", factory: factory)
    }

    /// Rows (request-log partitions: partitions) the retention job deleted, by kind.
    let retentionDeleted: LabelledCounters

    // MARK: Scheduled backups

    /// When the newest verified scheduled backup was written (Unix seconds): alert when it is older than `every_hours` allows.
    let backupLastSuccess: CoreMetrics.Gauge
    /// Scheduled backups that failed (the copy, its integrity check or the rename).
    let backupFailures: CoreMetrics.Counter

    // MARK: Gateway

    /// Proxied requests that got no response from their upstream (`unavailable`, `timeout`).
    let upstreamFailures: LabelledCounters
    /// `Portico-Usage` members the gateway did not meter (undeclared metric, not a non-negative integer).
    let usageIgnored: CoreMetrics.Counter

    // MARK: Webhooks

    /// How long each attempt took (connect to last byte read).
    let webhookAttemptDuration: CoreMetrics.Timer
    /// From when a delivery fell due to when its attempt started: the scheduler's own delay.
    let webhookDispatchLag: CoreMetrics.Timer
    /// Deliveries owed an attempt (due now or scheduled for a retry); sampled every few seconds.
    let webhookOwed: CoreMetrics.Gauge
    /// How overdue the most overdue delivery is (0 when none is due); sampled every few seconds.
    let webhookOldestDueAge: CoreMetrics.Gauge
    let webhookInFlight: CoreMetrics.Gauge
    private let webhookAttempts: LabelledCounters

    /// Counts one attempt by outcome: `succeeded`, or its error kind (`http`, `timeout`, `refused`, `dns`, `tls`, `blocked`, `network`).
    func recordWebhookAttempt(outcome: String) {
        webhookAttempts.increment(outcome)
    }

    // MARK: Request-log writer

    /// Records waiting for the writer (set after each batch).
    let logQueueDepth: CoreMetrics.Gauge
    /// Records dropped because the queue was full.
    let logDropped: CoreMetrics.Counter
    /// Records per committed batch (histogram).
    let logBatchSize: CoreMetrics.Recorder
    /// Age of the oldest record of the last batch when it committed: how far logs trail requests.
    let logWriterLag: CoreMetrics.Gauge
    /// Batches that failed to commit (they are retried).
    let logWriteFailures: CoreMetrics.Counter
    /// Records neither committed nor spilled at shutdown (a full disk and a full spill file).
    let logLost: CoreMetrics.Counter

    // MARK: Rate limits

    /// Limiter buckets held in memory.
    let rateLimitBuckets: CoreMetrics.Gauge
    private let rateLimitHits: LabelledCounters

    /// Counts one request refused by the named limit (`key-minute`, `daily-quota`, …).
    func recordRateLimitHit(limit: String) {
        rateLimitHits.increment(limit)
    }

    /// Counts one served request and records its latency.
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let series = RequestSeries(route: route, method: method, status: status)
        let (counter, timer) = requestHandles.withLock { handles in
            if let existing = handles[series] { return existing }
            let made = (
                CoreMetrics.Counter(
                    label: "portico_http_requests_total",
                    dimensions: [("route", route), ("method", method), ("status", String(status))],
                    factory: factory
                ),
                CoreMetrics.Timer(
                    label: "portico_http_request_duration_seconds",
                    dimensions: [("route", route), ("method", method)],
                    factory: factory
                )
            )
            handles[series] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// When this instance started (`process_start_time_seconds`).
    let startedAt = Date()

    /// The Prometheus text exposition of every metric, with help lines, process metrics and build info.
    func exposition() -> String {
        MetricsExposition.render(registry.emitToString(), startedAt: startedAt)
    }
}

/// One counter per value of a single label, created on first use and kept,
/// so counting is a dictionary lookup rather than a registry lookup.
final class LabelledCounters: Sendable {
    private let label: String
    private let dimension: String
    private let factory: PrometheusMetricsFactory
    private let handles = Mutex<[String: CoreMetrics.Counter]>([:])

    init(label: String, dimension: String, factory: PrometheusMetricsFactory) {
        self.label = label
        self.dimension = dimension
        self.factory = factory
    }

    func increment(_ value: String, by amount: Int = 1) {
        let counter = handles.withLock { handles in
            if let existing = handles[value] { return existing }
            let made = CoreMetrics.Counter(label: label, dimensions: [(dimension, value)], factory: factory)
            handles[value] = made
            return made
        }
        counter.increment(by: amount)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
