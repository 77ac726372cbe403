import PorticoCore
import Testing

@testable import PorticoStore

/// Request logs, their partitions and the statistics written with them, as every engine must keep them.
struct RequestLogContractTests {
    private static let width = Fixtures.logWidth

    /// The entry as the caller built it: the store assigns `id`.
    private static func unnumbered(_ entries: [RequestLogEntry]) -> [RequestLogEntry] {
        entries.map { entry in
            var entry = entry
            entry.id = 0
            return entry
        }
    }

    // MARK: Partitions

    @Test(arguments: StoreEngine.all)
    func partitionsAreCreatedAheadListedOldestFirstAndDroppedByRetention(engine: StoreEngine) async throws {
        try await engine.with { store in
            let created = try await store.createRequestLogPartitions(from: Fixtures.now, through: Fixtures.now + 2 * Self.width, width: Self.width)
            let again = try await store.createRequestLogPartitions(from: Fixtures.now, through: Fixtures.now + 2 * Self.width, width: Self.width)

            #expect(created.count == 3)
            #expect(again.isEmpty)
            let partitions = try await store.requestLogPartitions(width: Self.width)
            #expect(partitions.map(\.name) == created)
            #expect(partitions.map(\.start) == [Fixtures.now, Fixtures.now + Self.width, Fixtures.now + 2 * Self.width])
            #expect(partitions.map(\.end) == [Fixtures.now + Self.width, Fixtures.now + 2 * Self.width, Fixtures.now + 3 * Self.width])

            // `from` is rounded down to its partition's start: only the one past the last is new.
            let extended = try await store.createRequestLogPartitions(
                from: Fixtures.now + Self.width / 2,
                through: Fixtures.now + 3 * Self.width + 1,
                width: Self.width
            )
            #expect(extended.count == 1)
            #expect(try await store.requestLogPartitions(width: Self.width).last?.start == Fixtures.now + 3 * Self.width)

            #expect(try await store.dropRequestLogPartitions(endingAtOrBefore: Fixtures.now + Self.width - 1, width: Self.width).isEmpty)
            #expect(try await store.dropRequestLogPartitions(endingAtOrBefore: Fixtures.now + Self.width, width: Self.width) == [created[0]])
            #expect(try await store.requestLogPartitions(width: Self.width).map(\.start).first == Fixtures.now + Self.width)
        }
    }

    @Test(arguments: StoreEngine.all)
    func droppingAPartitionDropsItsLogsButNotTheUsageTheyCounted(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let old = Fixtures.logEntry(scope, at: Fixtures.now + 1_000)
            let recent = Fixtures.logEntry(scope, at: Fixtures.now + Self.width + 1_000)
            let usage = [
                Fixtures.usageIncrement(scope, hourStart: Fixtures.now): Int64(1),
                Fixtures.usageIncrement(scope, hourStart: Fixtures.now + Self.width): 1,
            ]
            try await store.appendRequestLogs([old, recent], usage: usage, width: Self.width)

            let dropped = try await store.dropRequestLogPartitions(endingAtOrBefore: Fixtures.now + Self.width, width: Self.width)

            #expect(dropped.count == 1)
            #expect(try await store.requestLog(requestId: old.requestId, scope: scope, width: Self.width) == nil)
            #expect(try await store.requestLog(requestId: recent.requestId, scope: scope, width: Self.width) != nil)
            #expect(try await store.loggedRequestIDs([old.requestId, recent.requestId], width: Self.width) == [recent.requestId])
            #expect(try await store.usageTotal(scope: scope, metric: "requests", from: Fixtures.now, until: Fixtures.now + 2 * Self.width) == 2)
        }
    }

    // MARK: Writing

    @Test(arguments: StoreEngine.all)
    func aBatchIsReadBackWithItsUsageAndStatistics(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let entries = [
                Fixtures.logEntry(scope, at: Fixtures.now + 1_000, keyId: "key_a"),
                Fixtures.logEntry(scope, at: Fixtures.now + 2_000, method: "POST", status: 201, keyId: "key_a"),
                Fixtures.logEntry(scope, at: Fixtures.now + 3_000, path: "/v1/customers/cus_1", status: 404, keyId: "key_b"),
            ]
            let usage = [
                Fixtures.usageIncrement(scope, hourStart: Fixtures.now, keyId: "key_a"): Int64(2),
                Fixtures.usageIncrement(scope, hourStart: Fixtures.now, keyId: "key_b"): 1,
            ]
            let stats = [
                Fixtures.statIncrement(scope, hourStart: Fixtures.now, statusClass: 2, latencyBucket: 3): Int64(2),
                Fixtures.statIncrement(scope, hourStart: Fixtures.now, statusClass: 4, latencyBucket: 3): 1,
            ]

            let organization = try #require(try await store.organization(id: scope.organizationId))
            let audited = Fixtures.audit(
                "platform_key.request",
                organization: organization.id,
                target: entries[0].requestId,
                type: "request",
                at: Fixtures.now + 1_000
            )
            try await store.appendRequestLogs(entries, usage: usage, stats: stats, routeStats: [:], audit: [audited], width: Self.width)
            #expect(try await store.auditEntries(targetId: entries[0].requestId) == [audited])

            let page = try await store.requestLogs(scope: scope, filter: RequestLogFilter(), page: Fixtures.wholePage, width: Self.width)
            #expect(Self.unnumbered(page.items) == Array(entries.reversed()))
            #expect(!page.hasMore)
            // Ids are assigned in commit order: newest first is descending.
            #expect(page.items.map(\.id) == page.items.map(\.id).sorted(by: >))
            #expect(Set(page.items.map(\.id)).count == 3)
            let single = try #require(try await store.requestLog(requestId: entries[2].requestId, scope: scope, width: Self.width))
            #expect(Self.unnumbered([single]) == [entries[2]])
            #expect(try await store.loggedRequestIDs(entries.map(\.requestId) + ["req_missing"], width: Self.width) == Set(entries.map(\.requestId)))
            #expect(try await store.usageTotal(scope: scope, metric: "requests", from: Fixtures.now, until: Fixtures.now + Self.width) == 3)
            let counts = try await store.requestStats(scope: scope, from: Fixtures.now, until: Fixtures.now + Self.width)
            #expect(counts.count == 2)
            #expect(counts.first { $0.statusClass == 2 }?.count == 2)
            #expect(counts.first { $0.statusClass == 4 }?.count == 1)
            #expect(counts.allSatisfy { $0.latencyBucket == 3 })
            // The missing partition was made for the batch.
            #expect(
                try await store.requestLogPartitions(width: Self.width).contains { $0.start <= Fixtures.now + 1_000 && Fixtures.now + 1_000 < $0.end }
            )
        }
    }

    @Test(arguments: StoreEngine.all)
    func batchesAddUpInUsageAndStatistics(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let usage = [Fixtures.usageIncrement(scope, hourStart: Fixtures.now, keyId: "key_a"): Int64(2)]
            let stats = [Fixtures.statIncrement(scope, hourStart: Fixtures.now, statusClass: 2, latencyBucket: 5): Int64(2)]

            for batch in 0..<2 {
                let time = Fixtures.now + Int64(batch) * 10_000
                let entries = [Fixtures.logEntry(scope, at: time, keyId: "key_a"), Fixtures.logEntry(scope, at: time + 1, keyId: "key_a")]
                let organization = try #require(try await store.organization(id: scope.organizationId))
                let audited = Fixtures.audit(
                    "platform_key.request",
                    organization: organization.id,
                    target: entries[0].requestId,
                    type: "request",
                    at: Fixtures.now + 1_000
                )
                try await store.appendRequestLogs(entries, usage: usage, stats: stats, routeStats: [:], audit: [audited], width: Self.width)
                #expect(try await store.auditEntries(targetId: entries[0].requestId) == [audited])
            }

            #expect(
                try await store.requestLogs(scope: scope, filter: RequestLogFilter(), page: Fixtures.wholePage, width: Self.width).items.count == 4
            )
            #expect(try await store.usageTotal(scope: scope, metric: "requests", from: Fixtures.now, until: Fixtures.now + Self.width) == 4)
            let counts = try await store.requestStats(scope: scope, from: Fixtures.now, until: Fixtures.now + Self.width)
            #expect(counts == [RequestStatCount(statusClass: 2, latencyBucket: 5, count: 4)])
        }
    }

    @Test(arguments: StoreEngine.all)
    func aBatchThatFailsHalfWayCommitsNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let entries = [Fixtures.logEntry(scope, at: Fixtures.now + 1_000), Fixtures.logEntry(scope, at: Fixtures.now + 2_000)]
            let usage = [Fixtures.usageIncrement(scope, hourStart: Fixtures.now): Int64(2)]
            let stats = [Fixtures.statIncrement(scope, hourStart: Fixtures.now, statusClass: 2, latencyBucket: 1): Int64(2)]
            let routes = [RouteStatIncrement(hourStart: Fixtures.now, route: "GET /v1/customers", statusClass: 2, latencyBucket: 1): Int64(2)]
            let organization = try #require(try await store.organization(id: scope.organizationId))
            let audited = Fixtures.audit(
                "platform_key.request",
                organization: organization.id,
                target: entries[0].requestId,
                type: "request",
                at: Fixtures.now + 1_000
            )
            // Audit rows are written after the log rows and the usage: the second copy of
            // one id fails the batch half-way.
            await #expect(throws: (any Error).self) {
                try await store.appendRequestLogs(
                    entries,
                    usage: usage,
                    stats: stats,
                    routeStats: routes,
                    audit: [audited, audited],
                    width: Self.width
                )
            }

            let page = try await store.requestLogs(scope: scope, filter: RequestLogFilter(), page: Fixtures.wholePage, width: Self.width)
            #expect(page.items.isEmpty)
            #expect(try await store.loggedRequestIDs(entries.map(\.requestId), width: Self.width).isEmpty)
            #expect(try await store.usageTotal(scope: scope, metric: "requests", from: Fixtures.now, until: Fixtures.now + Self.width) == 0)
            #expect(try await store.requestStats(scope: scope, from: Fixtures.now, until: Fixtures.now + Self.width).isEmpty)
            #expect(try await store.routeStats(from: Fixtures.now, until: Fixtures.now + Self.width).isEmpty)
            #expect(try await store.auditEntries(targetId: entries[0].requestId).isEmpty)
            // A refused row is not a storage failure: the store stays healthy.
            #expect(!store.health.writesFailing)

            // The same batch without the bad row is written whole, once.
            try await store.appendRequestLogs(entries, usage: usage, stats: stats, routeStats: routes, audit: [audited], width: Self.width)
            #expect(try await store.auditEntries(targetId: entries[0].requestId) == [audited])
            #expect(
                try await store.requestLogs(scope: scope, filter: RequestLogFilter(), page: Fixtures.wholePage, width: Self.width).items.count == 2
            )
            #expect(try await store.usageTotal(scope: scope, metric: "requests", from: Fixtures.now, until: Fixtures.now + Self.width) == 2)
            #expect(try await store.routeStats(from: Fixtures.now, until: Fixtures.now + Self.width).map(\.count) == [2])
        }
    }

    /// Staff deleted an organization while its requests waited in the writer's batch: the
    /// batch is still written, without that organization's counters and audit rows.
    @Test(arguments: StoreEngine.all)
    func countersOfAnOrganizationDeletedMeanwhileAreLeftOut(engine: StoreEngine) async throws {
        try await engine.with { store in
            let kept = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let gone = TenantScope(organizationId: Identifier.make("org", at: Fixtures.now), livemode: true)
            let entries = [Fixtures.logEntry(kept, at: Fixtures.now + 1_000), Fixtures.logEntry(gone, at: Fixtures.now + 2_000)]
            let usage = [
                Fixtures.usageIncrement(kept, hourStart: Fixtures.now): Int64(1), Fixtures.usageIncrement(gone, hourStart: Fixtures.now): 1,
            ]
            let stats = [
                Fixtures.statIncrement(kept, hourStart: Fixtures.now, statusClass: 2, latencyBucket: 1): Int64(1),
                Fixtures.statIncrement(gone, hourStart: Fixtures.now, statusClass: 2, latencyBucket: 1): 1,
            ]
            let orphan = Fixtures.audit(
                "platform_key.request",
                organization: gone.organizationId,
                target: entries[1].requestId,
                type: "request",
                at: Fixtures.now
            )
            try await store.appendRequestLogs(entries, usage: usage, stats: stats, routeStats: [:], audit: [orphan], width: Self.width)

            #expect(try await store.loggedRequestIDs(entries.map(\.requestId), width: Self.width) == Set(entries.map(\.requestId)))
            #expect(try await store.usageTotal(scope: kept, metric: "requests", from: Fixtures.now, until: Fixtures.now + Self.width) == 1)
            #expect(try await store.requestStats(scope: kept, from: Fixtures.now, until: Fixtures.now + Self.width).map(\.count) == [1])
            #expect(try await store.auditEntries(targetId: entries[1].requestId).isEmpty)
        }
    }

    // MARK: Reading

    @Test(arguments: StoreEngine.all)
    func requestLogsFilterByStatusMethodPathKeyAndTime(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let scope = Fixtures.tenant(acme)
            let next = Fixtures.now + Self.width  // the next partition
            let entries = [
                Fixtures.logEntry(scope, at: Fixtures.now + 1_000, keyId: "key_a"),
                Fixtures.logEntry(scope, at: Fixtures.now + 2_000, method: "POST", status: 201, keyId: "key_a"),
                Fixtures.logEntry(scope, at: Fixtures.now + 3_000, path: "/v1/customers/cus_1", status: 404, keyId: "key_b"),
                Fixtures.logEntry(scope, at: next + 1_000, method: "DELETE", path: "/v1/customers/cus_1", status: 500, keyId: "key_b"),
                Fixtures.logEntry(scope, at: next + 2_000, path: "/v1/events", status: 429, keyId: "key_a"),
            ]
            let live = Fixtures.logEntry(Fixtures.tenant(acme, livemode: true), at: Fixtures.now + 1_500)
            let strangers = [
                live,
                Fixtures.logEntry(Fixtures.tenant(other), at: Fixtures.now + 2_500),
                Fixtures.logEntry(nil, at: Fixtures.now + 3_500, status: 401),
            ]
            try await store.appendRequestLogs((entries + strangers).sorted { $0.createdAt < $1.createdAt }, usage: [:], width: Self.width)
            let ids = entries.map(\.requestId)

            func matching(_ filter: RequestLogFilter, tenant: TenantScope? = nil) async throws -> [String] {
                try await store.requestLogs(scope: tenant ?? scope, filter: filter, page: Fixtures.wholePage, width: Self.width).items.map(
                    \.requestId
                )
            }
            #expect(try await matching(RequestLogFilter()) == Array(ids.reversed()))
            #expect(try await matching(RequestLogFilter(status: 404)) == [ids[2]])
            #expect(try await matching(RequestLogFilter(statusClass: 2)) == [ids[1], ids[0]])
            #expect(try await matching(RequestLogFilter(statusClass: 4)) == [ids[4], ids[2]])
            #expect(try await matching(RequestLogFilter(method: "POST")) == [ids[1]])
            #expect(try await matching(RequestLogFilter(pathPrefix: "/v1/customers/")) == [ids[3], ids[2]])
            #expect(try await matching(RequestLogFilter(pathPrefix: "/v1/customers")) == [ids[3], ids[2], ids[1], ids[0]])
            #expect(try await matching(RequestLogFilter(keyId: "key_b")) == [ids[3], ids[2]])
            #expect(try await matching(RequestLogFilter(since: Fixtures.now + 2_000, until: next + 2_000)) == [ids[3], ids[2], ids[1]])
            #expect(try await matching(RequestLogFilter(statusClass: 4, method: "GET")) == [ids[4], ids[2]])
            #expect(try await matching(RequestLogFilter(), tenant: Fixtures.tenant(acme, livemode: true)) == [live.requestId])
        }
    }

    @Test(arguments: StoreEngine.all)
    func requestLogsPageNewestFirstInBothDirections(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let entries = (0..<5).map { Fixtures.logEntry(scope, at: Fixtures.now + Int64($0) * 1_000) }
            try await store.appendRequestLogs(entries, usage: [:], width: Self.width)
            let ids = entries.map(\.requestId)

            func page(_ request: PageRequest) async throws -> Page<RequestLogEntry> {
                try await store.requestLogs(scope: scope, filter: RequestLogFilter(), page: request, width: Self.width)
            }
            let first = try await page(PageRequest(limit: 2))
            #expect(first.items.map(\.requestId) == [ids[4], ids[3]])
            #expect(first.hasMore)
            let second = try await page(PageRequest(limit: 2, startingAfter: ids[3]))
            #expect(second.items.map(\.requestId) == [ids[2], ids[1]])
            #expect(second.hasMore)
            let last = try await page(PageRequest(limit: 2, startingAfter: ids[1]))
            #expect(last.items.map(\.requestId) == [ids[0]])
            #expect(!last.hasMore)
            let back = try await page(PageRequest(limit: 2, endingBefore: ids[1]))
            #expect(back.items.map(\.requestId) == [ids[3], ids[2]])
            #expect(back.hasMore)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aSearchWithAScanBudgetStopsAndSaysWhereToContinue(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            // Ten requests; only the oldest failed.
            let entries = (0..<10).map { Fixtures.logEntry(scope, at: Fixtures.now + Int64($0) * 1_000, status: $0 == 0 ? 500 : 200) }
            try await store.appendRequestLogs(entries, usage: [:], width: Self.width)
            let ids = entries.map(\.requestId)
            let failures = RequestLogFilter(status: 500)

            let first = try await store.searchRequestLogs(
                scope: scope,
                filter: failures,
                page: PageRequest(limit: 10),
                width: Self.width,
                scanBudget: 4
            )

            #expect(first.items.isEmpty)
            #expect(first.hasMore)
            #expect(first.stoppedAt == ids[6])
            #expect(first.nextCursor == ids[6])

            var cursor = first.nextCursor
            var found: [String] = []
            var pages = 1
            while let after = cursor, pages < 10 {
                let next = try await store.searchRequestLogs(
                    scope: scope,
                    filter: failures,
                    page: PageRequest(limit: 10, startingAfter: after),
                    width: Self.width,
                    scanBudget: 4
                )
                found += next.items.map(\.requestId)
                cursor = next.nextCursor
                pages += 1
            }
            #expect(found == [ids[0]])
            #expect(pages == 3)

            let unbounded = try await store.searchRequestLogs(
                scope: scope,
                filter: failures,
                page: PageRequest(limit: 10),
                width: Self.width,
                scanBudget: nil
            )
            #expect(unbounded.items.map(\.requestId) == [ids[0]])
            #expect(unbounded.stoppedAt == nil)
            #expect(!unbounded.hasMore)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aCursorThatNamesNoRequestOfTheTenantIsNotFound(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let scope = Fixtures.tenant(acme)
            let strangers = Fixtures.logEntry(Fixtures.tenant(other), at: Fixtures.now + 1_000)
            try await store.appendRequestLogs([Fixtures.logEntry(scope, at: Fixtures.now), strangers], usage: [:], width: Self.width)

            for cursor in ["req_missing", strangers.requestId] {
                let error = await #expect(throws: StoreError.self) {
                    try await store.searchRequestLogs(
                        scope: scope,
                        filter: RequestLogFilter(),
                        page: PageRequest(limit: 10, startingAfter: cursor),
                        width: Self.width,
                        scanBudget: nil
                    )
                }
                let notFound = if case .notFound? = error { true } else { false }
                #expect(notFound)
            }
        }
    }

    @Test(arguments: StoreEngine.all)
    func aRequestLogIsReadOnlyInItsTenantButKnownAsLoggedAcrossAll(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let mine = Fixtures.logEntry(Fixtures.tenant(acme), at: Fixtures.now)
            let theirs = Fixtures.logEntry(Fixtures.tenant(other), at: Fixtures.now + 1)
            let anonymous = Fixtures.logEntry(nil, at: Fixtures.now + 2, status: 401)
            try await store.appendRequestLogs([mine, theirs, anonymous], usage: [:], width: Self.width)

            #expect(
                try await store.requestLog(requestId: mine.requestId, scope: Fixtures.tenant(acme), width: Self.width)?.requestId == mine.requestId
            )
            #expect(try await store.requestLog(requestId: theirs.requestId, scope: Fixtures.tenant(acme), width: Self.width) == nil)
            #expect(try await store.requestLog(requestId: mine.requestId, scope: Fixtures.tenant(acme, livemode: true), width: Self.width) == nil)
            let everyone = [mine.requestId, theirs.requestId, anonymous.requestId]
            #expect(try await store.loggedRequestIDs(everyone + ["req_missing"], width: Self.width) == Set(everyone))
        }
    }

    @Test(arguments: StoreEngine.all)
    func requestStatisticsAreSummedPerTenantOverTheHoursAsked(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let scope = Fixtures.tenant(acme)
            let hour = Self.width
            let stats = [
                Fixtures.statIncrement(scope, hourStart: Fixtures.now, statusClass: 2, latencyBucket: 1): Int64(5),
                Fixtures.statIncrement(scope, hourStart: Fixtures.now + hour, statusClass: 2, latencyBucket: 1): 3,
                Fixtures.statIncrement(scope, hourStart: Fixtures.now + hour, statusClass: 5, latencyBucket: 9): 1,
                Fixtures.statIncrement(scope, hourStart: Fixtures.now + 2 * hour, statusClass: 2, latencyBucket: 1): 7,
                Fixtures.statIncrement(Fixtures.tenant(other), hourStart: Fixtures.now, statusClass: 2, latencyBucket: 1): 11,
                Fixtures.statIncrement(Fixtures.tenant(acme, livemode: true), hourStart: Fixtures.now, statusClass: 2, latencyBucket: 1): 13,
            ]
            try await store.appendRequestLogs([], usage: [:], stats: stats, routeStats: [:], audit: [], width: Self.width)

            func counts(from: Int64, until: Int64) async throws -> [String: Int64] {
                let rows = try await store.requestStats(scope: scope, from: from, until: until)
                return Dictionary(uniqueKeysWithValues: rows.map { ("\($0.statusClass)/\($0.latencyBucket)", $0.count) })
            }
            #expect(try await counts(from: Fixtures.now, until: Fixtures.now + 2 * hour) == ["2/1": 8, "5/9": 1])
            #expect(try await counts(from: Fixtures.now + hour, until: Fixtures.now + 3 * hour) == ["2/1": 10, "5/9": 1])
            #expect(try await counts(from: Fixtures.now, until: Fixtures.now + hour) == ["2/1": 5])
            #expect(try await counts(from: Fixtures.now + 3 * hour, until: Fixtures.now + 4 * hour).isEmpty)
        }
    }
}
