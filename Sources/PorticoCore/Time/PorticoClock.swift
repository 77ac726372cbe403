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
    private let state = Mutex<(offset: TimeInterval, frozenAt: Date?)>((0, nil))

    package init() {}

    package var now: Date { state.withLock { ($0.frozenAt ?? Date()).addingTimeInterval($0.offset) } }

    package func advance(by interval: TimeInterval) {
        state.withLock { $0.offset += max(0, interval) }
    }

    /// Stops real time from moving the clock: from now on only `advance` does. For tests whose
    /// schedule (a webhook retry 5 s later) must not come due while a loaded machine is slow.
    package func freeze() {
        state.withLock { $0.frozenAt = $0.frozenAt ?? Date() }
    }
}

extension Date {
    package var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1_000).rounded(.down)) }

    package init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(milliseconds) / 1_000)
    }
}
