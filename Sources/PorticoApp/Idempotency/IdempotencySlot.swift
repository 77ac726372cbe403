import Foundation
import PorticoStore
import Synchronization

/// The `Idempotency-Key` of the request being handled, put on the context by
/// `IdempotencyLayer`: it makes the completions a handler hands to its
/// write, and records the response once that write has committed.
final class IdempotencySlot: Sendable {
    let request: IdempotentRequest
    private let faults: FaultInjection
    private let stored = Mutex<IdempotentResponse?>(nil)

    init(request: IdempotentRequest, faults: FaultInjection) {
        self.request = request
        self.faults = faults
    }

    /// The response committed with the request's writes, once they committed.
    var committed: IdempotentResponse? { stored.withLock { $0 } }

    /// A completion that renders the write's value with `render` as a JSON response of `status`.
    func completion<Value: Sendable>(
        status: Int,
        render: @escaping @Sendable (Value) throws -> Data
    ) -> IdempotentCompletion<Value> {
        IdempotentCompletion(
            request: request,
            render: { value in IdempotentResponse(status: status, contentType: "application/json", body: try render(value)) },
            committed: { response in
                self.stored.withLock { $0 = response }
                self.faults.crashIfSet(.afterCommit)
            }
        )
    }
}
