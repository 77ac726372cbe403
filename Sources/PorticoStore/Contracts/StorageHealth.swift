import Synchronization

/// Whether writes are succeeding, as the last write saw it: set failing by a
/// write that met a storage failure (`StorageFailure`), healthy again by the
/// next write that commits. `/readyz` answers from it (probing with a write
/// of its own while it says failing), so a load balancer stops sending
/// traffic while the disk is full and resumes once space is back.
package final class StorageHealth: Sendable {
    private let failing = Atomic<Bool>(false)

    package init() {}

    package var writesFailing: Bool { failing.load(ordering: .relaxed) }

    func observe(_ error: any Error) {
        if StorageFailure.isStorageFailure(error) { failed() }
    }

    /// A write met a storage failure (the engine decides what counts as one).
    package func failed() { failing.store(true, ordering: .relaxed) }

    package func succeeded() {
        if failing.load(ordering: .relaxed) { failing.store(false, ordering: .relaxed) }
    }
}
