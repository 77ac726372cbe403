import Logging
import PorticoCore
import PorticoStore
import ServiceLifecycle

/// Runs replay jobs (`POST /v1/webhook-endpoints/{id}/replay`) one at a
/// time, in chunks of `chunk` deliveries per transaction so a large replay
/// never holds the writer for long; progress (`queued`) is visible after
/// each chunk. Jobs left running by a stopped process are resumed at start.
final class WebhookReplayer: Service, Sendable {
    private let store: any WebhookStore
    private let clock: any PorticoClock
    private let logger: Logger
    private let chunk: Int
    private let jobs: AsyncStream<String>
    private let queue: AsyncStream<String>.Continuation

    init(store: any WebhookStore, clock: any PorticoClock, logger: Logger, chunk: Int = 500) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.chunk = chunk
        (jobs, queue) = AsyncStream.makeStream(of: String.self)
    }

    func start(_ id: String) {
        queue.yield(id)
    }

    func run() async throws {
        for job in try await store.runningReplays() { queue.yield(job.id) }
        await withGracefulShutdownHandler {
            for await id in jobs {
                do {
                    var cursor: String?
                    repeat {
                        cursor = try await store.continueReplay(id: id, after: cursor, chunk: chunk, now: clock.nowMilliseconds)
                    } while cursor != nil
                } catch {
                    logger.error("webhook replay failed; it resumes at the next start", metadata: ["replay": "\(id)", "error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            self.queue.finish()
        }
    }
}
