import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PorticoCore

/// Where, and with which key, `listen`, `logs tail` and `trigger` talk to a
/// running Portico — any instance, not only this machine's.
struct RemoteOptions: ParsableArguments {
    @Option(help: "The Portico to talk to (default: $PORTICO_URL, else http://127.0.0.1:8080).")
    var url: String?

    @Option(help: "An API key. Prefer $PORTICO_API_KEY: a key on the command line shows in the process list.")
    var key: String?

    func api() throws -> RemoteAPI {
        let environment = ProcessInfo.processInfo.environment
        let base = (url ?? environment["PORTICO_URL"] ?? "http://127.0.0.1:8080").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let key = key ?? environment["PORTICO_API_KEY"], !key.isEmpty else {
            throw ValidationError("an API key is needed: set PORTICO_API_KEY (or pass --key)")
        }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else { throw ValidationError("--url must be an http or https URL") }
        return RemoteAPI(base: base, key: key)
    }
}

/// A Portico's API over HTTP, with one key.
struct RemoteAPI: Sendable {
    let base: String
    let key: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One call; the answer's status and body (at most 4 MiB).
    func send(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "User-Agent", value: "portico-cli")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// The server-sent events of a stream at `path`, until it ends; throws with the server's
    /// problem when it is refused.
    func events(_ path: String) async throws -> AsyncThrowingStream<ServerSentEvent, any Error> {
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "User-Agent", value: "portico-cli")
        // A stream has no natural end: the deadline is only a bound.
        let response = try await HTTPClient.shared.execute(request, timeout: .hours(24 * 365))
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Failure(description: Self.problem(status: Int(response.status.code), body: String(buffer: body)))
        }
        return AsyncThrowingStream { continuation in
            let reader = Task {
                var parser = ServerSentEventParser()
                do {
                    for try await chunk in response.body {
                        for event in parser.feed(chunk.readableBytesView) { continuation.yield(event) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }

    /// A problem document's sentence, or the raw answer.
    static func problem(status: Int, body: String) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any], let detail = object["detail"] as? String
        else { return "HTTP \(status): \(body.prefix(500))" }
        return "HTTP \(status) \(object["code"] as? String ?? ""): \(detail)"
    }

    /// `value` as a query-string component.
    static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~*,"))) ?? value
    }

    static func json(_ text: String) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]) ?? [:]
    }

    static func encode(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
