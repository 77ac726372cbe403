import PorticoStore
import Synchronization

/// Collects `last_used_at` in memory; a periodic service writes the batch,
/// so authenticating a request never writes to the database.
final class LastUsedTracker: Sendable {
    private let pending = Mutex<[String: Int64]>([:])

    func touch(_ keyID: String, at milliseconds: Int64) {
        pending.withLock { pending in
            // In place through the dictionary's accessor: one hash of the key id per request.
            Self.raise(&pending[keyID, default: 0], to: milliseconds)
        }
    }

    private static func raise(_ value: inout Int64, to milliseconds: Int64) {
        value = max(value, milliseconds)
    }

    /// Writes and clears what was collected; on failure the batch is kept for the next flush.
    func flush(to store: any KeyStore) async throws {
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
