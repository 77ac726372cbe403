import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp
@testable import PorticoStore

struct RateLimitTests {
    /// A plan with only the limits a test names.
    static func plan(
        perSecond: Int? = nil,
        perMinute: Int? = nil,
        organizationPerMinute: Int? = nil,
        daily: Int? = nil,
        monthly: Int? = nil,
        overage: Int? = nil
    ) -> Plan {
        let limits = Plan.Limits(
            perSecond: perSecond,
            perMinute: perMinute,
            organizationPerMinute: organizationPerMinute,
            dailyQuota: daily,
            monthlyQuota: monthly
        )
        return Plan(name: "Tiny", currency: "usd", basePrice: 1_000, overagePer1000: overage, live: limits, test: limits)
    }

    static func make(_ plan: Plan, _ adjust: @escaping (inout PorticoConfig) -> Void = { _ in }) async throws -> TestPortico {
        let portico = try await TestPortico.make { config in
            config.plans["tiny"] = plan
            adjust(&config)
        }
        try await portico.setPlan("tiny")
        return portico
    }

    @Test func concurrentClientsGetExactlyTheAllowedNumber() async throws {
        let portico = try await Self.make(Self.plan(perMinute: 10))
        try await portico.run { (api: APIClient) async throws in
            // Over URLSession's several connections: the test client pipelines on one, so its 40
            // requests were answered one after another, and under CI's load on PostgreSQL the last
            // passed the client's 20 s timeout.
            let url = "http://127.0.0.1:\(try #require(api.client.port))/v1/customers"
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 { group.addTask { try await HTTP.request("GET", url, key: portico.testKey).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 10)
            #expect(statuses.filter { $0 == 429 }.count == 30)
            let refused = try await api.send(.get, "/v1/customers", key: portico.testKey)
            ErrorTests.expectProblem(refused, status: .tooManyRequests, code: "rate_limited")
            #expect(refused.json["limit"] as? String == "key-minute")
            #expect((refused.json["detail"] as? String)?.contains("Tiny plan") == true)
            let retry = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(retry))
            #expect(refused.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "0")
            #expect(refused.headers[HTTPField.Name("X-RateLimit-Limit")!] == "10")
            #expect(portico.runtime.metrics.exposition().contains(#"portico_rate_limit_hits_total{limit="key-minute"} 31"#))
        }
    }

    /// The X-RateLimit trio always describes one limit, the one with the fewest
    /// requests left, and Remaining is the least `r` of the RateLimit header:
    /// a burst bucket and a minute window no longer take turns by fraction.
    @Test func theXRateLimitTrioNamesTheLimitWithTheFewestRequestsLeft() async throws {
        let portico = try await Self.make(Self.plan(perSecond: 10, perMinute: 12, daily: 1_000))
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<12 {
                let response = try await api.send(.get, "/v1/customers", key: portico.testKey)
                // A tenth of a second per request on the injected clock: the burst bucket gets its
                // token back whatever the machine's speed, so only the minute window runs down.
                portico.clock.advance(by: 0.1)
                #expect(response.status == .ok)
                let state = try #require(response.headers[HTTPField.Name("RateLimit")!])
                let remainders = state.split(separator: ",").compactMap { item -> (name: String, r: Int)? in
                    let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    guard let r = parts.first(where: { $0.hasPrefix("r=") }).flatMap({ Int($0.dropFirst(2)) }) else { return nil }
                    return (parts[0].trimmingCharacters(in: CharacterSet(charactersIn: "\"")), r)
                }
                let fewest = try #require(remainders.min { $0.r < $1.r })
                let remaining = try #require(response.headers[HTTPField.Name("X-RateLimit-Remaining")!].flatMap(Int.init))
                #expect(remaining == fewest.r, "\(state)")
                let quotas = ["key-burst": 10, "key-minute": 12, "daily-quota": 1_000]
                let limit = try #require(response.headers[HTTPField.Name("X-RateLimit-Limit")!].flatMap(Int.init))
                let named = remainders.filter { $0.r == remaining }.compactMap { quotas[$0.name] }
                #expect(named.contains(limit), "X-RateLimit-Limit \(limit) is not a limit with \(remaining) left: \(state)")
            }
        }
    }

    @Test func everyAPIResponseCarriesTheHeaders() async throws {
        let portico = try await Self.make(Self.plan(perSecond: 50, perMinute: 100, organizationPerMinute: 200, daily: 1_000))
        try await portico.run { (api: APIClient) async throws in
            let ok = try await api.send(.get, "/v1/customers", key: portico.testKey)
            #expect(ok.status == .ok)
            let policy = try #require(ok.headers[HTTPField.Name("RateLimit-Policy")!])
            #expect(policy.contains(#""key-burst";q=50;w=1"#))
            #expect(policy.contains(#""key-minute";q=100;w=60"#))
            #expect(policy.contains(#""organization-minute";q=200;w=60"#))
            #expect(policy.contains(#""daily-quota";q=1000;w=86400"#))
            // The client-IP flood guard is not the authenticated caller's business…
            #expect(!policy.contains("ip-"))
            let state = try #require(ok.headers[HTTPField.Name("RateLimit")!])
            #expect(state.contains(#""key-minute";r=99;t="#))
            #expect(state.contains(#""daily-quota";r=999;t="#))
            // The tightest is the burst bucket (49/50 left is less room than 99/100? equal — then daily 999/1000): any is fine, but all three X- headers agree.
            let limit = try #require(ok.headers[HTTPField.Name("X-RateLimit-Limit")!].flatMap(Int.init))
            let remaining = try #require(ok.headers[HTTPField.Name("X-RateLimit-Remaining")!].flatMap(Int.init))
            #expect(remaining < limit)
            #expect(ok.headers[HTTPField.Name("X-RateLimit-Reset")!].flatMap(Int.init) != nil)
            for response in [
                try await api.send(.get, "/v1/customers"), try await api.send(.get, "/v1/nothing", key: portico.testKey),
                try await api.send(.get, "/v1/customers/cus_nope", key: portico.testKey),
            ] {
                #expect(response.headers[HTTPField.Name("RateLimit-Policy")!] != nil, "\(response.status)")
                #expect(response.headers[HTTPField.Name("RateLimit")!] != nil)
                #expect(response.requestID != nil)
            }
            // …but an unauthenticated request is told about it.
            let anonymous = try await api.send(.get, "/v1/customers")
            #expect(anonymous.headers[HTTPField.Name("RateLimit-Policy")!]?.contains(#""ip-minute";q=3000;w=60"#) == true)
            #expect(try await api.send(.get, "/healthz").headers[HTTPField.Name("RateLimit")!] == nil)
        }
    }

    @Test func theOrganizationLimitSpansItsKeys() async throws {
        let portico = try await Self.make(Self.plan(perMinute: 100, organizationPerMinute: 3))
        let second = try await portico.issue(NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .secret))
        try await portico.run { (api: APIClient) async throws in
            for key in [portico.testKey, second.secret, portico.testKey] {
                #expect(try await api.send(.get, "/v1/customers", key: key).status == .ok)
            }
            let refused = try await api.send(.get, "/v1/customers", key: second.secret)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json["limit"] as? String == "organization-minute")
            // The live mode has its own budget.
            #expect(try await api.send(.get, "/v1/customers", key: portico.liveKey).status == .ok)
        }
    }

    @Test func unauthenticatedClientsAreLimitedByAddress() async throws {
        let portico = try await TestPortico.make { $0.rateLimits.ipPerMinute = 5 }
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<5 { #expect(try await api.send(.get, "/v1/customers", key: "sk_test_wrong").status == .unauthorized) }
            let refused = try await api.send(.get, "/v1/customers", key: "sk_test_wrong")
            ErrorTests.expectProblem(refused, status: .tooManyRequests, code: "rate_limited")
            #expect(refused.json["limit"] as? String == "ip-minute")
            // Even a good key is refused from that address now: the address limit comes first.
            #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .tooManyRequests)
            await portico.flushLogs()
            // Unauthenticated requests belong to no tenant, so only the SQLite file is read for them.
            if !TestEngine.isPostgres {
                let logged = try await portico.sqliteStore.pool.read { db in try RequestLogTests.allRows(db).filter { $0.status == 429 }.count }
                #expect(logged == 2)
            }
        }
    }

    @Test func routeOverridesLimitOneRoute() async throws {
        let portico = try await TestPortico.make { $0.rateLimits.routes = ["GET /v1/customers/{id}": RouteLimit(perSecond: nil, perMinute: 2)] }
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<2 { #expect(try await api.send(.get, "/v1/customers/cus_x", key: portico.testKey).status == .notFound) }
            let refused = try await api.send(.get, "/v1/customers/cus_x", key: portico.testKey)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.json["limit"] as? String == "route-minute")
            #expect(refused.headers[HTTPField.Name("RateLimit-Policy")!]?.contains(#""route-minute";q=2;w=60"#) == true)
            #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok)
        }
    }

    @Test func aDailyQuotaRefusesUntilTheNextDay() async throws {
        let portico = try await Self.make(Self.plan(daily: 3))
        // Only `advance` moves time, so Retry-After is compared with the instant it was computed at.
        portico.clock.freeze()
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<3 { #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok) }
            let refused = try await api.send(.get, "/v1/customers", key: portico.testKey)
            ErrorTests.expectProblem(refused, status: .tooManyRequests, code: "quota_exceeded")
            #expect(refused.json["limit"] as? String == "daily-quota")
            let retry = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            let now = portico.clock.nowMilliseconds
            #expect(abs(Int64(retry) - (CivilTime.dayStart(now) + 86_400_000 - now + 999) / 1_000) <= 1)
            portico.clock.advance(by: TimeInterval(retry))
            #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok)
        }
    }

    @Test func aLiveMonthlyQuotaWithOverageBillsInsteadOfRefusing() async throws {
        let portico = try await Self.make(Self.plan(monthly: 2, overage: 50))
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<4 { #expect(try await api.send(.get, "/v1/customers", key: portico.liveKey).status == .ok) }
            // Test mode is never billed, so the same quota is hard there.
            for _ in 0..<2 { #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok) }
            #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).json["code"] as? String == "quota_exceeded")
        }
    }

    @Test func aRestartDoesNotResetTheQuota() async throws {
        let portico = try await Self.make(Self.plan(daily: 3))
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<3 { #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok) }
            await portico.flushLogs()
            // A fresh admission control (as after a restart) reads the committed usage.
            let restarted = AdmissionControl(config: portico.runtime.config, store: portico.store, clock: portico.clock)
            let principal = try #require(try await portico.runtime.authenticator.principal(for: Substring(portico.testKey)))
            var states: [LimitState] = []
            try await restarted.admit(principal, into: &states)
            #expect(states.first { $0.policy.name == "daily-quota" }?.refused == true)
        }
    }
}

extension RateLimitTests {
    @Test func runLengthTallyCountsRunsAndRepeats() {
        var tally = RunLengthTally<String>()
        for key in ["a", "a", "b", "a", "c", "c", "c", "a"] { tally.add(key) }
        #expect(tally.counts == ["a": 4, "b": 1, "c": 3])
        #expect(RunLengthTally<Int>().counts.isEmpty)
    }
}
