import Foundation
import PorticoCore
import Testing

@testable import PorticoApp

extension APIClient {
    /// Creates a webhook endpoint and returns its id and secret.
    func createEndpoint(key: String, url: String, events: [String] = ["*"]) async throws -> (id: String, secret: String) {
        let body = try JSONSerialization.data(withJSONObject: ["url": url, "enabled_events": events])
        let response = try await send(.post, "/v1/webhook-endpoints", key: key, json: String(decoding: body, as: UTF8.self))
        try #require(response.status == .ok, "endpoint create failed: \(response.text)")
        return (try #require(response.json["id"] as? String), try #require(response.json["secret"] as? String))
    }

    /// Polls `path` until `done` holds for its JSON (real time, bounded).
    @discardableResult
    func poll(_ path: String, key: String, timeout: Duration = .seconds(60), until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let json = try await send(.get, path, key: key).json
            if done(json) { return json }
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met for \(path): \(json)")
                return json
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// The Python `standardwebhooks` package (PyPI), as an outside check that real
/// deliveries verify with a library we did not write.
enum PythonVerifier {
    /// True when `Webhook(secret).verify(body, headers)` accepts the delivery.
    static func verify(secret: String, _ received: WebhookReceiver.Received) async throws -> Bool {
        let input = try JSONSerialization.data(withJSONObject: [
            "secret": secret, "body": received.body,
            "headers": [
                "webhook-id": received.webhookID ?? "", "webhook-timestamp": received.timestamp ?? "",
                "webhook-signature": received.signature ?? "",
            ],
        ])
        let script = """
            import json, sys
            from standardwebhooks.webhooks import Webhook
            data = json.load(sys.stdin)
            try:
                Webhook(data["secret"]).verify(data["body"], data["headers"])
                print("valid")
            except Exception as error:
                print("invalid", error)
            """
        return try await PorticoProcess.python(script, input: input).hasPrefix("valid")
    }
}

extension APIClient {
    /// Posts a custom event and returns its id.
    @discardableResult
    func postEvent(key: String, type: String = "order.created", data: String = #"{"order":"o_1"}"#) async throws -> String {
        let response = try await send(.post, "/v1/events", key: key, json: #"{"type":"\#(type)","data":\#(data)}"#)
        try #require(response.status == .ok, "event create failed: \(response.text)")
        return try #require(response.json["id"] as? String)
    }

    /// The deliveries of one endpoint, newest first.
    func deliveries(key: String, endpoint: String) async throws -> [[String: Any]] {
        try await send(.get, "/v1/webhook-deliveries?endpoint=\(endpoint)&limit=100", key: key).list
    }

    /// Waits until the endpoint's only (or newest) delivery has `attempts` attempts, then returns it with its attempts.
    func delivery(key: String, endpoint: String, attempts: Int, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newest = try await deliveries(key: key, endpoint: endpoint).first, (newest["attempt_count"] as? Int ?? 0) >= attempts {
                return try await send(.get, "/v1/webhook-deliveries/\(newest["id"] as! String)", key: key).json
            }
            guard ContinuousClock.now < deadline else {
                Issue.record("no delivery of \(endpoint) reached \(attempts) attempts")
                return [:]
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    var attempts: [[String: Any]] { self["attempts"] as? [[String: Any]] ?? [] }

    /// Milliseconds between two RFC 3339 fields.
    func millisecondsBetween(_ from: String, _ to: String) -> Int64? {
        guard let start = (self[from] as? String).flatMap(RFC3339.date), let end = (self[to] as? String).flatMap(RFC3339.date) else { return nil }
        return end.milliseconds - start.milliseconds
    }
}

extension WebhookReceiver.Received {
    /// Whether its Standard Webhooks signature verifies with `secret` (`whsec_…`); false when a header is missing.
    func isSigned(with secret: String) -> Bool {
        guard let secret = WebhookSecret(text: secret), let header = signature, let id = webhookID,
            let timestamp = timestamp.flatMap({ Int64($0) })
        else { return false }
        return WebhookSignature.verify(header: header, id: id, timestamp: timestamp, body: Data(body.utf8), secret: secret)
    }
}
