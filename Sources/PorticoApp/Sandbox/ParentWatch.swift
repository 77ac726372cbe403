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
    private let parent = getppid()

    public init(logger: Logger, interval: Duration = .milliseconds(500)) {
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
