import Foundation
import PorticoCore
import PorticoStore

/// Request latencies as a log-scale histogram, so hourly aggregates can be
/// summed and percentiles read back without the log rows. Buckets grow by
/// 2^¼ (about 19 %) from 50 µs: bucket 0 is under 50 µs, bucket `i` is
/// [50·2^((i−1)/4), 50·2^(i/4)) µs, and the last one is everything past
/// about 52 s. A percentile is interpolated inside its bucket, so it is
/// within one bucket's width (±10 %) of the exact value.
enum LatencyHistogram {
    static let base = 50.0
    static let lastBucket = 81

    static func bucket(microseconds: Int64) -> Int {
        guard Double(microseconds) >= base else { return 0 }
        return min(lastBucket, Int((4 * log2(Double(microseconds) / base)).rounded(.down)) + 1)
    }

    /// The bucket's bounds in microseconds (the last one's upper bound is its lower bound: no guess past it).
    static func bounds(_ bucket: Int) -> (lower: Double, upper: Double) {
        guard bucket > 0 else { return (0, base) }
        let lower = base * pow(2, Double(bucket - 1) / 4)
        return (lower, bucket >= lastBucket ? lower : base * pow(2, Double(bucket) / 4))
    }

    /// The `quantile` (0.5 for the median) of the counted latencies, in microseconds; nil when nothing was counted.
    static func percentile(_ quantile: Double, counts: [Int: Int64]) -> Double? {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, (quantile * Double(total)).rounded(.up))
        var below = 0.0
        for (bucket, count) in counts.sorted(by: { $0.key < $1.key }) where count > 0 {
            if below + Double(count) >= rank {
                let (lower, upper) = bounds(bucket)
                return lower + (upper - lower) * (rank - below) / Double(count)
            }
            below += Double(count)
        }
        return bounds(counts.keys.max() ?? 0).upper
    }
}

/// What the overview shows about a tenant's traffic over a window, read
/// from `request_stats` (hourly aggregates), never from the log rows.
struct TrafficSummary: Equatable {
    var requests: Int64
    var clientErrors: Int64
    var serverErrors: Int64
    /// Microseconds.
    var p50: Double?
    var p95: Double?
    var p99: Double?

    init(_ counts: [RequestStatCount]) {
        var latency: [Int: Int64] = [:]
        requests = 0
        clientErrors = 0
        serverErrors = 0
        for row in counts {
            requests += row.count
            if row.statusClass == 4 { clientErrors += row.count }
            if row.statusClass >= 5 { serverErrors += row.count }
            latency[row.latencyBucket, default: 0] += row.count
        }
        p50 = LatencyHistogram.percentile(0.50, counts: latency)
        p95 = LatencyHistogram.percentile(0.95, counts: latency)
        p99 = LatencyHistogram.percentile(0.99, counts: latency)
    }

    /// The request statistics a batch of logs adds: tenant requests (401s have no tenant) per hour, class and latency bucket.
    static func increments(of entries: some Sequence<RequestLogEntry>) -> [RequestStatIncrement: Int64] {
        var stats = RunLengthTally<RequestStatIncrement>()
        for entry in entries {
            guard let organization = entry.organizationId, let livemode = entry.livemode else { continue }
            stats.add(
                RequestStatIncrement(
                    organizationId: organization,
                    livemode: livemode,
                    hourStart: entry.createdAt - entry.createdAt % 3_600_000,
                    statusClass: entry.status / 100,
                    latencyBucket: LatencyHistogram.bucket(microseconds: entry.durationMicroseconds)
                )
            )
        }
        return stats.counts
    }

    /// The platform-wide route statistics a batch of logs adds: every request, tenant or not,
    /// per "METHOD route" (requests that matched no route share one line), hour, class and latency bucket.
    static func routeIncrements(of entries: some Sequence<RequestLogEntry>) -> [RouteStatIncrement: Int64] {
        var stats = RunLengthTally<RouteStatIncrement>()
        for entry in entries {
            stats.add(
                RouteStatIncrement(
                    hourStart: entry.createdAt - entry.createdAt % 3_600_000,
                    route: "\(entry.method) \(entry.route ?? Self.unmatched)",
                    statusClass: entry.status / 100,
                    latencyBucket: LatencyHistogram.bucket(microseconds: entry.durationMicroseconds)
                )
            )
        }
        return stats.counts
    }

    /// The route-statistics name of requests that matched no route.
    static let unmatched = "(no route)"
}

/// Counts occurrences of keys, remembering the last one: a batch of log rows
/// is mostly runs of one tenant's and key's requests, and a repeat costs a
/// comparison (of strings that usually share storage) instead of a hash.
struct RunLengthTally<Key: Hashable> {
    private var totals: [Key: Int64] = [:]
    private var last: Key?
    private var run: Int64 = 0

    mutating func add(_ key: Key, count: Int64 = 1) {
        if key == last {
            run += count
            return
        }
        if let last { totals[last, default: 0] += run }
        last = key
        run = count
    }

    var counts: [Key: Int64] {
        var totals = totals
        if let last { totals[last, default: 0] += run }
        return totals
    }
}
