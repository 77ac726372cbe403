import Foundation
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
    func poll(_ path: String, key: String, timeout: Duration = .seconds(15), until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
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
    static func verify(secret: String, _ received: WebhookReceiver.Received) throws -> Bool {
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return output.hasPrefix("valid")
    }
}
