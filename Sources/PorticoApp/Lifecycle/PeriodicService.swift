import Logging
import ServiceLifecycle

/// Runs `work` every `interval` until graceful shutdown (first at start when
/// `runAtStart`), then once more if `runOnShutdown` (so batched state such as
/// `last_used_at` is not lost).
struct PeriodicService: Service {
    let name: String
    let interval: Duration
    var runAtStart = false
    let runOnShutdown: Bool
    let logger: Logger
    let work: @Sendable () async throws -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            if runAtStart { await runOnce() }
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                await runOnce()
            }
        }
        if runOnShutdown { await runOnce() }
    }

    private func runOnce() async {
        do {
            try await work()
        } catch {
            logger.warning("periodic task failed", metadata: ["task": "\(name)", "error": "\(error)"])
        }
    }
}
