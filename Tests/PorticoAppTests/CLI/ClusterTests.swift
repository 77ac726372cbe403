import Foundation
import HTTPTypes
import PorticoTestSupport
import Synchronization
import Testing

/// Several `portico serve` processes on one PostgreSQL database (issue 22,
/// docs/scaling.md): real processes, a real receiver, kill -9.
@Suite(.enabled(if: TestPostgres.isWanted, "needs the PostgreSQL test cluster"))
struct ClusterTests {
    /// Three instances sharing one database, each started as an operator would.
    private struct Cluster {
        let directory: URL
        let database: String
        var environment: [String: String]
        /// Every process started, so `dispose` stops them before their database goes.
        let started = Started()

        final class Started: Sendable {
            let processes = Mutex<[PorticoProcess.Running]>([])
        }

        static func make() async throws -> Cluster {
            let directory = try PorticoProcess.temporaryDirectory("cluster")
            let url = try await TestPostgres.shared.createDatabase()
            return Cluster(
                directory: directory,
                database: url.database,
                environment: [
                    "PORTICO_DATABASE_URL": url.description,
                    // On PostgreSQL only where each instance's request-log spill file goes.
                    "PORTICO_DATABASE_PATH": directory.appendingPathComponent("portico.sqlite").path,
                    "PORTICO_SECRETS_KEY_FILE": directory.appendingPathComponent("secrets.key").path,
                    "PORTICO_ACCOUNTS_PASSWORD_HASH_COST": "10",
                    "PORTICO_BILLING_DEFAULT_PLAN": "enterprise",
                    "PORTICO_WEBHOOKS_ALLOWED_CIDRS": "127.0.0.0/8",
                    // An attempt may take 45 s; a dead instance's deliveries are taken over 1 s after that.
                    "PORTICO_WEBHOOKS_TIMEOUT_SECONDS": "45",
                    "PORTICO_WEBHOOKS_LEASE_MARGIN_SECONDS": "1",
                ]
            )
        }

        func start() async throws -> (process: PorticoProcess.Running, url: String) {
            let process = try PorticoProcess.Running(["serve", "--port", "0"], environment: environment)
            started.processes.withLock { $0.append(process) }
            let url = try #require(await process.firstLine().split(separator: " ").last.map(String.init))
            return (process, url)
        }

        /// Starts `count` instances; the first start makes the organization whose test key is returned.
        func start(_ count: Int) async throws -> (instances: [(process: PorticoProcess.Running, url: String)], key: String) {
            let first = try await start()
            let key = try await first.process.bannerTestKey()
            var instances = [first]
            for _ in 1..<count { instances.append(try await start()) }
            for instance in instances { instance.process.drainStderr() }
            return (instances, key)
        }

        /// Stops the instances still running (SIGTERM, waiting for each), then drops their
        /// database and directory: an instance whose database is dropped first can wait
        /// on it for good while stopping (see the note of issue 22).
        func dispose() async {
            for process in started.processes.withLock({ $0 }) where process.child.isRunning { _ = await process.stop() }
            try? FileManager.default.removeItem(at: directory)
            try? await TestPostgres.shared.dropDatabase(database)
        }
    }

    @Test func aKilledInstancesDeliveriesAreTakenOverOnceEachAndEveryEventArrives() async throws {
        let cluster = try await Cluster.make()
        let first = try await cluster.start()
        let key = try await first.process.bannerTestKey()
        first.process.drainStderr()

        // The first four deliveries are held until the first instance is dead: it dies mid-attempt
        // however slowly this machine runs (a 20 s delay let one answer out first under CI's load,
        // and that delivery was rightly never sent again). The attempt timeout (45 s) only has to
        // outlast the eight creates before the kill, or the first instance would retry a held one.
        let held = WebhookReceiver.Gate()
        let slow = WebhookReceiver.Script { $0 <= 4 ? .init(gate: held) : .init() }
        try await WebhookReceiver.with(slow) { receiver in
            let endpoint = try await HTTP.request(
                "POST",
                "\(first.url)/v1/webhook-endpoints",
                key: key,
                json: #"{"url":"\#(receiver.url)","enabled_events":["customer.created"]}"#
            )
            #expect(endpoint.status == 200, "\(endpoint.body)")
            // Events committed while the first instance is alone, so it sends the first four
            // (as many as `per_endpoint_concurrency` lets it) and is mid-attempt when it dies.
            var events: Set<String> = []
            for number in 0..<8 {
                events.insert(try await Self.createCustomer(on: first.url, key: key, name: "first \(number)"))
            }
            let inFlight = try await receiver.waitFor(4)
            // Killed while all four are in flight (the receiver holds each): the two
            // instances started next must take them over, but only once their lease has ended.
            #expect(await first.process.stop(SIGKILL) == SIGKILL)
            // Their answers go to a dead connection, long before the lease ends and they are sent again.
            held.open()
            let second = try await cluster.start()
            second.process.drainStderr()
            defer { second.process.end() }
            let third = try await cluster.start()
            third.process.drainStderr()
            defer { third.process.end() }
            let orphaned = Set(inFlight.prefix(4).compactMap(\.webhookID))

            // Traffic goes on through the other two, concurrently.
            try await withThrowingTaskGroup(of: String.self) { group in
                for number in 0..<16 {
                    let url = number.isMultiple(of: 2) ? second.url : third.url
                    group.addTask { try await Self.createCustomer(on: url, key: key, name: "after \(number)") }
                }
                for try await event in group { events.insert(event) }
            }

            // Every committed event arrives; the dead instance's four again, under the same webhook-id.
            let received = try await Self.waitFor(events, resent: orphaned, at: receiver)
            var idsByEvent: [String: Set<String>] = [:]
            for delivery in received {
                guard let event = delivery.json["id"] as? String, let id = delivery.webhookID else { continue }
                idsByEvent[event, default: []].insert(id)
            }
            #expect(Set(idsByEvent.keys).isSuperset(of: events))
            #expect(idsByEvent.values.allSatisfy { $0.count == 1 }, "one webhook-id per event, retries included")
            for id in orphaned {
                #expect(received.filter { $0.webhookID == id }.count >= 2, "\(id) was sent again by an instance still alive")
            }
            #expect(receiver.overlappingWebhookIDs.isEmpty, "no delivery was attempted twice at once")
        }
        await cluster.dispose()
    }

    @Test func aKeyRevokedOnOneInstanceIsRefusedByTheOthersWithinASecond() async throws {
        let cluster = try await Cluster.make()
        let (instances, key) = try await cluster.start(3)
        defer { for instance in instances { instance.process.end() } }
        let (first, second, third) = (instances[0], instances[1], instances[2])

        let created = try await HTTP.request("POST", "\(first.url)/v1/keys", key: key, json: #"{"kind":"secret","label":"doomed"}"#)
        let doomed = try #require(created.body["secret"] as? String, "\(created.body)")
        let doomedID = try #require(created.body["id"] as? String)
        // Each instance has the key in its cache.
        for url in [first.url, second.url, third.url] {
            #expect(try await HTTP.request("GET", "\(url)/v1/customers", key: doomed).status == 200)
        }
        let revoked = try await HTTP.request("POST", "\(second.url)/v1/keys/\(doomedID)/revoke", key: key, json: "{}")
        #expect(revoked.status == 200, "\(revoked.body)")
        let deadline = ContinuousClock.now + .seconds(1)
        for url in [first.url, third.url] {
            var status = 0
            repeat {
                status = try await HTTP.request("GET", "\(url)/v1/customers", key: doomed).status
            } while status == 200 && ContinuousClock.now < deadline
            #expect(status == 401, "\(url) refuses the revoked key within a second of the revoke's answer")
        }
        await cluster.dispose()
    }

    @Test func threeInstancesTogetherAdmitNoMoreThanAKeysLimit() async throws {
        // 30 requests a minute per key, and no other limit in the way; 90 requests at once,
        // 30 to each instance: each alone would admit all of its 30.
        let (statuses, directory) = try await Self.requestsAtOnce(90, limits: #""per_minute": 30, "daily_quota": null"#)
        let admitted = statuses.count { $0.status == 200 }
        #expect(admitted <= 30, "the stated bound: never more than the limit across instances (admitted \(admitted))")
        #expect(admitted > 0)
        #expect(statuses.allSatisfy { $0.status == 200 || ($0.status == 429 && $0.code == "rate_limited") }, "\(statuses)")
        // Three instances in one directory, each with a spill file of its own.
        let spills = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("-logspill") }
        #expect(Set(spills) == ["portico.sqlite-logspill", "portico.sqlite-logspill.2", "portico.sqlite-logspill.3"])
        try? FileManager.default.removeItem(at: directory)
    }

    @Test func threeInstancesTogetherAdmitNoMoreThanADailyQuota() async throws {
        // 60 requests at once, 20 to each instance, on a daily quota of 20.
        let (statuses, directory) = try await Self.requestsAtOnce(60, limits: #""per_minute": null, "daily_quota": 20"#)
        let admitted = statuses.count { $0.status == 200 }
        #expect(admitted <= 20, "never more than the quota across instances (admitted \(admitted))")
        #expect(admitted > 0)
        #expect(statuses.allSatisfy { $0.status == 200 || ($0.status == 429 && $0.code == "quota_exceeded") }, "\(statuses)")
        try? FileManager.default.removeItem(at: directory)
    }

    @Test func usageMeteredOnOneInstanceCountsAgainstAMetricQuotaOnTheOthers() async throws {
        var cluster = try await Cluster.make()
        try await WebhookReceiver.with { upstream in
            // A gateway route costing one token per call, on a test-mode quota of 20 tokens a month.
            let route =
                #"{"path": "/v1/completions", "methods": ["POST"], "upstream": "UP", "test_upstream": "UP", "scopes": ["completions:write"], "metric": "tokens", "cost": 1}"#
                .replacingOccurrences(of: "UP", with: "http://127.0.0.1:\(upstream.port)")
            let config =
                #"{"gateway": {"scopes": {"completions:write": "Create completions"}, "metrics": {"tokens": "Tokens"}, "routes": [ROUTE]}, "plans": {"enterprise": {"test": {"metric_quotas": {"tokens": 20}}}}}"#
                .replacingOccurrences(of: "ROUTE", with: route)
            let file = cluster.directory.appendingPathComponent("portico.json")
            try Data(config.utf8).write(to: file)
            cluster.environment["PORTICO_CONFIG"] = file.path
            let (instances, key) = try await cluster.start(2)
            let (first, second) = (instances[0].url, instances[1].url)
            func call(_ url: String) async throws -> (status: Int, limit: String?) {
                let answer = try await HTTP.request("POST", "\(url)/v1/completions", key: key, json: "{}")
                return (answer.status, answer.body["limit"] as? String)
            }
            /// Calls `url` until refused (at most `limit` times, `pause` apart): how many were admitted, and the refusal.
            func untilRefused(
                _ url: String,
                limit: Int,
                pause: Duration = .zero
            ) async throws -> (admitted: Int, refusal: (status: Int, limit: String?)?) {
                var admitted = 0
                for _ in 0..<limit {
                    let answer = try await call(url)
                    guard answer.status == 200 else { return (admitted, answer) }
                    admitted += 1
                    try await Task.sleep(for: pause)
                }
                return (admitted, nil)
            }
            // The second instance counts one token, then the first spends the rest.
            #expect(try await call(second).status == 200)
            let spent = try await untilRefused(first, limit: 40)
            // 19, or 20 when the second's token was not shared yet (the bound: one settle's usage).
            #expect((19...20).contains(spent.admitted), "admitted \(spent.admitted)")
            #expect(spent.refusal.map { $0 == (429, "tokens-monthly-quota") } == true)
            // Alone, the second instance would admit 19 more on its own count; it sees the
            // first's usage within a settle (~250 ms) and refuses.
            let late = try await untilRefused(second, limit: 40, pause: .milliseconds(500))
            #expect(late.refusal.map { $0 == (429, "tokens-monthly-quota") } == true, "\(String(describing: late.refusal))")
            #expect(late.admitted <= 4, "the stated bound: a settle's usage, not the 19 the instance's own count allows (admitted \(late.admitted))")
            #expect(upstream.received.count == 1 + spent.admitted + late.admitted)
        }
        await cluster.dispose()
    }

    @Test func aListenersDeliveriesAreSentByTheInstanceHoldingItsConnectionOnly() async throws {
        let cluster = try await Cluster.make()
        let (instances, key) = try await cluster.start(2)
        let (first, second) = (instances[0].url, instances[1].url)
        try await WebhookReceiver.with { receiver in
            // `portico listen` holds its connection to the first instance.
            let listen = try PorticoProcess.Running(
                ["listen", "--forward-to", receiver.url, "--events", "customer.*"],
                environment: ["PORTICO_API_KEY": key, "PORTICO_URL": first]
            )
            defer { listen.end() }
            listen.drainStderr()
            let endpoint = try #require(await listen.firstLine().firstMatch(of: /endpoint (we_[0-9A-Za-z]+)/)?.1).description
            // Events committed on both instances; each wakes both dispatchers.
            var events: Set<String> = []
            for number in 0..<6 {
                events.insert(try await Self.createCustomer(on: number % 2 == 0 ? second : first, key: key, name: "listened \(number)"))
            }
            let deadline = ContinuousClock.now + .seconds(60)
            var deliveries: [[String: Any]] = []
            repeat {
                try await Task.sleep(for: .milliseconds(100))
                let page = try await HTTP.request("GET", "\(second)/v1/webhook-deliveries?endpoint=\(endpoint)&limit=100", key: key)
                deliveries = page.body["data"] as? [[String: Any]] ?? []
            } while deliveries.count { $0["status"] as? String == "succeeded" } < events.count && ContinuousClock.now < deadline
            // The second instance never claimed one it could not send (that attempt would be "refused"):
            // each succeeded, at its first attempt unless a loaded machine let listen's 10 s forward
            // deadline pass first (a "timeout", as in DeveloperCLITests).
            #expect(deliveries.count == events.count)
            #expect(deliveries.allSatisfy { $0["status"] as? String == "succeeded" }, "\(deliveries)")
            for delivery in deliveries where delivery["attempt_count"] as? Int != 1 {
                let id = try #require(delivery["id"] as? String)
                let detail = try await HTTP.request("GET", "\(second)/v1/webhook-deliveries/\(id)", key: key)
                let attempts = try #require(detail.body["attempts"] as? [[String: Any]])
                for earlier in attempts.dropLast() {
                    #expect(earlier["error_kind"] as? String == "timeout", "\(earlier)")
                }
            }
            #expect(Set(receiver.received.compactMap { $0.json["id"] as? String }) == events)
        }
        await cluster.dispose()
    }

    @Test func aReloadSentToOneInstanceReachesTheOthers() async throws {
        var cluster = try await Cluster.make()
        let file = cluster.directory.appendingPathComponent("portico.json")
        try Data(#"{"gateway": {"routes": []}}"#.utf8).write(to: file)
        cluster.environment["PORTICO_CONFIG"] = file.path
        let (instances, key) = try await cluster.start(2)
        defer { for instance in instances { instance.process.end() } }
        let (first, second) = (instances[0], instances[1])
        #expect(try await HTTP.request("GET", "\(second.url)/v1/orders/1", key: key).body["code"] as? String == "route_not_found")

        // A route added to the file; only the first instance is sent SIGHUP.
        let route =
            #"{"path": "/v1/orders/{id}", "methods": ["GET"], "upstream": "http://127.0.0.1:9", "test_upstream": "http://127.0.0.1:9", "scopes": ["orders:read"]}"#
        try Data(#"{"gateway": {"scopes": {"orders:read": "Read orders"}, "routes": [\#(route)]}}"#.utf8).write(to: file)
        first.process.child.signal(SIGHUP)
        let deadline = ContinuousClock.now + .seconds(60)
        var code: String?
        repeat {
            try await Task.sleep(for: .milliseconds(50))
            code = try await HTTP.request("GET", "\(second.url)/v1/orders/1", key: key).body["code"] as? String
        } while code == "route_not_found" && ContinuousClock.now < deadline
        let firstCode = try await HTTP.request("GET", "\(first.url)/v1/orders/1", key: key).body["code"] as? String
        #expect(firstCode != "route_not_found", "the first instance reloaded (\(firstCode ?? "no code"))")
        #expect(code != "route_not_found", "the second instance serves the route (its upstream is down: \(code ?? "no code"))")
        await cluster.dispose()
    }

    /// Starts three instances on a plan with `limits` (a key's `per_minute` and the tenant's
    /// `daily_quota`, nothing else), sends `count` requests at once spread over them, stops
    /// them; each answer's status and problem code, and the cluster's directory (left for the caller).
    private static func requestsAtOnce(_ count: Int, limits: String) async throws -> (statuses: [(status: Int, code: String?)], directory: URL) {
        var cluster = try await Cluster.make()
        let plan = #"{"name": "Shared", "currency": "usd", "base_price": 0, "overage_per_1000": null, "live": LIMITS, "test": LIMITS}"#
            .replacingOccurrences(of: "LIMITS", with: #"{"per_second": null, "organization_per_minute": null, \#(limits)}"#)
        cluster.environment["PORTICO_PLANS"] = #"{"shared": \#(plan)}"#
        cluster.environment["PORTICO_BILLING_DEFAULT_PLAN"] = "shared"
        let (instances, key) = try await cluster.start(3)
        let statuses = try await withThrowingTaskGroup(of: (status: Int, code: String?).self) { group in
            for number in 0..<count {
                let url = instances[number % 3].url
                group.addTask {
                    let answer = try await HTTP.request("GET", "\(url)/v1/customers?limit=1", key: key)
                    return (answer.status, answer.body["code"] as? String)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for instance in instances { _ = await instance.process.stop() }
        try? await TestPostgres.shared.dropDatabase(cluster.database)
        return (statuses, cluster.directory)
    }

    /// Creates a customer; returns the id of the `customer.created` event it committed.
    private static func createCustomer(on url: String, key: String, name: String) async throws -> String {
        let created = try await HTTP.request("POST", "\(url)/v1/customers", key: key, json: #"{"name":"\#(name)"}"#)
        let customer = try #require(created.body["id"] as? String, "\(created.body)")
        let events = try await HTTP.request("GET", "\(url)/v1/events?limit=100", key: key)
        let event = (events.body["data"] as? [[String: Any]])?.first {
            (($0["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? String == customer
        }
        return try #require(event?["id"] as? String, "the customer.created event of \(customer)")
    }

    /// The receiver's deliveries once every one of `events` has arrived and each of `resent`
    /// (webhook ids) twice (two minutes at most).
    private static func waitFor(
        _ events: Set<String>,
        resent: Set<String>,
        at receiver: WebhookReceiver
    ) async throws -> [WebhookReceiver.Received] {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let received = receiver.received
            let arrived = Set(received.compactMap { $0.json["id"] as? String })
            let again = resent.filter { id in received.count { $0.webhookID == id } >= 2 }
            if arrived.isSuperset(of: events) && again.count == resent.count || ContinuousClock.now > deadline { return received }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
