import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PorticoCore

/// `portico listen`: a Portico's webhook deliveries on a laptop no one can reach.
struct Listen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive the key's mode's webhook deliveries from a Portico and forward them, signed, to a local URL.",
        discussion: """
            Opens a stream that makes a temporary webhook endpoint (deleted when listen stops) and prints its \
            signing secret; each delivery is posted to --forward-to with its Standard Webhooks headers, and the \
            local answer is reported back as the attempt, so it shows in the dashboard and retries like any other.
            """
    )

    @OptionGroup var remote: RemoteOptions

    @Option(name: .customLong("forward-to"), help: "The local URL to post each delivery to.")
    var forwardTo: String

    @Option(name: .customLong("events"), help: "Event types or wildcards to receive, comma-separated or repeated (default *).")
    var events: [String] = []

    func validate() throws {
        guard let url = URL(string: forwardTo), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--forward-to must be an http or https URL")
        }
    }

    func run() async throws {
        let api = try remote.api()
        let wanted = events.flatMap { $0.split(separator: ",").map(String.init) }
        let path = "/v1/webhook-endpoints/listen" + (wanted.isEmpty ? "" : "?enabled_events=" + RemoteAPI.query(wanted.joined(separator: ",")))
        let stream: AsyncThrowingStream<ServerSentEvent, any Error>
        do {
            stream = try await api.events(path)
        } catch {
            CLI.fail("could not listen: \(error)", code: 1)
        }
        let target = forwardTo
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var endpoint = ""
                for try await event in stream {
                    let data = RemoteAPI.json(event.data)
                    switch event.event {
                    case "ready":
                        endpoint = data["endpoint_id"] as? String ?? ""
                        let mode = (data["livemode"] as? Bool) == true ? "live" : "test"
                        CLI.printLine(
                            "Ready! Forwarding \(mode)-mode deliveries to \(target). Webhook signing secret: \(data["secret"] as? String ?? "?") (endpoint \(endpoint))"
                        )
                    case "delivery":
                        let id = endpoint
                        group.addTask { await Self.forward(data, to: target, endpoint: id, api: api) }
                    default:
                        break
                    }
                }
            }
        } catch {
            CLI.fail("the stream from \(api.base) broke: \(error)", code: 1)
        }
        CLI.fail("the stream from \(api.base) ended", code: 1)
    }

    /// Posts one delivery to the local URL and reports what came back.
    static func forward(_ delivery: [String: Any], to target: String, endpoint: String, api: RemoteAPI) async {
        let deliveryID = delivery["delivery_id"] as? String ?? ""
        let type = delivery["event_type"] as? String ?? "?"
        CLI.printLine("\(Self.now())  --> \(type) [\(deliveryID)] attempt \(delivery["attempt"] as? Int ?? 1)")
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Portico-Webhooks/1 (portico listen)")
        for (name, value) in delivery["headers"] as? [String: String] ?? [:] { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: delivery["body"] as? String ?? ""))
        var report: [String: Any] = ["delivery_id": deliveryID, "attempt": delivery["attempt"] as? Int ?? 1]
        do {
            let response = try await Self.forwarder.execute(request, timeout: .seconds(10))
            // Like the dispatcher: the start of the body is kept, the rest not read.
            var body = ByteBuffer()
            for try await part in response.body {
                body.writeImmutableBuffer(part)
                if body.readableBytes >= Self.excerptBytes { break }
            }
            report["status"] = Int(response.status.code)
            report["body"] = String(decoding: body.readableBytesView.prefix(Self.excerptBytes), as: UTF8.self)
            CLI.printLine("\(Self.now())  <-- [\(response.status.code)] POST \(target) [\(deliveryID)]")
        } catch {
            let text = "\(error)"
            let kind =
                text.localizedCaseInsensitiveContains("refused")
                ? "refused"
                : text.localizedCaseInsensitiveContains("timeout") || text.localizedCaseInsensitiveContains("deadline")
                    ? "timeout"
                    : text.localizedCaseInsensitiveContains("ssl") || text.localizedCaseInsensitiveContains("tls") ? "tls" : "network"
            report["error"] = kind
            report["message"] = String(text.prefix(400))
            CLI.printLine("\(Self.now())  <-- [\(kind)] POST \(target) [\(deliveryID)]: \(text.prefix(200))")
        }
        do {
            let answer = try await api.send(.POST, "/v1/webhook-endpoints/\(endpoint)/listen-results", json: RemoteAPI.encode(report))
            if answer.status != 200 {
                CLI.printError("could not report \(deliveryID): \(RemoteAPI.problem(status: answer.status, body: answer.body))")
            }
        } catch {
            CLI.printError("could not report \(deliveryID): \(error)")
        }
    }

    static func now() -> String { RFC3339.string(milliseconds: Int64(Date().timeIntervalSince1970 * 1_000)) }

    /// How much of the local answer is reported (the server keeps at most its own excerpt length).
    static let excerptBytes = 64 << 10

    /// Posts to the local URL as the dispatcher would: a 3xx is the answer, never followed.
    /// Lives as long as the process (an HTTPClient must be shut down before it is freed).
    static let forwarder = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow)
    )
}

/// `portico logs tail`.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Request logs of a Portico.", subcommands: [Tail.self])

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the key's organization and mode's request logs as they are written.")

        @OptionGroup var remote: RemoteOptions

        @Option(help: "A status (404) or a class (4xx).")
        var status: String?

        @Option(help: "Only paths starting with this (/v1/customers).")
        var path: String?

        @Option(help: "Only this method (GET, POST…).")
        var method: String?

        @Flag(help: "Print each row as the API's JSON, one per line.")
        var json = false

        func validate() throws {
            if let status, Int(status) == nil, !(status.count == 3 && status.hasSuffix("xx") && status.first.map { "12345".contains($0) } == true) {
                throw ValidationError("--status must be a status (404) or a class (4xx)")
            }
        }

        func run() async throws {
            let api = try remote.api()
            var query: [String] = []
            if let status { query.append((Int(status) != nil ? "status=" : "status_class=") + status) }
            if let path { query.append("path_prefix=" + RemoteAPI.query(path)) }
            if let method { query.append("method=" + RemoteAPI.query(method.uppercased())) }
            let stream: AsyncThrowingStream<ServerSentEvent, any Error>
            do {
                stream = try await api.events("/v1/request-logs/stream" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
            } catch {
                CLI.fail("could not tail: \(error)", code: 1)
            }
            do {
                for try await event in stream {
                    switch event.event {
                    case "ready":
                        let mode = (RemoteAPI.json(event.data)["livemode"] as? Bool) == true ? "live" : "test"
                        CLI.printLine("Tailing \(mode)-mode request logs of \(api.base) (Ctrl-C to stop)")
                    case "request_log":
                        guard !json else {
                            CLI.printLine(event.data)
                            continue
                        }
                        let row = RemoteAPI.json(event.data)
                        let milliseconds = (row["duration_ms"] as? Double).map { String(format: "%.1f ms", $0) } ?? ""
                        CLI.printLine(
                            "\(row["created_at"] as? String ?? "")  \(row["status"] as? Int ?? 0)  \(row["method"] as? String ?? "") \(row["path"] as? String ?? "")  \(milliseconds)  \(row["id"] as? String ?? "")"
                        )
                    default:
                        break
                    }
                }
            } catch {
                CLI.fail("the stream from \(api.base) broke: \(error)", code: 1)
            }
            CLI.fail("the stream from \(api.base) ended", code: 1)
        }
    }
}

/// `portico trigger`: make an event happen, the way its real cause would.
struct Trigger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fire a sample event: customer.* through the customers API, any of your own types through POST /v1/events.",
        discussion: """
            customer.created creates a sample customer; customer.updated also changes it; customer.deleted also \
            deletes it. Your own event types (order.shipped) are posted with sample data. Portico's other events \
            (webhook_endpoint.*, api_key.*, usage.*) happen only when their cause does.
            """
    )

    @OptionGroup var remote: RemoteOptions

    @Argument(help: "The event type, e.g. customer.created or order.shipped.")
    var eventType: String

    func run() async throws {
        let api = try remote.api()
        do {
            switch eventType {
            case "customer.created", "customer.updated", "customer.deleted":
                let created = try await Self.expect(
                    api.send(
                        .POST,
                        "/v1/customers",
                        json: #"{"name":"Sample customer","email":"sample@example.com","metadata":{"source":"portico trigger"}}"#
                    )
                )
                let id = created["id"] as? String ?? ""
                if created["livemode"] as? Bool == true { CLI.printError("note: a live-mode key; the sample customer is live data") }
                if eventType == "customer.updated" {
                    _ = try await Self.expect(api.send(.PATCH, "/v1/customers/\(id)", json: #"{"description":"Updated by portico trigger"}"#))
                }
                if eventType == "customer.deleted" { _ = try await Self.expect(api.send(.DELETE, "/v1/customers/\(id)")) }
                // The event about this customer (not another client's), among the newest of its type.
                // Reading events needs events:read; without it the trigger still happened.
                let events = try? await Self.expect(api.send(.GET, "/v1/events?limit=100&type=\(RemoteAPI.query(eventType))"))
                let event = (events?["data"] as? [[String: Any]])?.first { event in
                    ((event["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? String == id
                }
                CLI.printLine("Triggered \(eventType): \(event?["id"] as? String ?? "(its event id needs events:read)") (customer \(id))")
            default:
                let body = RemoteAPI.encode([
                    "type": eventType,
                    "data": ["object": ["id": "sample_" + Base62.random(count: 12), "object": "sample", "source": "portico trigger"]],
                ])
                let event = try await Self.expect(api.send(.POST, "/v1/events", json: body))
                CLI.printLine("Triggered \(eventType): \(event["id"] as? String ?? "?")")
            }
        } catch let failure as RemoteAPI.Failure {
            CLI.fail("could not trigger \(eventType): \(failure)", code: 1)
        }
    }

    /// The answer's JSON when it is a 200, else the server's problem as a failure.
    static func expect(_ answer: (status: Int, body: String)) throws -> [String: Any] {
        guard answer.status == 200 else { throw RemoteAPI.Failure(description: RemoteAPI.problem(status: answer.status, body: answer.body)) }
        return RemoteAPI.json(answer.body)
    }
}
