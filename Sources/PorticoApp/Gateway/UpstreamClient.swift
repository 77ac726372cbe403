import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Pooled HTTP/1.1 connections to the gateway's upstreams, streaming both
/// ways, in the style of the webhook client (`WebhookClient`).
///
/// Written on SwiftNIO rather than AsyncHTTPClient (the maintained choice,
/// which the first version used) because the upstream exchange is most of
/// the gateway's cost: with AsyncHTTPClient it took ≈ 172 µs of capacity per
/// request, more than Portico's pipeline and the identity token together,
/// with about nine thread switches (its event loop, its transaction actor,
/// the task executor and back). Here a request is written without awaiting,
/// the response head resumes the waiting task once, and body parts already
/// read are handed over without suspending: `Benchmarks/gateway.sh`,
/// alternating builds, 4,515–5,814 req/s against 3,480–3,494 (RESULTS.md).
final class UpstreamClient: Sendable {
    /// Where a connection goes.
    struct Origin: Hashable, Sendable {
        var host: String
        var port: Int
        var tls: Bool

        /// The `Host` header's value.
        var authority: String { port == (tls ? 443 : 80) ? host : "\(host):\(port)" }
    }

    /// Why an exchange produced no response.
    enum Failure: Error, Equatable {
        /// No response head before the deadline (or the connection attempt outlasted it).
        case timeout
        /// The connection could not be made, or closed before a response head.
        case unavailable(String)
        /// A reused connection failed before any response: it was stale, try a new one.
        case stale
    }

    private struct Pooled {
        var channel: any Channel
        var handler: UpstreamHandler
        var idleSince: NIODeadline
    }

    /// Connections open to one origin (busy and idle), and the requests waiting for one.
    private struct Slots {
        var open = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let group: any EventLoopGroup
    private let tls: NIOSSLContext
    private let idle = Mutex<[Origin: [Pooled]]>([:])
    private let slots = Mutex<[Origin: Slots]>([:])
    private let waiterIDs = Atomic<UInt64>(0)
    /// Connections open to one origin at most; a request beyond waits for one (until its deadline).
    let maxConnectionsPerOrigin: Int
    /// Methods sent again on a new connection when a pooled one turns out closed: those RFC 9110
    /// calls idempotent, and only without a body (a streamed body cannot be sent twice). A POST is
    /// not: the upstream may have acted on it before closing.
    static let retriable: Set<String> = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]
    /// Idle connections kept per origin.
    static let maxIdlePerOrigin = 64
    /// An idle connection older than this is closed rather than reused: upstreams close idle
    /// keep-alive connections after a few seconds, and a request sent as they do would fail
    /// (`gateway.upstream_keepalive_seconds`).
    let maxIdleAge: TimeAmount

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxConnectionsPerOrigin: Int, maxIdleAge: TimeAmount) throws {
        self.group = group
        self.maxConnectionsPerOrigin = maxConnectionsPerOrigin
        self.maxIdleAge = maxIdleAge
        self.tls = try NIOSSLContext(configuration: .makeClientConfiguration())
    }

    /// Connections idle in the pool, across origins (tests wait for a release with it).
    var idleCount: Int { idle.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    func closeIdle() {
        let pooled = idle.withLock { idle in
            defer { idle = [:] }
            return idle.values.flatMap { $0 }
        }
        for connection in pooled { connection.channel.close(promise: nil) }
    }

    /// Sends `head` (and `body`, streamed) to `origin`; returns once the response head arrived, before `deadline`.
    func execute(_ origin: Origin, head: HTTPRequestHead, body: LimitedBody?, deadline: NIODeadline) async throws -> UpstreamResponse {
        while true {
            if let pooled = takeIdle(origin) {
                do {
                    return try await exchange(pooled.channel, pooled.handler, origin, head: head, body: body, deadline: deadline, reused: true)
                } catch Failure.stale where body == nil && Self.retriable.contains(head.method.rawValue) {
                    pooled.channel.close(promise: nil)
                    continue
                }
            }
            if reserveSlot(origin) { break }
            // Every connection to the origin is busy: wait until one is released or closed.
            try await waitForSlot(origin, deadline: deadline)
        }
        let (channel, handler): (any Channel, UpstreamHandler)
        do {
            (channel, handler) = try await connect(origin, deadline: deadline)
        } catch {
            freeSlot(origin)
            throw error
        }
        channel.closeFuture.whenComplete { [self] _ in freeSlot(origin) }
        return try await exchange(channel, handler, origin, head: head, body: body, deadline: deadline, reused: false)
    }

    // MARK: Connection slots

    private func reserveSlot(_ origin: Origin) -> Bool {
        slots.withLock { slots in
            guard slots[origin, default: Slots()].open < maxConnectionsPerOrigin else { return false }
            slots[origin, default: Slots()].open += 1
            return true
        }
    }

    /// A connection closed: its slot is free, and the longest waiter may try again.
    private func freeSlot(_ origin: Origin) {
        let waiter = slots.withLock { slots -> CheckedContinuation<Void, any Error>? in
            slots[origin, default: Slots()].open -= 1
            return slots[origin]?.waiters.isEmpty == false ? slots[origin]?.waiters.removeFirst().continuation : nil
        }
        waiter?.resume()
    }

    /// A connection went back to the pool: the longest waiter may take it.
    private func wakeWaiter(_ origin: Origin) {
        let waiter = slots.withLock { slots -> CheckedContinuation<Void, any Error>? in
            slots[origin]?.waiters.isEmpty == false ? slots[origin]?.waiters.removeFirst().continuation : nil
        }
        waiter?.resume()
    }

    private func waitForSlot(_ origin: Origin, deadline: NIODeadline) async throws {
        let id = waiterIDs.add(1, ordering: .relaxed).newValue
        let give: @Sendable (any Error) -> Void = { [self] error in
            let waiter = slots.withLock { slots -> CheckedContinuation<Void, any Error>? in
                guard let index = slots[origin]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return slots[origin]?.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: error)
        }
        let timer = group.any().scheduleTask(deadline: deadline) { give(Failure.timeout) }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let free = slots.withLock { slots -> Bool in
                    // Released while this task was getting here: no need to wait.
                    if slots[origin, default: Slots()].open < maxConnectionsPerOrigin { return true }
                    slots[origin, default: Slots()].waiters.append((id, continuation))
                    return false
                }
                if free { continuation.resume() }
            }
        } onCancel: {
            give(CancellationError())
        }
    }

    private func exchange(
        _ channel: any Channel,
        _ handler: UpstreamHandler,
        _ origin: Origin,
        head: HTTPRequestHead,
        body: LimitedBody?,
        deadline: NIODeadline,
        reused: Bool
    ) async throws -> UpstreamResponse {
        handler.begin(reused: reused)
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            handler.fail(Failure.timeout)
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body {
                channel.flush()
                for try await chunk in body { try await channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(chunk))).get() }
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            let responseHead = try await withTaskCancellationHandler {
                try await handler.responseHead()
            } onCancel: {
                channel.close(promise: nil)
            }
            return UpstreamResponse(
                head: responseHead,
                body: UpstreamBody(lease: Lease(client: self, origin: origin, channel: channel, handler: handler))
            )
        } catch {
            channel.close(promise: nil)
            if let failure = handler.failure { throw failure }
            throw error
        }
    }

    private func connect(_ origin: Origin, deadline: NIODeadline) async throws -> (any Channel, UpstreamHandler) {
        let tls = origin.tls ? self.tls : nil
        // SNI only for names (RFC 6066 forbids IP literals there); verification still checks the host.
        let serverName: String? = (try? SocketAddress(ipAddress: origin.host, port: 0)) == nil ? origin.host : nil
        let handler = UpstreamHandler()
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(max(.milliseconds(1), deadline - .now()))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: origin.host, port: origin.port).get()
            return (channel, handler)
        } catch let error as ChannelError where Self.isConnectTimeout(error) {
            throw Failure.timeout
        } catch {
            throw Failure.unavailable("\(error)")
        }
    }

    private static func isConnectTimeout(_ error: ChannelError) -> Bool {
        if case .connectTimeout = error { return true }
        return false
    }

    private func takeIdle(_ origin: Origin) -> Pooled? {
        let now = NIODeadline.now()
        var stale: [any Channel] = []
        let found = idle.withLock { idle -> Pooled? in
            while let pooled = idle[origin]?.popLast() {
                if pooled.channel.isActive, now - pooled.idleSince < maxIdleAge { return pooled }
                stale.append(pooled.channel)
            }
            return nil
        }
        for channel in stale { channel.close(promise: nil) }
        return found
    }

    fileprivate func release(_ channel: any Channel, _ handler: UpstreamHandler, origin: Origin, reusable: Bool) {
        let kept =
            reusable && channel.isActive
            && idle.withLock { idle in
                guard idle[origin, default: []].count < Self.maxIdlePerOrigin else { return false }
                idle[origin, default: []].append(Pooled(channel: channel, handler: handler, idleSince: .now()))
                return true
            }
        if kept { wakeWaiter(origin) } else { channel.close(promise: nil) }
    }
}

/// An upstream's answer: its head, and its body still streaming.
struct UpstreamResponse: Sendable {
    let head: HTTPResponseHead
    let body: UpstreamBody
}

/// A response body read from its connection as the client takes it. At its
/// end the connection goes back to the pool; dropped before its end (the
/// client went away), the connection is closed, which ends the upstream's request.
struct UpstreamBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    fileprivate let lease: Lease

    struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let lease: Lease
        mutating func next() async throws -> ByteBuffer? { try await lease.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(lease: lease) }
}

/// One response's hold on its connection.
private final class Lease: Sendable {
    let client: UpstreamClient
    let origin: UpstreamClient.Origin
    let channel: any Channel
    let handler: UpstreamHandler
    private let finished = Atomic<Bool>(false)

    init(client: UpstreamClient, origin: UpstreamClient.Origin, channel: any Channel, handler: UpstreamHandler) {
        self.client = client
        self.origin = origin
        self.channel = channel
        self.handler = handler
    }

    func next() async throws -> ByteBuffer? {
        do {
            guard let part = try await handler.nextBodyPart() else {
                if !finished.exchange(true, ordering: .relaxed) {
                    client.release(channel, handler, origin: origin, reusable: handler.keepAlive)
                }
                return nil
            }
            return part
        } catch {
            if !finished.exchange(true, ordering: .relaxed) { channel.close(promise: nil) }
            throw error
        }
    }

    deinit {
        if !finished.load(ordering: .relaxed) { channel.close(promise: nil) }
    }
}

/// The end of an upstream connection's pipeline: hands the response head and
/// body parts to the task waiting for them, and holds reading back while more
/// than `highWater` bytes wait for a slow client.
final class UpstreamHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    static let highWater = 256 * 1_024

    private struct State {
        var head: HTTPResponseHead?
        var headWaiter: CheckedContinuation<HTTPResponseHead, any Error>?
        var parts = CircularBuffer<ByteBuffer>()
        var buffered = 0
        var ended = false
        var failure: (any Error)?
        var bodyWaiter: CheckedContinuation<ByteBuffer?, any Error>?
        var readHeld = false
        var reused = false
        /// Why the connection itself failed (closed, reset, a refused handshake), kept across
        /// exchanges: it can fail before `begin`, between the pool handing it out and its use.
        var broken: String?
    }

    private let state = Mutex(State())
    /// The connection, for resuming reads from the consuming task.
    private let channelBox = Mutex<(any Channel)?>(nil)

    var failure: (any Error)? { state.withLock { $0.failure } }
    var keepAlive: Bool { state.withLock { $0.head?.isKeepAlive ?? false } }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        channelBox.withLock { $0 = channel }
    }

    /// Starts a new exchange on this connection.
    func begin(reused: Bool) {
        state.withLock { state in
            let broken = state.broken
            state = State(reused: reused, broken: broken)
            if let broken { state.failure = reused ? UpstreamClient.Failure.stale : .unavailable(broken) }
        }
    }

    func responseHead() async throws -> HTTPResponseHead {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<HTTPResponseHead, any Error>? = state.withLock { state in
                if let head = state.head { return .success(head) }
                if let failure = state.failure { return .failure(failure) }
                state.headWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    func nextBodyPart() async throws -> ByteBuffer? {
        var resumeReading = false
        let part: ByteBuffer?? = try state.withLock { state in
            if let part = state.parts.popFirst() {
                state.buffered -= part.readableBytes
                if state.readHeld, state.buffered < Self.highWater / 2 {
                    state.readHeld = false
                    resumeReading = true
                }
                return .some(part)
            }
            if state.ended { return .some(nil) }
            if let failure = state.failure { throw failure }
            return nil
        }
        if resumeReading { channelBox.withLock { $0 }?.read() }
        if let part { return part }
        return try await withCheckedThrowingContinuation { continuation in
            let ready: Result<ByteBuffer?, any Error>? = state.withLock { state in
                if let part = state.parts.popFirst() {
                    state.buffered -= part.readableBytes
                    return .success(part)
                }
                if state.ended { return .success(nil) }
                if let failure = state.failure { return .failure(failure) }
                state.bodyWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// Fails whatever waits (a timeout, a closed connection).
    func fail(_ error: any Error) {
        let (head, body) = state.withLock {
            state -> (CheckedContinuation<HTTPResponseHead, any Error>?, CheckedContinuation<ByteBuffer?, any Error>?) in
            if state.failure == nil, !state.ended { state.failure = error }
            defer {
                state.headWaiter = nil
                state.bodyWaiter = nil
            }
            return (state.headWaiter, state.bodyWaiter)
        }
        head?.resume(throwing: error)
        body?.resume(throwing: error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            let waiter = state.withLock { state in
                state.head = head
                defer { state.headWaiter = nil }
                return state.headWaiter
            }
            waiter?.resume(returning: head)
        case .body(let part):
            let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, any Error>? in
                if let waiter = state.bodyWaiter {
                    state.bodyWaiter = nil
                    return waiter
                }
                state.parts.append(part)
                state.buffered += part.readableBytes
                return nil
            }
            waiter?.resume(returning: part)
        case .end:
            let waiter = state.withLock { state in
                state.ended = true
                defer { state.bodyWaiter = nil }
                return state.bodyWaiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Holds the next read back while a slow client leaves too much unread.
    func read(context: ChannelHandlerContext) {
        let hold = state.withLock { state in
            if state.buffered >= Self.highWater {
                state.readHeld = true
                return true
            }
            return false
        }
        if !hold { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionFailed("the upstream closed the connection")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connectionFailed("\(error)")
        context.close(promise: nil)
    }

    /// A pooled connection that fails before any response (closed, or reset) was closed by the
    /// upstream while idle: stale, and the request may go again on a new one.
    private func connectionFailed(_ reason: String) {
        let failure = state.withLock { state -> UpstreamClient.Failure in
            if state.broken == nil { state.broken = reason }
            return state.head == nil && state.reused ? .stale : .unavailable(reason)
        }
        fail(failure)
    }
}
