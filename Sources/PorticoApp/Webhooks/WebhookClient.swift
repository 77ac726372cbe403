import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PorticoCore
import PorticoStore
import ServiceLifecycle
import Synchronization

/// The HTTP/1.1 client that sends webhook deliveries, owned by the server
/// and closed after the dispatcher stops.
///
/// Its own, rather than AsyncHTTPClient, for one reason: SSRF safety needs
/// the connection to go to the address that was checked (no second DNS
/// lookup) while TLS still verifies the certificate for the URL's host name.
/// This client connects to a given `SocketAddress` and sets the host name for
/// SNI and verification separately. It never follows redirects (a 3xx is
/// just a failed attempt), bounds every attempt by one deadline (connect,
/// TLS, send, response), and reads at most `excerptLimit` bytes of a
/// response body — past that it closes the connection instead of reading on.
/// Idle keep-alive connections are pooled per (address, host, port, TLS).
final class WebhookClient: Service, Sendable {
    struct Target: Sendable, Hashable {
        var address: SocketAddress
        var url: WebhookURL

        static func == (lhs: Target, rhs: Target) -> Bool {
            lhs.address == rhs.address && lhs.url.hostName == rhs.url.hostName && lhs.url.port == rhs.url.port && lhs.url.isTLS == rhs.url.isTLS
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(address)
            hasher.combine(url.hostName)
            hasher.combine(url.port)
            hasher.combine(url.isTLS)
        }
    }

    /// What came back: a response (any status) or why there was none.
    enum Outcome: Sendable, Equatable {
        case response(status: Int, retryAfterSeconds: Int64?, excerpt: String)
        case failure(WebhookAttemptRecord.ErrorKind, String)
    }

    private let group: any EventLoopGroup
    private let timeout: TimeAmount
    private let excerptLimit: Int
    private let tls: NIOSSLContext
    private let idle = Mutex<[Target: [any Channel]]>([:])
    private static let maxIdlePerTarget = 16

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: Duration, excerptLimit: Int) throws {
        self.group = group
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        self.excerptLimit = excerptLimit
        self.tls = try NIOSSLContext(configuration: .makeClientConfiguration())
    }

    /// Waits for shutdown, then closes pooled connections.
    func run() async throws {
        try? await gracefulShutdown()
        closeIdle()
    }

    func closeIdle() {
        let channels = idle.withLock { idle in
            defer { idle = [:] }
            return idle.values.flatMap { $0 }
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// POSTs `body` to `target.url` over a connection to `target.address`.
    func post(_ target: Target, headers: [(String, String)], body: ByteBuffer) async -> Outcome {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.url.target)
        let defaultPort = target.url.isTLS ? 443 : 80
        head.headers.add(name: "Host", value: target.url.port == defaultPort ? target.url.hostName : "\(target.url.hostName):\(target.url.port)")
        head.headers.add(name: "User-Agent", value: "Portico-Webhooks/1")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        for (name, value) in headers { head.headers.add(name: name, value: value) }

        let deadline = NIODeadline.now() + timeout
        // A pooled connection may have been closed by the receiver while idle:
        // if it fails before any response arrives, try once on a new one.
        if let channel = takeIdle(target) {
            let result = await exchange(on: channel, head: head, body: body, deadline: deadline)
            if case .failure(let error) = result, error.beforeResponse, deadline > .now() {
                channel.close(promise: nil)
            } else {
                return finish(result, channel: channel, target: target)
            }
        }
        let channel: any Channel
        do {
            channel = try await connect(target, deadline: deadline)
        } catch {
            return .failure(Self.kind(of: error), Self.describe(error))
        }
        return finish(await exchange(on: channel, head: head, body: body, deadline: deadline), channel: channel, target: target)
    }

    private func finish(_ result: Result<Collected, ExchangeError>, channel: any Channel, target: Target) -> Outcome {
        switch result {
        case .success(let collected):
            if collected.reusable { putIdle(channel, target) } else { channel.close(promise: nil) }
            return .response(status: collected.status, retryAfterSeconds: collected.retryAfterSeconds, excerpt: collected.excerpt)
        case .failure(let error):
            channel.close(promise: nil)
            return .failure(error.kind, error.message)
        }
    }

    private func connect(_ target: Target, deadline: NIODeadline) async throws -> any Channel {
        let tls = target.url.isTLS ? self.tls : nil
        // SNI only for names (RFC 6066 forbids IP literals there); verification still checks the host.
        let serverName: String? = { if case .name = target.url.host { target.url.hostName } else { nil } }()
        let limit = excerptLimit
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(max(.milliseconds(1), deadline - .now()))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(limit: limit))
                }
            }
            .connect(to: target.address).get()
        return channel
    }

    /// Sends one request on `channel` and collects its response, failing at `deadline`.
    private func exchange(
        on channel: any Channel,
        head: HTTPRequestHead,
        body: ByteBuffer,
        deadline: NIODeadline
    ) async -> Result<Collected, ExchangeError> {
        let promise = channel.eventLoop.makePromise(of: Collected.self)
        channel.eventLoop.execute {
            do {
                let collector = try channel.pipeline.syncOperations.handler(type: ResponseCollector.self)
                collector.expect(promise)
                let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
                    promise.fail(ExchangeError(kind: .timeout, message: "No complete response within the timeout.", beforeResponse: false))
                    channel.close(promise: nil)
                }
                promise.futureResult.whenComplete { _ in timer.cancel() }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            } catch {
                promise.fail(error)
            }
        }
        do {
            return .success(
                try await withTaskCancellationHandler {
                    try await promise.futureResult.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
            )
        } catch let error as ExchangeError {
            return .failure(error)
        } catch {
            return .failure(ExchangeError(kind: Self.kind(of: error), message: Self.describe(error), beforeResponse: true))
        }
    }

    private func takeIdle(_ target: Target) -> (any Channel)? {
        idle.withLock { idle in
            while let channel = idle[target]?.popLast() {
                if channel.isActive { return channel }
            }
            return nil
        }
    }

    private func putIdle(_ channel: any Channel, _ target: Target) {
        let kept = idle.withLock { idle in
            guard idle[target, default: []].count < Self.maxIdlePerTarget else { return false }
            idle[target, default: []].append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    // MARK: Errors

    static func kind(of error: any Error) -> WebhookAttemptRecord.ErrorKind {
        switch error {
        case let error as ExchangeError: return error.kind
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError: return .tls
        case is ChannelError:
            if case .connectTimeout = error as? ChannelError { return .timeout }
            return .network
        case let error as IOError where error.errnoCode == ECONNREFUSED: return .refused
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first?.error { return kind(of: first) }
            return .network
        default:
            return .network
        }
    }

    static func describe(_ error: any Error) -> String {
        switch kind(of: error) {
        case .timeout: "The receiver did not answer within the timeout."
        case .refused: "The connection was refused."
        case .tls: "The TLS handshake failed: \(error)."
        default: "The connection failed: \(error)."
        }
    }

    struct ExchangeError: Error {
        var kind: WebhookAttemptRecord.ErrorKind
        var message: String
        /// True when the failure came before any byte of a response (a reused connection may be retried).
        var beforeResponse: Bool
    }
}

/// A response as far as the client keeps it.
struct Collected: Sendable {
    var status: Int
    var retryAfterSeconds: Int64?
    var excerpt: String
    /// Whether the connection can carry another request.
    var reusable: Bool
}

/// Collects one response at a time into the promise set by `expect`; the
/// body beyond `limit` bytes is not read (the response completes early and
/// the connection is not reused).
private final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let limit: Int
    private var promise: EventLoopPromise<Collected>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(limit: Int) {
        self.limit = limit
    }

    func expect(_ promise: EventLoopPromise<Collected>) {
        self.promise = promise
        head = nil
        body.clear()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            let room = limit - body.readableBytes
            if part.readableBytes > room {
                if room > 0, let slice = part.readSlice(length: room) { body.writeImmutableBuffer(slice) }
                complete(reusable: false)
                context.close(promise: nil)
            } else {
                body.writeBuffer(&part)
            }
        case .end:
            complete(reusable: head?.isKeepAlive ?? false)
        }
    }

    private func complete(reusable: Bool) {
        guard let promise, let head else { return }
        self.promise = nil
        let retryAfter = head.headers.first(name: "Retry-After").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        promise.succeed(
            Collected(
                status: Int(head.status.code),
                retryAfterSeconds: retryAfter,
                excerpt: String(decoding: body.readableBytesView, as: UTF8.self),
                reusable: reusable
            )
        )
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(
            WebhookClient.ExchangeError(
                kind: .network,
                message: "The receiver closed the connection before a complete response.",
                beforeResponse: head == nil
            )
        )
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(WebhookClient.ExchangeError(kind: WebhookClient.kind(of: error), message: WebhookClient.describe(error), beforeResponse: head == nil))
        context.close(promise: nil)
    }

    private func fail(_ error: WebhookClient.ExchangeError) {
        guard let promise else { return }
        self.promise = nil
        promise.fail(error)
    }
}
