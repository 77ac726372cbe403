import Foundation
import Testing

/// Kill -9 in the middle of a webhook attempt, restart on the same file: the
/// delivery was committed, its attempt never recorded, so it is sent again
/// with the same `webhook-id` (at least once) and then recorded as succeeded.
@Suite struct WebhookCrashTests {
    @Test func pendingDeliveryResumesAfterKill9() async throws {
        let database = CLITests.temporaryDatabase()
        // The first delivery is held until the process has died waiting for it; later ones succeed.
        let held = WebhookReceiver.Gate()
        try await WebhookReceiver.with(.first(.init(gate: held))) { receiver in
            let first = try PorticoProcess.Running(["sandbox", "--port", "0", "--database", database])
            let firstLine = await first.firstLine()
            if firstLine.isEmpty { Issue.record("sandbox said: \(await first.stderr())") }
            let line = try #require(try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any])
            let url = try #require(line["url"] as? String)
            let key = try #require(((line["organizations"] as? [[String: Any]])?.first?["keys"] as? [String: String])?["test_secret"])

            let endpoint = try await HTTP.request(
                "POST",
                "\(url)/v1/webhook-endpoints",
                key: key,
                json: #"{"url":"\#(receiver.url)","enabled_events":["*"]}"#
            )
            #expect(endpoint.status == 200)
            let event = try await HTTP.request("POST", "\(url)/v1/events", key: key, json: #"{"type":"order.created","data":{"n":1}}"#)
            let eventID = try #require(event.body["id"] as? String)
            _ = try await receiver.waitFor(1)
            await #expect(first.stop(SIGKILL) == SIGKILL)
            held.open()

            let second = try PorticoProcess.Running(["sandbox", "--port", "0", "--database", database])
            let restarted = try await #require(try JSONSerialization.jsonObject(with: Data(second.firstLine().utf8)) as? [String: Any])
            let newURL = try #require(restarted["url"] as? String)
            let received = try await receiver.waitFor(2)
            #expect(received.map(\.webhookID) == [eventID, eventID])

            let deadline = ContinuousClock.now + .seconds(60)
            var deliveries: [[String: Any]] = []
            while true {
                deliveries = try await HTTP.request("GET", "\(newURL)/v1/webhook-deliveries", key: key).body["data"] as? [[String: Any]] ?? []
                // Read after every sleep, the last included: a starved test task may wake past the deadline.
                if deliveries.first?["status"] as? String == "succeeded" || ContinuousClock.now >= deadline { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(deliveries.count == 1)
            #expect(deliveries.first?["status"] as? String == "succeeded")
            #expect(deliveries.first?["attempt_count"] as? Int == 1, "the attempt cut short by the crash was never recorded")
            await #expect(second.stop(SIGTERM) == 0)
        }
    }
}
