import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore
import ServiceLifecycle

/// A `text/event-stream` response fed by `events` (already encoded), with a
/// keep-alive comment every `keepAliveInterval` so a client that went away is
/// noticed (its next write fails) and proxies keep the connection open. It
/// ends when the client goes, when `events` finishes, or when the server
/// shuts down gracefully; `onEnd` then runs once, in a task of its own (the
/// request's may be cancelled).
enum EventStreamResponse {
    static let keepAliveInterval = Duration.seconds(5)
    static let contentType = "text/event-stream"

    static func make<Events: AsyncSequence & Sendable>(
        _ events: Events,
        onEnd: @escaping @Sendable () async -> Void
    ) -> Response where Events.Element == String {
        let (lines, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1_024))
        let feeder = Task {
            do {
                for try await event in events { sink.yield(event) }
            } catch {}
            sink.finish()
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: keepAliveInterval)
                sink.yield(ServerSentEvent.keepAlive)
            }
        }
        let body = ResponseBody { writer in
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
            Task { await onEnd() }
            try? await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: body
        )
    }
}
