import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Sits after the HTTP codec: tells `ConnectionPhase` when a request's head
/// and end arrive and when a response ends (the guard's timers follow),
/// stamps every response with a `Date` exact to the second (`HTTPDate`), and
/// answers 431 to a header section the parser refused as too large
/// (Hummingbird would answer that with a bare 400).
final class HTTPPhaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let phase: ConnectionPhase
    private let maxHeaderBytes: Int
    private var responding = false
    private var date = HTTPDate()

    init(phase: ConnectionPhase, maxHeaderBytes: Int) {
        self.phase = phase
        self.maxHeaderBytes = maxHeaderBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: phase.headReceived()
        case .end: phase.requestEnded()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            responding = true
            head.headerFields[.date] = date.now()
            return context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            responding = false
            phase.responseEnded()
        case .body: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow, !responding else {
            return context.fireErrorCaught(error)
        }
        let body = ByteBuffer(
            string: #"{"code":"request_header_fields_too_large","detail":"The request's header fields exceed \#(maxHeaderBytes) bytes.","status":431,"title":"Request header fields too large","type":"/docs/errors/request_header_fields_too_large"}"#)
        let head = HTTPResponse(
            status: .requestHeaderFieldsTooLarge,
            headerFields: [
                .contentType: "application/problem+json", .contentLength: String(body.readableBytes), .connection: "close", .date: date.now(),
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
