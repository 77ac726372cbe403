import NIOCore

/// The first handler of every connection, on raw bytes: it closes a
/// connection beyond `maxConnections` at once, closes one that idles
/// between requests, dawdles over a request head or a body past its
/// timeout, and answers 414 to a request line longer than the limit before
/// the HTTP parser buffers it. Hostile clients (nothing sent, half a request
/// line, headers and no body) can no longer hold a descriptor for ever.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: ConnectionLimits
    private let counter: ConnectionCounter
    private let phase: ConnectionPhase
    private var counted = false
    private var timer: Scheduled<Void>?
    /// Bytes of the current request line seen so far; nil once its end has arrived.
    private var requestLineBytes: Int? = 0

    init(limits: ConnectionLimits, counter: ConnectionCounter, phase: ConnectionPhase) {
        self.limits = limits
        self.counter = counter
        self.phase = phase
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        guard counter.opened(limit: limits.maxConnections) else {
            context.close(promise: nil)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        phase.onChange = { next in
            let (handler, context) = loopBound.value
            handler.arm(for: next, context: context)
        }
        arm(for: phase.phase, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    private func release() {
        timer?.cancel()
        timer = nil
        phase.onChange = nil
        if counted {
            counted = false
            counter.closed()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if case .awaitingHead = phase.phase, buffer.readableBytes > 0 {
            requestLineBytes = 0
            phase.firstBytesOfHead()
        }
        if phase.phase == .readingHead, let seen = requestLineBytes {
            if let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                requestLineBytes = nil
                if seen + (newline - buffer.readerIndex) > limits.maxRequestLineBytes { return refuseLongTarget(context) }
            } else {
                requestLineBytes = seen + buffer.readableBytes
                if seen + buffer.readableBytes > limits.maxRequestLineBytes { return refuseLongTarget(context) }
            }
        }
        context.fireChannelRead(data)
    }

    /// 414 as a problem document, then close: nothing of the request reached the parser.
    private func refuseLongTarget(_ context: ChannelHandlerContext) {
        let body = #"{"code":"uri_too_long","detail":"The request line exceeds \#(limits.maxRequestLineBytes) bytes.","status":414,"title":"URI too long","type":"/docs/errors/uri_too_long"}"#
        let response = "HTTP/1.1 414 URI Too Long\r\nContent-Type: application/problem+json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        timer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }

    /// Starts the timer the connection's new phase calls for (and stops the old one).
    private func arm(for next: ConnectionPhase.Phase, context: ChannelHandlerContext) {
        let timeout: TimeAmount?
        switch next {
        case .awaitingHead(let first):
            timeout = first ? limits.requestHeadTimeout : limits.idleTimeout
            if !first { servedRequests += 1 }
        case .readingHead:
            // The first request's head counts from the connection's start: its timer is already running.
            guard servedRequests > 0 else { return }
            timeout = limits.requestHeadTimeout
        case .readingBody: timeout = limits.bodyTimeout
        case .responding: timeout = nil
        }
        timer?.cancel()
        timer = timeout.map { timeout in
            context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.timer = nil
                context.close(promise: nil)
            }
        }
    }

    private var servedRequests = 0
}
