import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's HTTP/1.1 child channel with Portico's connection hygiene in
/// front of it: `ConnectionGuard` first on the raw bytes, `HTTPPhaseHandler`
/// after the codec, and parser limits from `ConnectionLimits`. One
/// `ConnectionPhase` per connection ties the two together. With `tls`, TLS
/// comes before all of it, so the guard's limits and timeouts count the
/// decrypted bytes and a handshake that never finishes is closed by them too.
struct PorticoHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let counter: ConnectionCounter
    let baseURL: BaseURL
    let tls: ServerTLS?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let phase = ConnectionPhase()
        do {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuard(limits: limits, counter: counter, phase: phase, baseURL: baseURL),
                position: .first
            )
            if let tls {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current), position: .first)
            }
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
    /// HTTP/1.1 behind `ConnectionGuard`, over TLS when `tls` is given (see `PorticoHTTPChannel`).
    static func portico(limits: ConnectionLimits, counter: ConnectionCounter, baseURL: BaseURL, tls: ServerTLS?) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            PorticoHTTPChannel(responder: responder, limits: limits, counter: counter, baseURL: baseURL, tls: tls)
        }
    }
}
