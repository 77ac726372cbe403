import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A real HTTP server on a loopback port that records every webhook it
/// receives and answers as the test scripts it: by default 200, or per
/// delivery number (1-based) a status, headers, or a reply held on a gate.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var headers: HTTPFields
        var body: String
        var path: String

        var webhookID: String? { headers[HTTPField.Name("webhook-id")!] }
        var timestamp: String? { headers[HTTPField.Name("webhook-timestamp")!] }
        var signature: String? { headers[HTTPField.Name("webhook-signature")!] }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var type: String? { json["type"] as? String }
    }

    struct Reply: Sendable {
        var status: HTTPResponse.Status = .ok
        /// Held until the test opens this gate: unlike a fixed delay, a slow machine cannot
        /// let the answer out before the test has done what it must first.
        var gate: Gate? = nil
        var headers: HTTPFields = [:]
        var body: String = "ok"
    }

    /// Holds the replies that name it until `open()`.
    final class Gate: Sendable {
        private let opened = Mutex(false)

        init() {}

        func open() { opened.withLock { $0 = true } }

        /// Returns once opened, or after `limit` so a forgotten gate never holds a test for good.
        func wait(limit: Duration = .seconds(300)) async throws {
            let deadline = ContinuousClock.now + limit
            while !opened.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    /// How the receiver answers delivery number n (1-based).
    struct Script: Sendable {
        let reply: @Sendable (Int) -> Reply

        init(_ reply: @escaping @Sendable (Int) -> Reply) { self.reply = reply }

        /// Every delivery gets `reply`.
        static func always(_ reply: Reply) -> Script { Script { _ in reply } }
        /// The first delivery gets `reply`, later ones 200.
        static func first(_ reply: Reply) -> Script { first(1, reply) }
        /// The first `count` deliveries get `reply`, later ones 200.
        static func first(_ count: Int, _ reply: Reply) -> Script { Script { $0 <= count ? reply : Reply() } }
    }

    private let log = Mutex<[Received]>([])
    private let concurrency = Mutex<(current: Int, peak: Int)>((0, 0))
    /// Webhook ids being answered now, and those that arrived while one with the same id was
    /// still being answered (one delivery attempted twice at once).
    private let answering = Mutex<(now: [String: Int], overlapped: Set<String>)>(([:], []))
    private let script: Mutex<@Sendable (Int) -> Reply>
    let port: Int

    private init(port: Int, script: @escaping @Sendable (Int) -> Reply) {
        self.port = port
        self.script = Mutex(script)
    }

    var url: String { "http://127.0.0.1:\(port)/hooks" }
    var received: [Received] { log.withLock { $0 } }
    /// The most deliveries this receiver was answering at the same time.
    var peakInFlight: Int { concurrency.withLock { $0.peak } }
    /// Webhook ids received again while an earlier request with the same id was still being answered.
    var overlappingWebhookIDs: Set<String> { answering.withLock { $0.overlapped } }

    /// Changes how later deliveries are answered.
    func answer(_ script: @escaping @Sendable (Int) -> Reply) {
        self.script.withLock { $0 = script }
    }

    /// Waits (up to `timeout` of real time) until at least `count` deliveries arrived, then returns them all.
    @discardableResult
    func waitFor(_ count: Int, timeout: Duration = .seconds(60)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while received.count < count {
            guard ContinuousClock.now < deadline else {
                throw ReceiverTimeout(expected: count, received: received.count)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return received
    }

    struct ReceiverTimeout: Error, CustomStringConvertible {
        var expected: Int
        var received: Int
        var description: String { "expected \(expected) deliveries, received \(received)" }
    }

    /// Runs a receiver for the duration of `body`.
    static func with<T: Sendable>(
        _ script: Script = .always(Reply()),
        _ body: (WebhookReceiver) async throws -> T
    ) async throws -> T {
        let router = Router()
        let receiverBox = Mutex<WebhookReceiver?>(nil)
        router.post("**") { request, context -> Response in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            guard let receiver = receiverBox.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            let number = receiver.log.withLock { log in
                log.append(Received(headers: request.headers, body: String(buffer: buffer), path: request.uri.path))
                return log.count
            }
            let reply = receiver.script.withLock { $0 }(number)
            receiver.concurrency.withLock {
                $0.current += 1
                $0.peak = max($0.peak, $0.current)
            }
            defer { receiver.concurrency.withLock { $0.current -= 1 } }
            let webhookID = request.headers[HTTPField.Name("webhook-id")!] ?? ""
            receiver.answering.withLock {
                if $0.now[webhookID, default: 0] > 0 { $0.overlapped.insert(webhookID) }
                $0.now[webhookID, default: 0] += 1
            }
            defer { receiver.answering.withLock { $0.now[webhookID, default: 1] -= 1 } }
            try await reply.gate?.wait()
            return Response(status: reply.status, headers: reply.headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: .init(label: "receiver") { _ in SwiftLogNoOpLogHandler() }
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ReceiverTimeout(expected: 0, received: 0) }
            let receiver = WebhookReceiver(port: port, script: script.reply)
            receiverBox.withLock { $0 = receiver }
            defer { group.cancelAll() }
            return try await body(receiver)
        }
    }
}
