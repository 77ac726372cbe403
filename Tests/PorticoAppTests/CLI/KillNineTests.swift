import Foundation
import Synchronization
import Testing

/// The real binary, under concurrent idempotent writes, killed with SIGKILL
/// at random moments, cycle after cycle (`TEST_PORTICO_KILL_CYCLES`, 20 by
/// default). Every write whose answer was lost with the process is retried
/// with its Idempotency-Key after the restart. At the end: every
/// acknowledged write exists, no key made two objects, every committed
/// event reached the receiver at least once, and the file passes
/// `PRAGMA integrity_check`.
@Suite struct KillNineTests {
    struct Ledger: Sendable {
        /// Idempotency key → the customer id its 200 acknowledged.
        var acknowledged: [String: String] = [:]
        /// Keys whose request got no answer (the process died): retried after the restart.
        var unanswered: Set<String> = []
        var kills = 0
    }

    final class LedgerBox: Sendable {
        let state = Mutex(Ledger())
    }

    static var cycles: Int { Int(ProcessInfo.processInfo.environment["TEST_PORTICO_KILL_CYCLES"] ?? "") ?? 20 }

    @Test func acknowledgedWritesSurviveRandomKills() async throws {
        let database = CLITests.temporaryDatabase()
        try await WebhookReceiver.with { receiver in
            let ledger = LedgerBox()
            var (process, url, key) = try await Self.start(database, key: nil)
            let endpoint = try await HTTP.request(
                "POST",
                "\(url)/v1/webhook-endpoints",
                key: key,
                json: #"{"url":"\#(receiver.url)","enabled_events":["customer.created"]}"#
            )
            #expect(endpoint.status == 200)

            for cycle in 0..<Self.cycles {
                // Requests cut off by the previous kill, retried with the same key and body.
                for idempotencyKey in ledger.state.withLock({ $0.unanswered }) {
                    let retry = try await Self.create(url: url, key: key, idempotencyKey: idempotencyKey)
                    #expect(retry.status == 200, "retry of \(idempotencyKey): \(retry.status) \(retry.body)")
                    ledger.state.withLock { state in
                        state.unanswered.remove(idempotencyKey)
                        state.acknowledged[idempotencyKey] = retry.body["id"] as? String
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<4 {
                        group.addTask { [url, key] in
                            for number in 0... {
                                let idempotencyKey = "c\(cycle)-w\(writer)-\(number)"
                                ledger.state.withLock { _ = $0.unanswered.insert(idempotencyKey) }
                                guard let response = try? await Self.create(url: url, key: key, idempotencyKey: idempotencyKey) else { return }
                                guard response.status == 200 else {
                                    Issue.record("\(idempotencyKey): \(response.status) \(response.body)")
                                    return
                                }
                                ledger.state.withLock { state in
                                    state.unanswered.remove(idempotencyKey)
                                    state.acknowledged[idempotencyKey] = response.body["id"] as? String
                                }
                            }
                        }
                    }
                    try await Task.sleep(for: .milliseconds(Int.random(in: 30...400)))
                    await #expect(process.stop(SIGKILL) == SIGKILL)
                    ledger.state.withLock { $0.kills += 1 }
                    try await group.waitForAll()
                }
                (process, url, _) = try await Self.start(database, key: key)
            }
            for idempotencyKey in ledger.state.withLock({ $0.unanswered }) {
                let retry = try await Self.create(url: url, key: key, idempotencyKey: idempotencyKey)
                #expect(retry.status == 200)
                ledger.state.withLock { state in
                    state.unanswered.remove(idempotencyKey)
                    state.acknowledged[idempotencyKey] = retry.body["id"] as? String
                }
            }

            let final = ledger.state.withLock { $0 }
            #expect(final.kills == Self.cycles)
            #expect(final.acknowledged.count > Self.cycles, "the writers made progress between kills")
            let customers = try await Self.all("/v1/customers", url: url, key: key)
            let byName = Dictionary(grouping: customers, by: { $0["name"] as? String ?? "" })
            let duplicated = byName.filter { $0.value.count > 1 }.keys.sorted()
            #expect(duplicated.isEmpty, "idempotency keys that made two customers: \(duplicated)")
            let ids = Set(customers.compactMap { $0["id"] as? String })
            let lost = final.acknowledged.filter { !ids.contains($0.value) }.keys.sorted()
            #expect(lost.isEmpty, "acknowledged writes missing after the kills: \(lost)")

            // Every committed customer.created event reaches the receiver at least once (same webhook-id on a retry).
            let events = Set(try await Self.all("/v1/events?type=customer.created", url: url, key: key).compactMap { $0["id"] as? String })
            #expect(events.count == customers.count)
            let deadline = ContinuousClock.now + .seconds(60)
            var undelivered = events
            while !undelivered.isEmpty, ContinuousClock.now < deadline {
                undelivered.subtract(receiver.received.compactMap(\.webhookID))
                if !undelivered.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(undelivered.isEmpty, "\(undelivered.count) committed events never delivered")
            await #expect(process.stop(SIGTERM) == 0)
            let check = try await PorticoProcess.run(["check", "--database", database])
            #expect(check.status == 0 && check.stdout.contains("integrity: ok"), "\(check.stdout)\(check.stderr)")
            print(
                "kill -9 suite: \(final.kills) kills, \(final.acknowledged.count) acknowledged writes, \(duplicated.count) duplicates, \(lost.count) lost, \(events.count) events delivered"
            )
        }
    }

    static func create(url: String, key: String, idempotencyKey: String) async throws -> (status: Int, body: [String: Any]) {
        try await HTTP.request(
            "POST",
            "\(url)/v1/customers",
            key: key,
            json: #"{"name":"\#(idempotencyKey)"}"#,
            headers: ["Idempotency-Key": idempotencyKey]
        )
    }

    /// Starts a sandbox on `database`; the first start's test key is kept for later ones.
    static func start(_ database: String, key: String?) async throws -> (PorticoProcess.Running, url: String, key: String) {
        let sandbox = try PorticoProcess.Running(
            ["sandbox", "--port", "0", "--database", database],
            environment: ["PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10"]
        )
        sandbox.drainStderr()
        let line = try #require(try JSONSerialization.jsonObject(with: Data(await sandbox.firstLine().utf8)) as? [String: Any])
        let url = try #require(line["url"] as? String)
        let seeded = try #require(((line["organizations"] as? [[String: Any]])?.first?["keys"] as? [String: String])?["test_secret"])
        return (sandbox, url, key ?? seeded)
    }

    /// Every item of a list, page by page.
    static func all(_ path: String, url: String, key: String) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        var after: String?
        repeat {
            let separator = path.contains("?") ? "&" : "?"
            let page = try await HTTP.request("GET", "\(url)\(path)\(separator)limit=100\(after.map { "&starting_after=\($0)" } ?? "")", key: key)
                .body
            let data = page["data"] as? [[String: Any]] ?? []
            items += data
            after = (page["has_more"] as? Bool == true) ? data.last?["id"] as? String : nil
        } while after != nil
        return items
    }
}
