import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import PorticoCore
import Synchronization

/// Where and how Portico hands mail to its relay (`mail.*`).
struct SMTPSettings: Sendable {
    enum Security: String, Sendable, CaseIterable {
        /// Plain TCP (a relay on the same host or network). Authentication is refused over it.
        case none
        /// Plain TCP upgraded with STARTTLS before anything else is said (port 587).
        case starttls
        /// TLS from the first byte (port 465).
        case tls
    }

    var host: String
    var port: Int
    var security: Security
    var username: String?
    var password: String?
    /// PEM roots to trust instead of the system's (a private relay's CA).
    var caFile: String?
    /// One deadline for the whole exchange, connection included.
    var timeout: Duration
    /// The name given in EHLO.
    var heloName: String
}

/// Why a mail was not accepted. A 5xx reply is permanent: retrying sends the same refusal.
struct SMTPError: Error, CustomStringConvertible, Equatable {
    var description: String
    var isPermanent = false
}

/// A small SMTP client on SwiftNIO and NIOSSL (RFC 5321, STARTTLS per RFC 3207,
/// AUTH PLAIN and LOGIN per RFC 4954): no maintained Swift SMTP client exists
/// among the packages this project can use. One mail per connection; every
/// command waits for its reply; the whole exchange has one deadline, after
/// which the connection is closed. Credentials are only ever sent under TLS.
enum SMTPClient {
    static func send(_ message: MailMessage, settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let tls = try NIOSSLContext(configuration: configuration(settings))
        let replies = SMTPReplyHandler()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(
                .nanoseconds(settings.timeout.nanoseconds)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if settings.security == .tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: serverName(settings.host))
                        )
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(replies)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: settings.host, port: settings.port).get()
        } catch {
            throw SMTPError(description: "could not connect to \(settings.host):\(settings.port): \(error)")
        }
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(settings.timeout.nanoseconds)) {
            replies.timedOut()
            channel.close(promise: nil)
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        let session = SMTPSession(channel: channel, replies: replies)
        try await session.expect(220, after: "connecting")
        var extensions = try await session.hello(settings.heloName)
        var secured = settings.security == .tls
        if settings.security == .starttls {
            guard extensions.contains("STARTTLS") else { throw SMTPError(description: "\(settings.host) does not offer STARTTLS") }
            try await session.command("STARTTLS", expect: 220)
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(
                    try NIOSSLClientHandler(context: tls, serverHostname: serverName(settings.host)),
                    position: .first
                )
            }.get()
            secured = true
            // RFC 3207: everything learnt before TLS is forgotten.
            extensions = try await session.hello(settings.heloName)
        }
        if let username = settings.username {
            guard secured else { throw SMTPError(description: "refusing to send SMTP credentials without TLS") }
            let password = settings.password ?? ""
            let mechanisms = extensions.first { $0.hasPrefix("AUTH ") }?.split(separator: " ").dropFirst().map { $0.uppercased() } ?? []
            if mechanisms.contains("PLAIN") || !mechanisms.contains("LOGIN") {
                let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                try await session.command("AUTH PLAIN \(token)", expect: 235, shown: "AUTH PLAIN")
            } else {
                try await session.command("AUTH LOGIN", expect: 334)
                try await session.command(Data(username.utf8).base64EncodedString(), expect: 334, shown: "AUTH LOGIN username")
                try await session.command(Data(password.utf8).base64EncodedString(), expect: 235, shown: "AUTH LOGIN password")
            }
        }
        try await session.command("MAIL FROM:<\(message.from.address)>", expect: 250)
        for recipient in message.to { try await session.command("RCPT TO:<\(recipient.address)>", expect: 250, 251) }
        try await session.command("DATA", expect: 354)
        try await session.command(dotStuffed(message.rendered()) + ".", expect: 250, shown: "the message")
        // The mail is accepted; a relay that drops the line before answering QUIT changes nothing.
        try? await session.command("QUIT", expect: 221)
    }

    /// RFC 5321 §4.5.2: a line that starts with "." gets another one, so only the final "." ends the data.
    static func dotStuffed(_ rendered: String) -> String {
        rendered.split(separator: "\r\n", omittingEmptySubsequences: false).map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
    }

    private static func configuration(_ settings: SMTPSettings) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile { configuration.trustRoots = .file(caFile) }
        return configuration
    }

    /// SNI takes a name, not an address.
    private static func serverName(_ host: String) -> String? {
        host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
    }
}

/// One SMTP reply: its code and its lines of text.
struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
}

/// Commands in order, each awaiting its reply.
private struct SMTPSession {
    let channel: any Channel
    let replies: SMTPReplyHandler

    func hello(_ name: String) async throws -> [String] {
        let reply = try await send("EHLO \(name)", shown: "EHLO")
        guard reply.code == 250 else { throw SMTPError(description: "EHLO answered \(reply.code) \(reply.lines.joined(separator: " "))") }
        return reply.lines.dropFirst().map { $0.uppercased() }
    }

    func expect(_ codes: Int..., after step: String) async throws {
        let reply = try await replies.next(on: channel.eventLoop)
        guard codes.contains(reply.code) else { throw Self.refusal(step, reply) }
    }

    func command(_ line: String, expect codes: Int..., shown: String? = nil) async throws {
        let reply = try await send(line, shown: shown ?? line)
        guard codes.contains(reply.code) else { throw Self.refusal(shown ?? line, reply) }
    }

    private func send(_ line: String, shown: String) async throws -> SMTPReply {
        do {
            try await channel.writeAndFlush(ByteBuffer(string: line + "\r\n"))
        } catch {
            throw replies.failure ?? SMTPError(description: "the connection failed while sending \(shown): \(error)")
        }
        // A reply that came before this wait is kept by the handler until asked for.
        return try await replies.next(on: channel.eventLoop)
    }

    private static func refusal(_ step: String, _ reply: SMTPReply) -> SMTPError {
        SMTPError(description: "\(step) answered \(reply.code) \(reply.lines.joined(separator: " "))", isPermanent: reply.code >= 500)
    }
}

/// Gathers reply lines ("250-…" continues, "250 …" ends) into replies and
/// hands each to the command waiting for it. Event-loop confined, except
/// `failure`, which the deadline sets.
private final class SMTPReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private struct State {
        var lines: [String] = []
        var ready: [SMTPReply] = []
        var waiting: [CheckedContinuation<SMTPReply, any Error>] = []
        var failure: SMTPError?
    }

    private let state = Mutex(State())

    var failure: SMTPError? { state.withLock { $0.failure } }

    func next(on loop: any EventLoop) async throws -> SMTPReply {
        try await withCheckedThrowingContinuation { continuation in
            let outcome: Result<SMTPReply, any Error>? = state.withLock { state in
                if !state.ready.isEmpty { return .success(state.ready.removeFirst()) }
                if let failure = state.failure { return .failure(failure) }
                state.waiting.append(continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    func timedOut() { fail(SMTPError(description: "the SMTP exchange did not finish in time")) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = String(buffer: unwrapInboundIn(data)).trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        guard line.count >= 3, let code = Int(line.prefix(3)) else {
            fail(SMTPError(description: "the server sent a line that is not an SMTP reply: \(line.prefix(80))"))
            context.close(promise: nil)
            return
        }
        let continues = line.dropFirst(3).first == "-"
        let text = String(line.dropFirst(4))
        let waiter: (CheckedContinuation<SMTPReply, any Error>, SMTPReply)? = state.withLock { state in
            state.lines.append(text)
            guard !continues else { return nil }
            let reply = SMTPReply(code: code, lines: state.lines)
            state.lines = []
            if state.waiting.isEmpty {
                state.ready.append(reply)
                return nil
            }
            return (state.waiting.removeFirst(), reply)
        }
        if let (continuation, reply) = waiter { continuation.resume(returning: reply) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(SMTPError(description: "the SMTP connection failed: \(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SMTPError(description: "the SMTP server closed the connection"))
        context.fireChannelInactive()
    }

    private func fail(_ error: SMTPError) {
        let waiting = state.withLock { state in
            if state.failure == nil { state.failure = error }
            defer { state.waiting = [] }
            return state.waiting
        }
        let failure = self.failure ?? error
        for continuation in waiting { continuation.resume(throwing: failure) }
    }
}
