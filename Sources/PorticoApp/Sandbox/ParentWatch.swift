import Foundation
import Logging
import ServiceLifecycle

/// Ends a sandbox whose parent process has died (a CI job killed with its
/// runner), so no orphaned instance keeps a port and a temporary folder.
/// Linux re-parents an orphan (to init or a subreaper): the parent's pid
/// changing is the sign. Polled, because prctl(PR_SET_PDEATHSIG) is variadic
/// C that Swift cannot call and fires on the parent *thread's* exit anyway.
///
/// Run it with `runUntilSignalled(…, beside:)`: it *returns* when the parent
/// is gone, and the service group shuts down gracefully on that return. It
/// used to signal its own process instead, which a start with SIGTERM
/// ignored and unblocked (inherited from whoever spawned it) silently drops.
/// Should the graceful shutdown still not end the process, a last-resort
/// timer exits it: an orphan must never outlive its parent for long.
public struct ParentWatch: Service {
    let logger: Logger
    let interval: Duration
    let parent: pid_t
    let exitAfter: Duration

    /// `parent`: the parent's pid as read at the very start of the process (later, it may already be gone).
    /// `exitAfter`: how long a graceful shutdown may take before the process is ended regardless.
    public init(parent: pid_t, logger: Logger, interval: Duration = .milliseconds(500), exitAfter: Duration = .seconds(30)) {
        self.parent = parent
        self.logger = logger
        self.interval = interval
        self.exitAfter = exitAfter
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: interval)) != nil else { return }
                if getppid() != parent {
                    logger.notice("the parent process exited; stopping the sandbox", metadata: ["parent": "\(parent)"])
                    Self.exitUnlessEnded(within: exitAfter, logger: logger)
                    return
                }
            }
        }
    }

    /// A plain thread, not a task: it must fire even if the shutdown it
    /// guards has wedged the cooperative pool.
    private static func exitUnlessEnded(within limit: Duration, logger: Logger) {
        let seconds = Double(limit.nanoseconds) / 1e9
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            logger.error("the sandbox did not stop within \(limit) of its parent exiting; exiting now")
            exit(1)
        }
    }
}
