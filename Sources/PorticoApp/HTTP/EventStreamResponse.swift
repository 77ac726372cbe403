import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore
import ServiceLifecycle
import Synchronization

/// A `text/event-stream` response: a `ready` event, then one event per item
/// of `items`, with a keep-alive comment every `keepAliveInterval` so a
/// client that went away is noticed (its next write fails) and proxies keep
/// the connection open. It ends when the client goes, when `items` finishes,
/// or when the server shuts down gracefully.
///
/// `onEnd` runs exactly once, in a task of its own: when the stream ends, or
/// when the response is dropped without its body ever running (a client that
/// hung up while the handler was still working), so nothing opened for the
/// stream is left behind. Every task of the stream starts with its body.
enum EventStreamResponse {
    static let keepAliveInterval = Duration.seconds(5)
    static let contentType = "text/event-stream"

    static func make<Item: Sendable>(
        ready: ServerSentEvent,
        items: AsyncStream<Item>,
        event: @escaping @Sendable (Item) -> ServerSentEvent,
        onEnd: @escaping @Sendable () async -> Void
    ) -> Response {
        let ending = StreamEnding(onEnd)
        let body = ResponseBody { writer in
            let (lines, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1_024))
            sink.yield(ready.encoded)
            let feeder = Task {
                for await item in items { sink.yield(event(item).encoded) }
                sink.finish()
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: keepAliveInterval)
                    sink.yield(ServerSentEvent.keepAlive)
                }
            }
            await withGracefulShutdownHandler {
                do {
                    for await text in lines { try await writer.write(ByteBuffer(string: text)) }
                } catch {
                    // The client went away.
                }
            } onGracefulShutdown: {
                sink.finish()
            }
            feeder.cancel()
            ticker.cancel()
            ending.run()
            try? await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body
        )
    }

}

/// Runs a stream's clean-up once: from the body's end, or from `deinit` when
/// the response (and with it the body closure holding this) is dropped unsent.
private final class StreamEnding: Sendable {
    private let onEnd: @Sendable () async -> Void
    private let done = Atomic(false)

    init(_ onEnd: @escaping @Sendable () async -> Void) {
        self.onEnd = onEnd
    }

    func run() {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Task { [onEnd] in await onEnd() }
    }

    deinit { run() }
}
