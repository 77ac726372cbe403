import Logging
import PorticoCore
import ServiceLifecycle

/// On PostgreSQL: gives back, every 250 ms, the shared rate-limit reservations a past
/// second left unspent, and at shutdown everything this instance still holds, so a
/// deploy does not keep part of a quota reserved for the rest of its period (`ClusterLimiter`);
/// and sends the usage of metrics with quotas this instance measured, reading back what all
/// of them measured (`ClusterUsage`).
struct SharedLimitsService: Service {
    let limiter: ClusterLimiter
    let usage: ClusterUsage?
    let clock: any PorticoClock
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .milliseconds(250))
                } catch {
                    return
                }
                await settle(final: false)
            }
        }
        await settle(final: true)
    }

    private func settle(final: Bool) async {
        do {
            try await limiter.settle(now: clock.nowMilliseconds, final: final)
        } catch {
            logger.warning("shared rate-limit reservations not given back yet", metadata: ["error": "\(error)"])
        }
        do {
            try await usage?.settle(now: clock.nowMilliseconds)
        } catch {
            logger.warning("metered usage not shared yet", metadata: ["error": "\(error)"])
        }
    }
}
