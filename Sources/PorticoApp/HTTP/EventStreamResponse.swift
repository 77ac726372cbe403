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

    /// A stream that says `ready` first, then one event per item of `items` (each made by `event`).
    static func make<Item: Sendable>(
        ready: ServerSentEvent,
        items: AsyncStream<Item>,
        event: @escaping @Sendable (Item) -> ServerSentEvent,
        onEnd: @escaping @Sendable () async -> Void
    ) -> Response {
        let events = AsyncStream<String> { continuation in
            continuation.yield(ready.encoded)
            let forward = Task {
                for await item in items { continuation.yield(event(item).encoded) }
                continuation.finish()
            }
            continuation.onTermination = { _ in forward.cancel() }
        }
        return make(events, onEnd: onEnd)
    }

    /// The same as JSON text for an event's data.
    static func json(_ value: some Encodable) -> String {
        (try? JSONCoding.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

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
