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
    private let baseURL: BaseURL
    private var responding = false
    private var date = HTTPDate()

    init(phase: ConnectionPhase, maxHeaderBytes: Int, baseURL: BaseURL) {
        self.phase = phase
        self.maxHeaderBytes = maxHeaderBytes
        self.baseURL = baseURL
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
            // Hummingbird's cached value is usually right: rewrite (and copy the fields) only when it trails.
            let now = date.now()
            if head.headerFields[.date] != now {
                head.headerFields[.date] = now
                return context.write(wrapOutboundOut(.head(head)), promise: promise)
            }
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
        let document = ProblemDocument.beforeRouting(
            .requestHeaderFieldsTooLarge,
            "The request's header fields exceed \(maxHeaderBytes) bytes.",
            baseURL: baseURL
        )
        let body = document.body
        let head = HTTPResponse(
            status: .requestHeaderFieldsTooLarge,
            headerFields: [
                .contentType: "application/problem+json", .contentLength: String(body.readableBytes), .connection: "close", .date: date.now(),
                .requestID: document.requestID,
            ]
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
