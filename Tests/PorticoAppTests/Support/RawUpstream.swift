import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import X509

/// An upstream on SwiftNIO directly, for what `TestUpstream`'s Hummingbird
/// server will not do on request: close a kept-alive connection when a
/// second request arrives on it (what a pooled connection meets when the
/// upstream closed it while idle), or speak TLS with a certificate nobody
/// trusts. It answers every request it keeps with 200
/// `{"connection": N, "method": M}`, keep-alive.
final class RawUpstream: Sendable {
    let port: Int
    let tls: Bool
    private let channel: any Channel
    private let counts: Counts

    /// What the upstream saw: requests whose head arrived (answered or not), and connections accepted.
    var requests: [String] { counts.requests.withLock { $0 } }
    var connections: Int { counts.connections.withLock { $0 } }
    var base: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }

    private init(port: Int, tls: Bool, channel: any Channel, counts: Counts) {
        self.port = port
        self.tls = tls
        self.channel = channel
        self.counts = counts
    }

    /// Runs one for the duration of `body`. `closeReused`: a connection's second request is
    /// not answered; the connection is closed instead. `selfSigned`: TLS with a certificate
    /// made for this run and trusted by no one.
    static func with<T: Sendable>(
        closeReused: Bool = false,
        selfSigned: Bool = false,
        _ body: @Sendable (RawUpstream) async throws -> T
    ) async throws -> T {
        let counts = Counts()
        let tls = selfSigned ? try Self.selfSignedContext() : nil
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    counts.connections.withLock { $0 += 1 }
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Answerer(counts: counts, closeReused: closeReused))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let upstream = RawUpstream(port: channel.localAddress?.port ?? 0, tls: selfSigned, channel: channel, counts: counts)
        do {
            let result = try await body(upstream)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private final class Counts: Sendable {
        let requests = Mutex<[String]>([])
        let connections = Mutex(0)
    }

    private static func selfSignedContext() throws -> NIOSSLContext {
        let made = try TestCertificate.make()
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(made.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(made.keyPEM.utf8), format: .pem))
        )
        return try NIOSSLContext(configuration: configuration)
    }

    private final class Answerer: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let counts: Counts
        private let closeReused: Bool
        private var served = 0
        private var method = ""
        private var connection = 0

        init(counts: Counts, closeReused: Bool) {
            self.counts = counts
            self.closeReused = closeReused
        }

        func handlerAdded(context: ChannelHandlerContext) {
            connection = counts.connections.withLock { $0 }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                method = head.method.rawValue
                counts.requests.withLock { $0.append("\(head.method.rawValue) \(head.uri)") }
                if closeReused, served > 0 {
                    context.close(promise: nil)
                    return
                }
            case .body:
                break
            case .end:
                guard context.channel.isActive else { return }
                served += 1
                let body = ByteBuffer(string: #"{"connection":\#(connection),"method":"\#(method)"}"#)
                var head = HTTPResponseHead(version: .http1_1, status: .ok)
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Content-Length", value: String(body.readableBytes))
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                if method != "HEAD" { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
