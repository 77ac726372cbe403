import CoreMetrics
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
        self.factory = factory
    }

    /// Counts one served request and records its latency.
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let series = RequestSeries(route: route, method: method, status: status)
        let (counter, timer) = requestHandles.withLock { handles in
            if let existing = handles[series] { return existing }
            let made = (
                CoreMetrics.Counter(
                    label: "portico_http_requests_total",
                    dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory),
                CoreMetrics.Timer(
                    label: "portico_http_request_duration_seconds", dimensions: [("route", route), ("method", method)],
                    factory: factory)
            )
            handles[series] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// The Prometheus text exposition of every metric.
    func exposition() -> String {
        registry.emitToString()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
