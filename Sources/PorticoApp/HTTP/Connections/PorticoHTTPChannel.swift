import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 child channel with Portico's connection hygiene in
/// front of it: `ConnectionGuard` first on the raw bytes, `HTTPPhaseHandler`
/// after the codec, and parser limits from `ConnectionLimits`. One
/// `ConnectionPhase` per connection ties the two together.
struct PorticoHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let counter: ConnectionCounter
    let baseURL: BaseURL

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let phase = ConnectionPhase()
        do {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuard(limits: limits, counter: counter, phase: phase, baseURL: baseURL),
                position: .first
            )
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http1(phase: phase).setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1(phase: nil).handle(value: value, logger: logger)
    }

    private func http1(phase: ConnectionPhase?) -> HTTP1Channel {
        let maxHeaderBytes = limits.maxHeaderBytes
        let baseURL = baseURL
        // The request line is held to its own, smaller limit by ConnectionGuard; the parser counts it in both of these.
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: maxHeaderBytes,
            maxHeaderListSize: maxHeaderBytes + limits.maxRequestLineBytes,
            maxHeaderFieldCount: 200
        )
        return HTTP1Channel(
            responder: responder,
            configuration: .init(
                additionalChannelHandlers: phase.map { [HTTPPhaseHandler(phase: $0, maxHeaderBytes: maxHeaderBytes, baseURL: baseURL)] } ?? [],
                idleTimeout: nil,
                httpDecoderConfiguration: decoder
            )
        )
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 behind `ConnectionGuard` (see `PorticoHTTPChannel`).
    static func portico(limits: ConnectionLimits, counter: ConnectionCounter, baseURL: BaseURL) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in PorticoHTTPChannel(responder: responder, limits: limits, counter: counter, baseURL: baseURL) }
    }
}
