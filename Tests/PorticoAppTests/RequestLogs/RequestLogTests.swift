import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp
@testable import PorticoStore

struct RequestLogTests {
    @Test func everyAPIRequestIsLoggedWithItsFacts() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let created = try await api.send(
                .post,
                "/v1/customers",
                key: portico.testKey,
                json: #"{"name":"Ada"}"#,
                headers: [.userAgent: "acme-sdk/1.2"]
            )
            let missing = try await api.send(.get, "/v1/customers/cus_nope", key: portico.testKey)
            let unknownRoute = try await api.send(.get, "/v1/nothing-here", key: portico.testKey)
            let unauthenticated = try await api.send(.get, "/v1/customers")
            _ = try await api.send(.get, "/healthz")
            await portico.flushLogs()

            let logs = try await api.send(.get, "/v1/request-logs?limit=100", key: portico.testKey)
            #expect(logs.status == .ok)
            let byID = Dictionary(uniqueKeysWithValues: logs.list.map { ($0["id"] as! String, $0) })
            let createdID = try #require(created.requestID)
            let first = try #require(byID[createdID])
            #expect(first["object"] as? String == "request_log")
            #expect(first["method"] as? String == "POST")
            #expect(first["path"] as? String == "/v1/customers")
            #expect(first["route"] as? String == "/v1/customers")
            #expect(first["status"] as? Int == 200)
            #expect(first["livemode"] as? Bool == false)
            #expect((first["key_id"] as? String)?.hasPrefix("key_") == true)
            #expect(first["ip"] as? String == "127.0.0.1")
            #expect(first["user_agent"] as? String == "acme-sdk/1.2")
            #expect((first["duration_ms"] as? Double).map { $0 >= 0 } == true)
            #expect(first["request_body"] is NSNull && first["response_body"] is NSNull)
            #expect(byID[missing.requestID!]?["status"] as? Int == 404)
            #expect(byID[missing.requestID!]?["route"] as? String == "/v1/customers/{id}")
            #expect(byID[unknownRoute.requestID!]?["status"] as? Int == 404)
            // The unauthenticated 401 is logged too, but belongs to no tenant, so no key can list it.
            #expect(byID[unauthenticated.requestID!] == nil)
            let rows = try await portico.sqliteStore.pool.read { db in
                try Self.allRows(db).filter { $0.requestId == unauthenticated.requestID! }
            }
            #expect(rows.count == 1 && rows.first?.status == 401 && rows.first?.organizationId == nil)
            // Only /v1 is logged.
            #expect(try await portico.sqliteStore.pool.read { db in try Self.allRows(db).allSatisfy { $0.path.hasPrefix("/v1") } })

            let one = try await api.send(.get, "/v1/request-logs/\(created.requestID!)", key: portico.testKey)
            #expect(one.json["id"] as? String == created.requestID)
        }
    }

    @Test func filtersPaginationAndTenantIsolation() async throws {
        let portico = try await TestPortico.make()
        let other = try await portico.seedOtherOrganization()
        try await portico.run { (api: APIClient) async throws in
            for _ in 0..<3 { _ = try await api.send(.get, "/v1/customers", key: portico.testKey) }
            _ = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"x"}"#)
            _ = try await api.send(.get, "/v1/customers/cus_missing", key: portico.testKey)
            let live = try await api.send(.get, "/v1/customers", key: portico.liveKey)
            let foreign = try await api.send(.get, "/v1/customers", key: other.keys.testSecret)
            await portico.flushLogs()

            func ids(_ query: String, key: String? = nil) async throws -> [String] {
                let response = try await api.send(.get, "/v1/request-logs\(query)", key: key ?? portico.testKey)
                #expect(response.status == .ok, "\(query): \(response.text)")
                return response.list.map { $0["id"] as! String }
            }
            #expect(try await ids("?status=404").count == 1)
            // (The log queries themselves are logged too, so narrow to the customer calls.)
            #expect(try await ids("?status_class=2xx&path_prefix=/v1/customers").count == 4)
            #expect(try await ids("?method=POST").count == 1)
            #expect(try await ids("?path_prefix=/v1/customers/").count == 1)
            // Newest first, and cursors walk the same order.
            let all = try await ids("?path_prefix=/v1/customers&limit=100")
            #expect(all.count == 5 && all == all.sorted(by: >))
            let page1 = try await api.send(.get, "/v1/request-logs?path_prefix=/v1/customers&limit=2", key: portico.testKey)
            #expect(page1.json["has_more"] as? Bool == true)
            let page2 = try await ids("?path_prefix=/v1/customers&limit=2&starting_after=\(page1.list.last!["id"] as! String)")
            #expect(page1.list.map { $0["id"] as! String } + page2 == Array(all.prefix(4)))
            let back = try await ids("?path_prefix=/v1/customers&limit=2&ending_before=\(page2.first!)")
            #expect(back == page1.list.map { $0["id"] as! String })
            // Time range: nothing before the test began, everything up to now.
            #expect(try await ids("?until=2020-01-01T00:00:00Z").isEmpty)
            #expect(try await ids("?since=2020-01-01T00:00:00Z&limit=100").count >= 5)

            // Isolation: the live key sees only its own request; the other org sees only its own; ids do not cross.
            #expect(try await ids("?limit=100", key: portico.liveKey).contains(live.requestID!))
            #expect(!(try await ids("?limit=100", key: portico.liveKey)).contains(where: all.contains))
            #expect(try await ids("?limit=100", key: other.keys.testSecret).allSatisfy { !all.contains($0) })
            let crossTenant = try await api.send(.get, "/v1/request-logs/\(foreign.requestID!)", key: portico.testKey)
            ErrorTests.expectProblem(crossTenant, status: .notFound, code: "resource_not_found")
            let crossMode = try await api.send(.get, "/v1/request-logs/\(live.requestID!)", key: portico.testKey)
            ErrorTests.expectProblem(crossMode, status: .notFound, code: "resource_not_found")
            let foreignCursor = try await api.send(.get, "/v1/request-logs?starting_after=\(foreign.requestID!)", key: portico.testKey)
            ErrorTests.expectProblem(foreignCursor, status: .badRequest, code: "invalid_cursor", param: "starting_after")
        }
    }

    @Test(arguments: [
        ("status=abc", "status"), ("status_class=6xx", "status_class"), ("since=yesterday", "since"), ("colour=red", "colour"),
        ("method=BREW", "method"),
    ])
    func badFiltersAreRefusedByName(query: String, param: String) async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.get, "/v1/request-logs?\(query)", key: portico.testKey)
            #expect(response.status == .badRequest)
            #expect(response.json["param"] as? String == param)
        }
    }

    @Test func logsNeedTheLogsReadScope() async throws {
        let portico = try await TestPortico.make()
        let restricted = try await portico.issue(
            NewKeyRequest(organizationID: portico.organizationID, livemode: false, kind: .restricted, scopes: ["customers:read"])
        )
        try await portico.run { (api: APIClient) async throws in
            let response = try await api.send(.get, "/v1/request-logs", key: restricted.secret)
            ErrorTests.expectProblem(response, status: .forbidden, code: "insufficient_scope")
        }
    }

    @Test func bodiesAreCapturedOnlyWhenSwitchedOnAndThenRedacted() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) async throws in
            let before = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name":"Before"}"#)
            try await portico.runtime.billing.updateOrganization(id: portico.organizationID, plan: nil, bodyCapture: true, by: .cli)
            let body =
                #"{"name":"Ada","description":"card 4242 4242 4242 4242","metadata":{"password":"hunter2","api_token":"abc","note":"sk_test_abcdefghijklmnopqrstuvwx123456"}}"#
            let captured = try await api.send(.post, "/v1/customers", key: portico.testKey, json: body)
            #expect(captured.status == .ok)
            let newKey = try await api.send(.post, "/v1/keys", key: portico.testKey, json: #"{"kind":"restricted","scopes":["customers:read"]}"#)
            let secret = try #require(newKey.json["secret"] as? String)
            await portico.flushLogs()

            let plain = try await api.send(.get, "/v1/request-logs/\(before.requestID!)", key: portico.testKey).json
            #expect(plain["request_body"] is NSNull && plain["response_body"] is NSNull)
            let log = try await api.send(.get, "/v1/request-logs/\(captured.requestID!)", key: portico.testKey).json
            let requestBody = try #require(log["request_body"] as? String)
            #expect(requestBody.contains("Ada"))
            #expect(!requestBody.contains("hunter2") && !requestBody.contains("4242 4242") && !requestBody.contains("sk_test_abc"))
            #expect(!requestBody.contains(#""abc""#))
            #expect(requestBody.contains("[REDACTED]"))
            let responseBody = try #require(log["response_body"] as? String)
            #expect(responseBody.contains("cus_") && !responseBody.contains("hunter2"))
            let keyLog = try await api.send(.get, "/v1/request-logs/\(newKey.requestID!)", key: portico.testKey).json
            #expect(!(keyLog["response_body"] as? String ?? "").contains(secret))

            // Neither the caller's key nor the new secret is anywhere in the database file
            // (the customer's own metadata is stored, of course; only the log copy is redacted).
            try await portico.sqliteStore.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: portico.databasePath))
            #expect(bytes.range(of: Data(portico.testKey.utf8)) == nil)
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
        }
    }

    @Test func partitionsRollOverAndRetentionDropsWholeDays() async throws {
        let portico = try await TestPortico.make { $0.retention.requestLogsDays = 2 }
        let width = portico.runtime.partitionWidth
        try await portico.run { (api: APIClient) async throws in
            let dayOne = try await api.send(.get, "/v1/customers", key: portico.testKey)
            await portico.flushLogs()
            let firstPartition = RequestLogPartition.name(start: RequestLogPartition.start(of: portico.clock.nowMilliseconds, width: width))
            // Created ahead: today plus two more days exist before any log needs them.
            let existing = try await portico.store.requestLogPartitions(width: width).map(\.name)
            #expect(existing.count == 3 && existing.first == firstPartition)

            portico.clock.advance(by: 86_400)
            let dayTwo = try await api.send(.get, "/v1/customers", key: portico.testKey)
            await portico.flushLogs()
            let rows = try await portico.sqliteStore.pool.read { db in try Self.allRows(db) }
            let partitionOf = Dictionary(
                rows.map { ($0.requestId, RequestLogPartition.start(of: $0.createdAt, width: width)) },
                uniquingKeysWith: { a, _ in a }
            )
            #expect(partitionOf[dayOne.requestID!]! + width == partitionOf[dayTwo.requestID!]!)
            // A time-range query for day two reads day two only, and finds it.
            let since = RFC3339.string(milliseconds: partitionOf[dayTwo.requestID!]!)
            let found = try await api.send(.get, "/v1/request-logs?since=\(since)&limit=100", key: portico.testKey).list.map { $0["id"] as! String }
            #expect(found.contains(dayTwo.requestID!) && !found.contains(dayOne.requestID!))

            // Day four: with two days of retention, day one's partition has aged out entirely; day two's has not.
            portico.clock.advance(by: 2 * 86_400)
            let created = try await portico.runtime.maintainRequestLogs()
            #expect(created.count == 3)  // day four plus two ahead
            let retention = await portico.runtime.applyRetention()
            #expect(retention.deleted["request_log_partitions"] == 1 && retention.failed.isEmpty)
            let after = try await portico.store.requestLogPartitions(width: width).map(\.name)
            #expect(after.first == RequestLogPartition.name(start: partitionOf[dayTwo.requestID!]!) && after.count == 5)
            let gone = try await api.send(.get, "/v1/request-logs/\(dayOne.requestID!)", key: portico.testKey)
            #expect(gone.status == .notFound)
        }
    }

    @Test func aFullQueueDropsAndCountsInsteadOfGrowing() async throws {
        let portico = try await TestPortico.make()
        var config = PorticoConfig.RequestLogs()
        config.queueCapacity = 100
        let writer = RequestLogWriter(config: config, store: portico.store, metrics: portico.runtime.metrics, logger: TestPortico.quietLogger)
        for index in 0..<150 {
            writer.enqueue(
                PendingLog(
                    entry: RequestLogEntry(
                        createdAt: portico.clock.nowMilliseconds,
                        requestId: "req_\(index)",
                        organizationId: nil,
                        livemode: nil,
                        keyId: nil,
                        method: "GET",
                        path: "/v1/x",
                        route: nil,
                        status: 401,
                        durationMicroseconds: 1,
                        ip: nil,
                        userAgent: nil
                    ),
                    enqueuedAt: .now
                )
            )
        }
        #expect(writer.queueDepth == 100)
        #expect(writer.droppedCount == 50)
        await writer.flush()
        #expect(writer.queueDepth == 0)
        let stored = try await portico.sqliteStore.pool.read { db in try Self.allRows(db).count }
        #expect(stored == 100)
        #expect(portico.runtime.metrics.exposition().contains("portico_request_log_dropped_total 50"))
    }

    @Test func aFailedBatchGoesBackInOrderAndLaterBatchesWaitForIt() async throws {
        let portico = try await TestPortico.make()
        var config = PorticoConfig.RequestLogs()
        config.batchSize = 4
        let width = config.partitionWidth
        let writer = RequestLogWriter(config: config, store: portico.store, metrics: portico.runtime.metrics, logger: TestPortico.quietLogger)
        let today = portico.clock.nowMilliseconds
        let later = today + 40 * 86_400_000  // far past the partitions created ahead
        // Ten rows alternating in pairs between two partitions, more than two batches' worth.
        let times = (0..<10).map { ($0 / 2) % 2 == 0 ? today : later }
        for (index, time) in times.enumerated() {
            writer.enqueue(
                PendingLog(
                    entry: RequestLogEntry(
                        createdAt: time,
                        requestId: "req_\(index)",
                        organizationId: portico.organizationID,
                        livemode: false,
                        keyId: "key_x",
                        method: "GET",
                        path: "/v1/x",
                        route: nil,
                        status: 200,
                        durationMicroseconds: 1,
                        ip: nil,
                        userAgent: nil
                    ),
                    enqueuedAt: .now
                )
            )
        }
        // A table of the wrong shape under the later partition's name makes the first batch fail.
        let blocker = RequestLogPartition.name(start: RequestLogPartition.start(of: later, width: width))
        try await portico.sqliteStore.pool.write { db in try db.execute(sql: "CREATE TABLE \(blocker) (x INTEGER)") }
        await writer.flush()
        #expect(writer.queueDepth == 10)
        let todays = RequestLogPartition.name(start: RequestLogPartition.start(of: today, width: width))
        // Nothing of the failed transaction remains (here, not even the partition it created).
        #expect(
            try await portico.sqliteStore.pool.read { db in try db.tableExists(todays) ? Int.fetchOne(db, sql: "SELECT count(*) FROM \(todays)") : 0 }
                == 0
        )
        #expect(portico.runtime.metrics.exposition().contains("portico_request_log_write_failures_total 1"))

        try await portico.sqliteStore.pool.write { db in try db.execute(sql: "DROP TABLE \(blocker)") }
        await writer.flush()
        #expect(writer.queueDepth == 0)
        let stored = try await portico.sqliteStore.pool.read { db in try Self.allRows(db, width: width) }
        #expect(stored.map(\.requestId).sorted() == (0..<10).map { "req_\($0)" }.sorted())
        for row in stored {
            let index = Int(row.requestId.dropFirst(4))!
            #expect(row.createdAt == times[index])
        }
        let usage = try await portico.store.usageTotal(
            scope: portico.testScope,
            metric: UsageMetric.requests,
            from: today - 86_400_000,
            until: later + 86_400_000
        )
        #expect(usage == 10)
    }

    @Test func queuedLogsAreWrittenAtShutdown() async throws {
        // A flush interval far longer than the test: only the shutdown drain can write these rows.
        let portico = try await TestPortico.make { $0.requestLogs.flushIntervalMs = 60_000 }
        let store = portico.sqliteStore
        let requestIDs = try await buildApplication(runtime: portico.runtime).test(.live) { client in
            let api = APIClient(client: client)
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await api.send(.get, "/v1/customers", key: portico.testKey).requestID!) }
            #expect(portico.runtime.logWriter.queueDepth == 5)
            return ids
        }
        let stored = try await store.pool.read { db in try Self.allRows(db).map(\.requestId) }
        #expect(Set(requestIDs).isSubset(of: Set(stored)))
        try? FileManager.default.removeItem(at: portico.directory)
    }

    /// Every row of every partition.
    static func allRows(_ db: Database, width: Int64 = 86_400_000) throws -> [RequestLogEntry] {
        try SQLiteStore.readPartitions(db, width: width).flatMap { partition in
            try RequestLogEntry.fetchAll(db, sql: "SELECT \(RequestLogEntry.columns) FROM \(partition.name)")
        }
    }
}
