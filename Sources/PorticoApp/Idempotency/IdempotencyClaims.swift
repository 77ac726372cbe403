import Foundation
import Synchronization

/// The idempotency keys this process is running a request for right now: a
/// second request with a claimed key gets 409 instead of running beside the
/// first. In memory on purpose: nothing is written before the request's own
/// transaction, so a crash leaves no claim behind to release or time out
/// (and a rival in another process loses at the unique key, rolling back).
final class IdempotencyClaims: Sendable {
    private let held = Mutex<Set<Data>>([])

    /// Claims `lookupHash` (which includes the tenant); false when already held.
    func claim(_ lookupHash: Data) -> Bool {
        held.withLock { $0.insert(lookupHash).inserted }
    }

    func release(_ lookupHash: Data) {
        _ = held.withLock { $0.remove(lookupHash) }
    }
}
