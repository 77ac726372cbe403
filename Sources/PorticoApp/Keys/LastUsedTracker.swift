import PorticoStore
import Synchronization

/// Collects `last_used_at` in memory; a periodic service writes the batch,
/// so authenticating a request never writes to the database.
final class LastUsedTracker: Sendable {
    private let pending = Mutex<[String: Int64]>([:])

    func touch(_ keyID: String, at milliseconds: Int64) {
        pending.withLock { pending in
            if (pending[keyID] ?? 0) < milliseconds { pending[keyID] = milliseconds }
        }
    }

    /// Writes and clears what was collected; on failure the batch is kept for the next flush.
    func flush(to store: Store) async throws {
        let batch = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        do {
            try await store.recordKeyUsage(batch)
        } catch {
            for (id, at) in batch { touch(id, at: at) }
            throw error
        }
    }
}
