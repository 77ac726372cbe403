import Foundation

/// Runs blocking work (waiting for a child process, reading its pipe) on a
/// thread of its own and awaits it. swift-testing runs async tests on the
/// cooperative pool, which has one thread per core: two here. A test that
/// blocks one of them stalls every other test's awaits for as long, and
/// their bounded waits (an SMTP exchange's deadline, a server's start) run
/// out while nothing of theirs could run. Every blocking wait in the tests
/// goes through here.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

/// `offPool` for work that cannot fail.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
