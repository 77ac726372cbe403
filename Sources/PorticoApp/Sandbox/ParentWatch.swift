import Foundation
import Logging
import ServiceLifecycle

/// Ends a sandbox whose parent process has died (a CI job killed with its
/// runner), so no orphaned instance keeps a port and a temporary folder.
/// Linux re-parents an orphan (to init or a subreaper): the parent's pid
/// changing is the sign. Polled, because prctl(PR_SET_PDEATHSIG) is variadic
/// C that Swift cannot call and fires on the parent *thread's* exit anyway.
public struct ParentWatch: Service {
    let logger: Logger
    let interval: Duration
    let parent: pid_t

    /// `parent`: the parent's pid as read at the very start of the process (later, it may already be gone).
    public init(parent: pid_t, logger: Logger, interval: Duration = .milliseconds(500)) {
        self.parent = parent
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: interval)) != nil else { return }
                if getppid() != parent {
                    logger.notice("the parent process exited; stopping the sandbox", metadata: ["parent": "\(parent)"])
                    kill(getpid(), SIGTERM)
                    return
                }
            }
        }
    }
}
