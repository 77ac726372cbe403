import Foundation
import Synchronization

/// Test-only fault switches: places where a test makes Portico fail on
/// purpose, to check a promise holds when it does (nothing here is reachable
/// unless a test, or `TEST_PORTICO_FAULTS` in the environment, sets it).
///
/// `TEST_PORTICO_FAULTS=after-commit=crash` makes the binary exit at once
/// (status 86, no response, no flush: as a kill -9 would) right after the
/// first idempotent request's transaction commits; `after-commit=fail`
/// answers that request with a 500 after its commit.
final class FaultInjection: Sendable {
    enum Point: String, Sendable {
        /// Between a request's commit and its response.
        case afterCommit = "after-commit"
        /// The webhook dispatcher recording finished attempts (as if the disk were full).
        case recordAttempts = "record-attempts"
        /// The webhook dispatcher reading due deliveries.
        case readDueDeliveries = "read-due-deliveries"
    }

    enum Action: String, Sendable {
        /// Answer 500 (an internal error) from this point.
        case fail
        /// Exit the process at once, as a kill -9 would.
        case crash
    }

    /// The exit status of a `crash` fault.
    static let crashStatus: Int32 = 86

    private let actions: Mutex<[Point: Action]>

    init(_ actions: [Point: Action] = [:]) {
        self.actions = Mutex(actions)
    }

    /// Parses `point=action[,point=action]` (unknown entries are ignored).
    convenience init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var actions: [Point: Action] = [:]
        for entry in (environment["TEST_PORTICO_FAULTS"] ?? "").split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, let point = Point(rawValue: parts[0]), let action = Action(rawValue: parts[1]) {
                actions[point] = action
            }
        }
        self.init(actions)
    }

    func set(_ point: Point, _ action: Action?) {
        actions.withLock { $0[point] = action }
    }

    /// Throws when `point` is set to fail.
    func check(_ point: Point) throws {
        if actions.withLock({ $0[point] }) == .fail { throw InjectedFault(point: point) }
    }

    /// Ends the process when `point` is set to crash.
    func crashIfSet(_ point: Point) {
        if actions.withLock({ $0[point] }) == .crash { _exit(Self.crashStatus) }
    }

    struct InjectedFault: Error, CustomStringConvertible {
        var point: Point
        var description: String { "injected fault at \(point.rawValue)" }
    }
}
