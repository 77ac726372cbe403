import NIOCore
import PorticoStore
import PostgresNIO
import Synchronization

/// Closes the connection of a database operation that has run past its deadline.
///
/// A database that stops answering without closing its connections (a network partition, a
/// host that froze) would hold every statement in flight, and a request or a server's final
/// flush with it, for as long as TCP keeps the dead connection (hours). PostgreSQL's own
/// `statement_timeout` cannot help: the server is what is gone. Closing the connection
/// makes the statement fail at once, and the pool opens another when it next can.
///
/// One sweep a second checks every operation in flight (a lock and a dictionary entry per
/// operation, no task or timer of its own); an operation is closed between its deadline
/// and a second after it.
final class OperationWatchdog: Sendable {
    private struct Watched {
        var deadline: ContinuousClock.Instant
        var connection: PostgresConnection
    }

    /// Operations in flight, and those whose connection this watchdog closed (so their failure
    /// can say why). One lock: a connection is closed only while its operation still holds it.
    private let state = Mutex<(next: UInt64, operations: [UInt64: Watched], expired: Set<UInt64>)>((0, [:], []))

    /// Starts watching an operation on `connection`: if it has not `end`ed `timeout` from now,
    /// its connection is closed under it.
    func begin(_ connection: PostgresConnection, timeout: Duration) -> UInt64 {
        state.withLock { state in
            state.next += 1
            state.operations[state.next] = Watched(deadline: .now + timeout, connection: connection)
            return state.next
        }
    }

    /// Stops watching operation `id`. A failed operation whose deadline closed its connection
    /// throws `StoreError.unavailable` (why it failed); one that succeeded is done, even if the
    /// close came after its last answer.
    func end(_ id: UInt64, failed: Bool) throws {
        let closed = state.withLock { state in
            state.operations[id] = nil
            return state.expired.remove(id) != nil
        }
        if closed, failed {
            throw StoreError.unavailable("the database did not answer in time (database.timeout_seconds); its connection was closed")
        }
    }

    /// Closes the connections of operations past their deadline, once a second, until cancelled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = ContinuousClock.now
            state.withLock { state in
                for (id, operation) in state.operations where operation.deadline <= now {
                    state.operations[id] = nil
                    state.expired.insert(id)
                    // The channel's close, not the async one: it does not wait on a server that is gone.
                    _ = operation.connection.close() as EventLoopFuture<Void>
                }
            }
        }
    }
}
