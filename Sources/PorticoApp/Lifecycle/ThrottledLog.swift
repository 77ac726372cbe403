import Logging
import Synchronization

/// One error that may repeat many times a second (a full disk under every
/// attempt): logged when it first happens, then at most once per
/// `interval` with how many times it happened since, and once more when it
/// stops. A log line per occurrence would fill the very disk that is full.
final class ThrottledLog: Sendable {
    private let logger: Logger
    private let message: Logger.Message
    private let interval: Duration
    private let state = Mutex(State())

    private struct State {
        var lastLogged: ContinuousClock.Instant?
        var suppressed = 0
        var failing = false
    }

    init(logger: Logger, message: Logger.Message, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.message = message
        self.interval = interval
    }

    /// Counts one occurrence (`count` items affected); logs it unless one was logged within `interval`.
    func failed(_ error: any Error, count: Int = 1) {
        let now = ContinuousClock.now
        let repeated: Int? = state.withLock { state in
            state.failing = true
            if let last = state.lastLogged, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state.suppressed = 0 }
            state.lastLogged = now
            return state.suppressed
        }
        guard let repeated else { return }
        logger.error(message, metadata: ["error": "\(error)", "count": "\(count)", "repeated_since_last_log": "\(repeated)"])
    }

    /// The operation succeeded: say so once if it had been failing.
    func succeeded() {
        let suppressed: Int? = state.withLock { state in
            guard state.failing else { return nil }
            defer { state = State() }
            return state.suppressed
        }
        guard let suppressed else { return }
        logger.notice("recovered: \(message)", metadata: ["repeated_since_last_log": "\(suppressed)"])
    }
}
