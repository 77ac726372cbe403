import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The team's own API in gateway tests: a real HTTP server on a loopback
/// port that records every request it is sent and answers as the request's
/// query says, so one upstream serves every case:
///
/// - `status=N`: answer N with a JSON error body of its own (and `X-Upstream-Error: yes`);
/// - `delay_ms=N`: wait before the response head;
/// - `bytes=N`: stream an N-byte body in 64 KiB chunks;
/// - `endless=1`: stream chunks until the client goes away (counted in `abandoned`);
/// - `usage=…`: send it back as `Portico-Usage`;
/// - otherwise 200 with `{"upstream": NAME, "method": …, "path": …}`.
///
/// Every answer also carries hop-by-hop headers (`Keep-Alive`, and
/// `X-Hop`, named by `Connection`) that a proxy must drop.
final class TestUpstream: Sendable {
    struct Seen: Sendable {
        var method: String
        /// Path and query as received.
        var target: String
        var headers: HTTPFields
        var body: String

        func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
    }

    let name: String
    let port: Int
    private let log = Mutex<[Seen]>([])
    private let abandonedStreams = Mutex(0)
    private let concurrency = Mutex<(current: Int, peak: Int)>((0, 0))

    private init(name: String, port: Int) {
        self.name = name
        self.port = port
    }

    var base: String { "http://127.0.0.1:\(port)" }
    var seen: [Seen] { log.withLock { $0 } }
    /// Streamed responses whose reader went away before the end.
    var abandoned: Int { abandonedStreams.withLock { $0 } }
    /// The most requests this upstream was answering at once.
    var peakInFlight: Int { concurrency.withLock { $0.peak } }

    /// Runs upstreams named `names` (one server each) for the duration of `body`.
    static func with<T: Sendable>(_ names: [String], _ body: @Sendable ([TestUpstream]) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var upstreams: [TestUpstream] = []
            for name in names {
                let box = Box()
                let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
                let app = Application(
                    router: router(box),
                    configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
                    logger: Logger(label: "upstream") { _ in SwiftLogNoOpLogHandler() }
                )
                group.addTask { try await app.runService() }
                var iterator = ports.makeAsyncIterator()
                let upstream = TestUpstream(name: name, port: await iterator.next() ?? 0)
                box.set(upstream)
                upstreams.append(upstream)
            }
            defer { group.cancelAll() }
            return try await body(upstreams)
        }
    }

    /// Where the handlers find the upstream, which exists only once its port is known.
    private final class Box: Sendable {
        private let upstream = Mutex<TestUpstream?>(nil)
        func set(_ value: TestUpstream) { upstream.withLock { $0 = value } }
        var value: TestUpstream? { upstream.withLock { $0 } }
    }

    private static func router(_ box: Box) -> Router<BasicRequestContext> {
        let router = Router()
        router.on("**", method: .get) { try await answer($0, $1, box) }
        router.on("**", method: .post) { try await answer($0, $1, box) }
        router.on("**", method: .put) { try await answer($0, $1, box) }
        router.on("**", method: .delete) { try await answer($0, $1, box) }
        return router
    }

    private static func answer(_ request: Request, _ context: BasicRequestContext, _ box: Box) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 << 20)
        guard let upstream = box.value else { return Response(status: .serviceUnavailable) }
        let target = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
        upstream.log.withLock {
            $0.append(Seen(method: request.method.rawValue, target: target, headers: request.headers, body: String(buffer: body)))
        }
        let query = request.uri.queryParameters
        upstream.concurrency.withLock {
            $0.current += 1
            $0.peak = max($0.peak, $0.current)
        }
        defer { upstream.concurrency.withLock { $0.current -= 1 } }
        if let delay = query.get("delay_ms").flatMap(Int.init) { try await Task.sleep(for: .milliseconds(delay)) }
        var headers: HTTPFields = [
            .contentType: "application/json", HTTPField.Name("Keep-Alive")!: "timeout=5",
            .connection: "X-Hop", HTTPField.Name("X-Hop")!: "must not pass", HTTPField.Name("X-Upstream")!: upstream.name,
        ]
        if let usage = query.get("usage") { headers[HTTPField.Name("Portico-Usage")!] = usage }
        if let bytes = query.get("bytes").flatMap(Int.init) {
            headers[.contentType] = "application/octet-stream"
            headers[.contentLength] = String(bytes)
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { writer in
                    let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 65_536)
                    var left = bytes
                    do {
                        while left > 0 {
                            try await writer.write(chunk.getSlice(at: 0, length: min(left, chunk.readableBytes))!)
                            left -= min(left, chunk.readableBytes)
                        }
                        try await writer.finish(nil)
                    } catch {
                        upstream.abandonedStreams.withLock { $0 += 1 }
                        throw error
                    }
                }
            )
        }
        if query.get("endless") != nil {
            headers[.contentType] = "text/plain"
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { writer in
                    do {
                        while true {
                            try await writer.write(ByteBuffer(string: String(repeating: "tick\n", count: 1_000)))
                            try await Task.sleep(for: .milliseconds(5))
                        }
                    } catch {
                        upstream.abandonedStreams.withLock { $0 += 1 }
                        throw error
                    }
                }
            )
        }
        if let status = query.get("status").flatMap(Int.init) {
            headers[HTTPField.Name("X-Upstream-Error")!] = "yes"
            let text = #"{"upstream_error":"the upstream's own words","status":\#(status)}"#
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let echo = #"{"upstream":"\#(upstream.name)","method":"\#(request.method.rawValue)","path":"\#(request.uri.path)"}"#
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: echo)))
    }
}
