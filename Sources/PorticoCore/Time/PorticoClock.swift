import Foundation
import Synchronization

/// The wall clock every policy reads, injected so tests and sandboxes can move time.
package protocol PorticoClock: Sendable {
    var now: Date { get }
}

extension PorticoClock {
    /// Milliseconds since the Unix epoch, the store's time unit.
    package var nowMilliseconds: Int64 { now.milliseconds }
}

package struct SystemClock: PorticoClock {
    package init() {}

    package var now: Date { Date() }
}

/// A clock that runs with real time plus an offset that can only move forward
/// (the sandbox's fast-forward and tests' injected time).
package final class OffsetClock: PorticoClock {
    private let offset = Mutex<TimeInterval>(0)

    package init() {}

    package var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    package func advance(by interval: TimeInterval) {
        offset.withLock { $0 += max(0, interval) }
    }
}

extension Date {
    package var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1_000).rounded(.down)) }

    package init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1_000)
    }
}
