import Synchronization

/// Open connections of the listener, against `ConnectionLimits.maxConnections`.
final class ConnectionCounter: Sendable {
    private let open = Atomic<Int>(0)

    /// Counts a new connection; false when it is one too many (it is still counted until it closes).
    func opened(limit: Int) -> Bool {
        open.wrappingAdd(1, ordering: .relaxed).newValue <= limit
    }

    func closed() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }
}
