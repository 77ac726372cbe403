/// Where one connection is in its request/response cycle, shared by the
/// byte-level `ConnectionGuard` (which owns the timers) and the HTTP-level
/// `HTTPPhaseHandler` (which sees heads and ends). Both run on the
/// connection's event loop, the only place this object is touched; hence
/// `@unchecked Sendable` (it must cross the pipeline setup's `@Sendable` closure).
final class ConnectionPhase: @unchecked Sendable {
    enum Phase: Equatable {
        /// Between requests: nothing of the next one has arrived. `first` is the connection's first request.
        case awaitingHead(first: Bool)
        /// Some of a request head has arrived, not all.
        case readingHead
        /// The head is in; the body is arriving.
        case readingBody
        /// The request is in; the response is being made or sent.
        case responding
    }

    private(set) var phase = Phase.awaitingHead(first: true)
    /// A request's head is in and its end is not (its body is arriving).
    private var readingRequest = false
    /// Requests whose response has not ended: with pipelining, a second
    /// request can be read while the first is still answered.
    private var owedResponses = 0
    /// Told every change, to re-arm the right timer.
    var onChange: ((Phase) -> Void)?

    func firstBytesOfHead() {
        guard case .awaitingHead = phase else { return }
        move(to: .readingHead)
    }

    func headReceived() {
        readingRequest = true
        owedResponses += 1
        settle()
    }

    func requestEnded() {
        readingRequest = false
        settle()
    }

    /// A response can end before its request (a 413 refusing a body still arriving).
    func responseEnded() {
        owedResponses = max(0, owedResponses - 1)
        settle()
    }

    private func settle() {
        if readingRequest {
            move(to: .readingBody)
        } else if owedResponses > 0 {
            move(to: .responding)
        } else {
            move(to: .awaitingHead(first: false))
        }
    }

    private func move(to next: Phase) {
        guard next != phase else { return }
        phase = next
        onChange?(next)
    }
}
