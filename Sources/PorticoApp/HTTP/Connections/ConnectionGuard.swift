import NIOCore

/// The first handler of every connection, on raw bytes: it closes a
/// connection beyond `maxConnections` at once, closes one that idles
/// between requests, dawdles over a request head or a body past its
/// timeout, and answers 414 to a request line longer than the limit before
/// the HTTP parser buffers it. Hostile clients (nothing sent, half a request
/// line, headers and no body, a response never read) can no longer hold a
/// descriptor for ever.
///
/// Inbound only, so responses do not pass through it (NIO skips it on the
/// way out); the 414 it writes itself goes out from its own position.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limits: ConnectionLimits
    private let counter: ConnectionCounter
    private let phase: ConnectionPhase
    private let baseURL: BaseURL
    private var counted = false
    /// Runs while the socket refuses more output: a client that stops reading its response.
    private var stallTimer: Scheduled<Void>?
    /// A 414 was sent: whatever else arrives is ignored until the connection closes.
    private var refused = false
    /// Bytes of the current request line seen so far; nil once its end has arrived.
    private var requestLineBytes: Int? = 0

    init(limits: ConnectionLimits, counter: ConnectionCounter, phase: ConnectionPhase, baseURL: BaseURL) {
        self.limits = limits
        self.counter = counter
        self.phase = phase
        self.baseURL = baseURL
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
        check?.cancel()
        check = nil
        deadline = nil
        stallTimer?.cancel()
        stallTimer = nil
        phase.onChange = nil
        if counted {
            counted = false
            counter.closed()
        }
    }

    /// The client stopped reading (the socket's send buffer is full): it has
    /// `idle_timeout_seconds` to start again, or the connection is closed.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        stallTimer?.cancel()
        stallTimer = nil
        if !context.channel.isWritable {
            stallTimer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.idleTimeout) {
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
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
        refused = true
        deadline = nil
        let document = ProblemDocument.beforeRouting(
            .uriTooLong,
            "The request line exceeds \(limits.maxRequestLineBytes) bytes.",
            baseURL: baseURL
        )
        var date = HTTPDate()
        var response = ByteBuffer(
            string: "HTTP/1.1 414 URI Too Long\r\nContent-Type: application/problem+json\r\nContent-Length: \(document.body.readableBytes)\r\n"
                + "Request-Id: \(document.requestID)\r\nDate: \(date.now())\r\nConnection: close\r\n\r\n"
        )
        var body = document.body
        response.writeBuffer(&body)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(response)).whenComplete { _ in loopBound.value.close(promise: nil) }
    }

    /// Sets the deadline the connection's new phase calls for. Only a field
    /// is written here: the one check timer (`scheduleCheck`) reads it when it
    /// fires. Scheduling and cancelling a timer at each of a request's four
    /// phase changes cost about 13% of /healthz throughput (Benchmarks/RESULTS.md).
    private func arm(for next: ConnectionPhase.Phase, context: ChannelHandlerContext) {
        let timeout: TimeAmount?
        switch next {
        case .awaitingHead(let first):
            timeout = first ? limits.requestHeadTimeout : limits.idleTimeout
            if !first { servedRequests += 1 }
        case .readingHead:
            // The first request's head counts from the connection's start: that deadline stands.
            guard servedRequests > 0 else { return }
            timeout = limits.requestHeadTimeout
        case .readingBody: timeout = limits.bodyTimeout
        case .responding: timeout = nil
        }
        deadline = timeout.map { .now() + $0 }
        if deadline != nil, check == nil { scheduleCheck(context) }
    }

    /// Checks the deadline at it, or after `checkInterval` if that comes first
    /// (a later phase may have moved it earlier): a timeout closes the
    /// connection at most `checkInterval` late.
    private func scheduleCheck(_ context: ChannelHandlerContext) {
        guard let deadline else { return }
        check = context.eventLoop.assumeIsolated().scheduleTask(deadline: min(deadline, .now() + limits.checkInterval)) {
            self.check = nil
            guard let deadline = self.deadline else { return }
            if deadline <= .now() { context.close(promise: nil) } else { self.scheduleCheck(context) }
        }
    }

    private var servedRequests = 0
    /// When the current phase's time is up; nil while a response is being made.
    private var deadline: NIODeadline?
    /// The pending deadline check, if any.
    private var check: Scheduled<Void>?
}
