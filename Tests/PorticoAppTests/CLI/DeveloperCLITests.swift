import Foundation
import PorticoCore
import Testing

@testable import PorticoApp

/// The Stripe-CLI habits against a real sandbox, end to end: `portico
/// listen` forwards signed deliveries to a local receiver and its answers
/// become the attempts; `portico logs tail` prints the tenant's matching rows
/// as they are written; `portico trigger` makes events happen.
struct DeveloperCLITests {
    @Test func listenForwardsSignedDeliveriesAndRecordsTheLocalAnswer() async throws {
        let sandbox = try await PorticoProcess.sandbox()
        defer { sandbox.process.end() }
        let key = try #require(sandbox.keys["test_secret"])
        let environment = ["PORTICO_API_KEY": key, "PORTICO_URL": sandbox.url]
        try await WebhookReceiver.with { receiver in
            let listen = try PorticoProcess.Running(
                ["listen", "--forward-to", receiver.url, "--events", "customer.*"],
                environment: environment
            )
            defer { listen.end() }
            listen.drainStderr()
            let ready = await listen.firstLine()
            let secret = try #require(ready.firstMatch(of: /secret: (whsec_[A-Za-z0-9+\/=]+)/)?.1).description
            let endpoint = try #require(ready.firstMatch(of: /endpoint (we_[0-9A-Za-z]+)/)?.1).description

            let created = try await HTTP.exchange("POST", sandbox.url + "/v1/customers", key: key, json: #"{"name":"Ada"}"#)
            #expect(created.status == 200)
            let delivery = try #require(try await receiver.waitFor(1).first)
            #expect(delivery.isSigned(with: secret), "the local receiver can verify with the secret listen printed")
            #expect(delivery.body.contains(#""type":"customer.created""#))

            // The receiver's answer is the attempt, as for any endpoint.
            let recorded = try await Self.poll(sandbox, key: key, "/v1/webhook-deliveries?endpoint=\(endpoint)") { data in
                data.first?["status"] as? String == "succeeded"
            }
            let deliveryID = try #require(recorded.first?["id"] as? String)
            let detail = try await HTTP.exchange("GET", sandbox.url + "/v1/webhook-deliveries/\(deliveryID)", key: key)
            // Under a loaded machine the first forward can miss listen's 10 s deadline and be retried;
            // the attempt that succeeded is the receiver's answer, any before it timed out.
            let attempts = try #require(detail.body["attempts"] as? [[String: Any]])
            let attempt = try #require(attempts.last)
            #expect(attempt["status_code"] as? Int == 200)
            #expect(attempt["response_excerpt"] as? String == "ok")
            for earlier in attempts.dropLast() {
                #expect(earlier["error_kind"] as? String == "timeout", "\(earlier)")
            }
            let customerDeliveries = receiver.received.count
            #expect((1...attempts.count).contains(customerDeliveries), "at most one request per attempt")

            // A second listener whose local app is down: the attempt fails as refused and will be retried.
            let down = try PorticoProcess.Running(
                ["listen", "--forward-to", "http://127.0.0.1:9/hooks", "--events", "order.*"],
                environment: environment
            )
            defer { down.end() }
            down.drainStderr()
            let downReady = await down.firstLine()
            let downEndpoint = try #require(downReady.firstMatch(of: /endpoint (we_[0-9A-Za-z]+)/)?.1).description
            _ = try await HTTP.exchange("POST", sandbox.url + "/v1/events", key: key, json: #"{"type":"order.created","data":{}}"#)
            let failed = try await Self.poll(sandbox, key: key, "/v1/webhook-deliveries?endpoint=\(downEndpoint)") { data in
                data.first?["status"] as? String == "failed"
            }
            let failedDetail = try await HTTP.exchange("GET", sandbox.url + "/v1/webhook-deliveries/\(failed[0]["id"] as! String)", key: key)
            let failedAttempt = try #require((failedDetail.body["attempts"] as? [[String: Any]])?.first)
            #expect(failedAttempt["error_kind"] as? String == "refused", "\(failedAttempt)")
            #expect(receiver.received.count == customerDeliveries, "order events went to the other listener only")
            #expect(receiver.received.allSatisfy { $0.type == "customer.created" })

            // Stopping listen deletes its endpoint once the server notices.
            _ = await listen.stop()
            _ = try await Self.poll(sandbox, key: key, "/v1/webhook-endpoints") { data in
                !data.contains { $0["id"] as? String == endpoint }
            }
        }
    }

    @Test func logsTailPrintsTheTenantsMatchingRowsAsTheyAreWritten() async throws {
        let sandbox = try await PorticoProcess.sandbox()
        defer { sandbox.process.end() }
        let key = try #require(sandbox.keys["test_secret"])
        let live = try #require(sandbox.keys["live_secret"])
        let tail = try PorticoProcess.Running(["logs", "tail", "--status", "4xx", "--url", sandbox.url], environment: ["PORTICO_API_KEY": key])
        defer { tail.end() }
        tail.drainStderr()
        #expect(await tail.firstLine().contains("Tailing test-mode request logs"))
        _ = try await HTTP.exchange("GET", sandbox.url + "/v1/customers/cus_live404", key: live)
        _ = try await HTTP.exchange("GET", sandbox.url + "/v1/customers", key: key)
        let missing = try await HTTP.exchange("GET", sandbox.url + "/v1/customers/cus_test404", key: key)
        #expect(missing.status == 404)
        let line = await tail.firstLine()
        #expect(line.contains("404  GET /v1/customers/cus_test404"), "neither the 200 nor the other mode's 404 came first: \(line)")
        #expect(line.hasSuffix(try #require(missing.body["request_id"] as? String)))
    }

    @Test func triggerMakesEventsHappenAndRefusesPorticosOwn() async throws {
        let sandbox = try await PorticoProcess.sandbox()
        defer { sandbox.process.end() }
        let key = try #require(sandbox.keys["test_secret"])
        let environment = ["PORTICO_API_KEY": key, "PORTICO_URL": sandbox.url]
        for type in ["customer.created", "customer.updated", "customer.deleted", "order.shipped"] {
            let run = try await PorticoProcess.run(["trigger", type], environment: environment)
            #expect(run.status == 0, "\(type): \(run.stderr)")
            let id = try #require(run.stdout.firstMatch(of: /(evt_[0-9A-Za-z]+)/)?.1).description
            let event = try await HTTP.exchange("GET", sandbox.url + "/v1/events/\(id)", key: key)
            #expect(event.body["type"] as? String == type)
        }
        let refused = try await PorticoProcess.run(["trigger", "webhook_endpoint.disabled"], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("emitted by Portico only"))
        let keyless = try await PorticoProcess.run(["trigger", "order.shipped", "--url", sandbox.url])
        #expect(keyless.status != 0)
        #expect(keyless.stderr.contains("PORTICO_API_KEY"))
    }

    /// Polls a list until `done` holds for its data (real time, bounded: generous, because on a
    /// loaded CI machine a listener's first attempts can time out and be retried).
    static func poll(
        _ sandbox: PorticoProcess.Sandbox,
        key: String,
        _ path: String,
        until done: ([[String: Any]]) -> Bool
    ) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(180)
        while true {
            let data = try await HTTP.exchange("GET", sandbox.url + path, key: key).body["data"] as? [[String: Any]] ?? []
            if done(data) { return data }
            try #require(ContinuousClock.now < deadline, "\(path) never got there: \(data)")
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
