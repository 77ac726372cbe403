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
    private var responseDone = false
    private var requestDone = false
    /// Told every change, to re-arm the right timer.
    var onChange: ((Phase) -> Void)?

    func firstBytesOfHead() {
        guard case .awaitingHead = phase else { return }
        move(to: .readingHead)
    }

    func headReceived() {
        requestDone = false
        responseDone = false
        move(to: .readingBody)
    }

    func requestEnded() {
        requestDone = true
        move(to: responseDone ? .awaitingHead(first: false) : .responding)
    }

    /// A response can end before its request (a 413 refusing a body still arriving).
    func responseEnded() {
        responseDone = true
        if requestDone { move(to: .awaitingHead(first: false)) }
    }

    private func move(to next: Phase) {
        guard next != phase else { return }
        phase = next
        onChange?(next)
    }
}
