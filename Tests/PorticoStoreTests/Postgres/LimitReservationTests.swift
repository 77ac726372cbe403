import Foundation
import PorticoCore
import PorticoTestSupport
import Testing

@testable import PorticoPostgres
@testable import PorticoStore

/// Shared rate limits' reservations (`LimitReservationStore`): several instances asking at
/// once are granted exactly the limit between them, over the policy's window of slots.
@Suite(.enabled(if: TestPostgres.isWanted, "no PostgreSQL test cluster (Scripts/test-postgres.sh start)"))
struct LimitReservationTests {
    @Test func instancesAskingAtOnceAreGrantedExactlyTheLimitInAWindow() async throws {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        let stores = (0..<3).map { _ in TestPostgres.store(url, maximumConnections: 4) }
        defer { for store in stores { try? store.close() } }
        let slot: Int64 = 1_800_000_000

        // 60 requests for 3 each, from three instances at once, against a limit of 40 a minute.
        let granted = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<60 {
                group.addTask {
                    try await stores[index % 3].reserve(subject: "key k1 key-minute", slot: slot, window: 60, limit: 40, want: 3)
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(granted == 40)
        // Later seconds of the same window have nothing left; another subject is untouched.
        #expect(try await stores[1].reserve(subject: "key k1 key-minute", slot: slot + 59, window: 60, limit: 40, want: 5) == 0)
        #expect(try await stores[1].reserve(subject: "key k2 key-minute", slot: slot + 1, window: 60, limit: 40, want: 5) == 5)
        // What is given back may be reserved again, once.
        try await stores[0].release([LimitReservation(subject: "key k1 key-minute", slot: slot, count: 7)])
        #expect(try await stores[2].reserve(subject: "key k1 key-minute", slot: slot + 2, window: 60, limit: 40, want: 10) == 7)
        #expect(try await stores[2].reserve(subject: "key k1 key-minute", slot: slot + 2, window: 60, limit: 40, want: 1) == 0)
        // Once the first slot leaves the window, its reservations no longer count.
        #expect(try await stores[0].reserve(subject: "key k1 key-minute", slot: slot + 60, window: 60, limit: 40, want: 40) == 33)
        // A burst limit's window is its own second.
        #expect(try await stores[0].reserve(subject: "key k1 key-burst", slot: slot, window: 1, limit: 5, want: 5) == 5)
        #expect(try await stores[0].reserve(subject: "key k1 key-burst", slot: slot + 1, window: 1, limit: 5, want: 5) == 5)

        // Pruning forgets slots no window reaches any more: slot + 2's ends at slot + 62.
        try await stores[0].pruneLimitReservations(now: slot + 61)
        #expect(try await stores[1].reserve(subject: "key k1 key-minute", slot: slot + 61, window: 60, limit: 40, want: 40) == 0)
        try await stores[0].pruneLimitReservations(now: slot + 63)
        #expect(try await stores[1].reserve(subject: "key k1 key-minute", slot: slot + 63, window: 60, limit: 40, want: 40) == 7)
        try? await TestPostgres.shared.dropDatabase(url.database)
    }

    @Test func aQuotaStartsFromTheUsageCommittedBeforeItsFirstReservation() async throws {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        let stores = (0..<3).map { _ in TestPostgres.store(url, maximumConnections: 4) }
        defer { for store in stores { try? store.close() } }
        let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: stores[0]))
        let day = QuotaPeriod.day.bounds(containing: Fixtures.now)
        // 30 requests of today already committed.
        try await stores[0].appendRequestLogs([], usage: [Fixtures.usageIncrement(scope, hourStart: day.start): 30], width: 86_400_000)
        let committed = CommittedUsage(scope: scope, metric: UsageMetric.requests, from: day.start, until: day.end)
        let subject = "quota \(scope.organizationId) test day"

        let granted = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await stores[index % 3].reserve(quota: subject, slot: day.start / 1_000, quota: 100, want: 4, committed: committed)
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(granted == 70, "a quota of 100 with 30 used leaves 70, however many instances ask")
        // Usage committed later (by these very requests) is not counted a second time.
        try await stores[0].appendRequestLogs([], usage: [Fixtures.usageIncrement(scope, hourStart: day.start): 70], width: 86_400_000)
        #expect(try await stores[1].reserve(quota: subject, slot: day.start / 1_000, quota: 100, want: 1, committed: committed) == 0)
        try await stores[1].release([LimitReservation(subject: subject, slot: day.start / 1_000, count: 3)])
        #expect(try await stores[2].reserve(quota: subject, slot: day.start / 1_000, quota: 100, want: 5, committed: committed) == 3)
        // The period's row lives until the period ends.
        try await stores[0].pruneLimitReservations(now: day.end / 1_000)
        #expect(try await stores[2].reserve(quota: subject, slot: day.start / 1_000, quota: 100, want: 5, committed: committed) == 0)
        try? await TestPostgres.shared.dropDatabase(url.database)
    }
}

extension LimitReservationTests {
    @Test func aLateReservationCannotOverfillALaterWindowAndReleasesAddUp() async throws {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        let store = TestPostgres.store(url, maximumConnections: 2)
        defer { try? store.close() }
        let slot: Int64 = 1_800_000_000
        #expect(try await store.reserve(subject: "s", slot: slot + 41, window: 60, limit: 100, want: 50) == 50)
        #expect(try await store.reserve(subject: "s", slot: slot + 101, window: 60, limit: 100, want: 100) == 100)
        // A request that waited asks for second 100: the window 42…101 already holds 100.
        #expect(try await store.reserve(subject: "s", slot: slot + 100, window: 60, limit: 100, want: 50) == 0)
        // Two releases of one slot in one batch both count.
        try await store.release([
            LimitReservation(subject: "s", slot: slot + 101, count: 3), LimitReservation(subject: "s", slot: slot + 101, count: 4),
        ])
        #expect(try await store.reserve(subject: "s", slot: slot + 102, window: 60, limit: 100, want: 100) == 7)
        try? await TestPostgres.shared.dropDatabase(url.database)
    }
}

extension LimitReservationTests {
    @Test func sharedUsageStartsFromCommittedUsageOnceAndAddsUpAcrossInstances() async throws {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        let stores = (0..<3).map { _ in TestPostgres.store(url, maximumConnections: 4) }
        defer { for store in stores { try? store.close() } }
        let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: stores[0]))
        let month = QuotaPeriod.month.bounds(containing: Fixtures.now)
        // 500 tokens of this month already committed.
        try await stores[0].appendRequestLogs(
            [],
            usage: [Fixtures.usageIncrement(scope, hourStart: month.start, metric: "tokens"): 500],
            width: 86_400_000
        )
        let usage = SharedUsage(
            subject: "usage \(scope.organizationId) test tokens month",
            slot: month.start / 1_000,
            quantity: 0,
            committed: CommittedUsage(scope: scope, metric: "tokens", from: month.start, until: month.end)
        )
        func adding(_ quantity: Int64) -> SharedUsage {
            var entry = usage
            entry.quantity = quantity
            return entry
        }
        // Three instances start the period at once, each adding 10: the committed 500 is counted
        // once, taken to hold the first instance's 10 (counted twice, it would refuse early),
        // and the others' additions go onto its row.
        let first = try await withThrowingTaskGroup(of: Int64.self) { group in
            for store in stores { group.addTask { try await store.countUsage([adding(10)])[0] } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(first.max() == 520)
        #expect(first.allSatisfy { $0 >= 500 })
        // Usage committed after the period started is not counted a second time (its instance adds it).
        try await stores[0].appendRequestLogs(
            [],
            usage: [Fixtures.usageIncrement(scope, hourStart: month.start, metric: "tokens"): 30],
            width: 86_400_000
        )
        // 60 additions of 5 from three instances at once, two of one period in one batch: all counted.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 { group.addTask { _ = try await stores[index % 3].countUsage([adding(5), adding(5)]) } }
            try await group.waitForAll()
        }
        #expect(try await stores[1].countUsage([usage]) == [820])
        // Another metric's row is another count, started from its own committed usage (none).
        var other = usage
        other.subject = "usage \(scope.organizationId) test pages month"
        other.committed.metric = "pages"
        #expect(try await stores[2].countUsage([other, adding(1)]) == [0, 821])
        try? await TestPostgres.shared.dropDatabase(url.database)
    }
}
