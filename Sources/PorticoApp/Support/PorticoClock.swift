import Foundation
import Synchronization

/// The wall clock every policy reads, injected so tests and sandboxes can move time.
protocol PorticoClock: Sendable {
    var now: Date { get }
}

extension PorticoClock {
    /// Milliseconds since the Unix epoch, the store's time unit.
    var nowMilliseconds: Int64 { now.milliseconds }
}

struct SystemClock: PorticoClock {
    var now: Date { Date() }
}

/// A clock that runs with real time plus an offset that can only move forward
/// (the sandbox's fast-forward and tests' injected time).
final class OffsetClock: PorticoClock {
    private let offset = Mutex<TimeInterval>(0)

    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    func advance(by interval: TimeInterval) {
        offset.withLock { $0 += max(0, interval) }
    }
}

extension Date {
    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1_000).rounded(.down)) }

    init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1_000)
    }
}
