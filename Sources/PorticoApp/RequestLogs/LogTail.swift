import PorticoCore
import Synchronization

/// Request-log rows as they commit, for `portico logs tail`
/// (`GET /v1/request-logs/stream`). The writer publishes each committed
/// batch; with nobody subscribed that costs one atomic load.
///
/// A subscriber sees only its own tenant's rows (organization and mode), as
/// its filter says. A subscriber that cannot keep up loses the oldest rows
/// beyond its buffer, never slowing the writer.
final class LogTail: Sendable {
    struct Filter: Sendable {
        var scope: TenantScope
        var status: Int?
        /// 2, 4 or 5 for `2xx`, `4xx`, `5xx`.
        var statusClass: Int?
        var method: String?
        var pathPrefix: String?

        func matches(_ entry: RequestLogEntry) -> Bool {
            entry.organizationId == scope.organizationId && entry.livemode == scope.livemode
                && status.map { $0 == entry.status } ?? true
                && statusClass.map { $0 == entry.status / 100 } ?? true
                && method.map { $0 == entry.method } ?? true
                && pathPrefix.map { entry.path.hasPrefix($0) } ?? true
        }
    }

    private struct Subscriber {
        var filter: Filter
        var stream: AsyncStream<RequestLogEntry>.Continuation
    }

    static let bufferSize = 1_000
    private let subscribers = Mutex<[Int: Subscriber]>([:])
    private let count = Atomic(0)
    private let nextID = Atomic(0)

    /// Streams one tenant may hold open at once.
    static let maxPerTenant = 16

    /// Rows matching `filter` from now on, until `unsubscribe(id)`; nil when the tenant already holds `maxPerTenant`.
    func subscribe(_ filter: Filter) -> (id: Int, rows: AsyncStream<RequestLogEntry>)? {
        let (rows, continuation) = AsyncStream.makeStream(of: RequestLogEntry.self, bufferingPolicy: .bufferingNewest(Self.bufferSize))
        let id = nextID.add(1, ordering: .relaxed).newValue
        let added = subscribers.withLock { subscribers -> Bool in
            guard subscribers.values.count(where: { $0.filter.scope == filter.scope }) < Self.maxPerTenant else { return false }
            subscribers[id] = Subscriber(filter: filter, stream: continuation)
            return true
        }
        guard added else { return nil }
        count.add(1, ordering: .relaxed)
        return (id, rows)
    }

    func unsubscribe(_ id: Int) {
        guard let subscriber = subscribers.withLock({ $0.removeValue(forKey: id) }) else { return }
        count.subtract(1, ordering: .relaxed)
        subscriber.stream.finish()
    }

    /// A committed batch.
    func publish(_ entries: some Collection<RequestLogEntry>) {
        guard count.load(ordering: .relaxed) > 0, !entries.isEmpty else { return }
        let current = subscribers.withLock { Array($0.values) }
        for subscriber in current {
            for entry in entries where subscriber.filter.matches(entry) { subscriber.stream.yield(entry) }
        }
    }
}
