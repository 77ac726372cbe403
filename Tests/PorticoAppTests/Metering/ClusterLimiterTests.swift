import Foundation
import PorticoCore
import PorticoPostgres
import PorticoTestSupport
import Testing

@testable import PorticoApp
@testable import PorticoStore

/// The shared limiter (`ClusterLimiter`) against a real PostgreSQL database: a refund and a
/// graceful stop give reservations back, and a database that does not answer never holds a
/// request past `answerTimeout`.
@Suite(.enabled(if: TestPostgres.isWanted, "no PostgreSQL test cluster (Scripts/test-postgres.sh start)"))
struct ClusterLimiterTests {
    private static let now: Int64 = 1_800_000_000_000

    private static func store() async throws -> (PostgresStore, String) {
        let url = try await TestPostgres.shared.createDatabase(migrated: true)
        return (TestPostgres.store(url, maximumConnections: 4), url.database)
    }

    @Test func aRefundAndAFinalSettleGiveEverythingBack() async throws {
        let (store, database) = try await Self.store()
        defer { try? store.close() }
        let limiter = ClusterLimiter(store: store, logger: TestPostgres.quietLogger)
        let policy = LimitPolicy(.key, .minute, quota: 10)
        let counter = ClusterLimiter.counter(.key("key_a"), policy, now: Self.now)
        // The pool's first connection is opened here, not inside the limiter's answer timeout.
        _ = try await store.reserve(subject: "warm-up", slot: counter.slot, window: 1, limit: 1, want: 1)

        #expect(await limiter.admit(counter, now: Self.now) == .reserved)
        #expect(await limiter.admit(counter, now: Self.now) == .reserved)
        // The second request is refused by a later limit: its unit is this instance's again.
        limiter.refund(counter, at: Self.now)
        // Two reserved (one each time), so another instance gets the other 8.
        #expect(try await store.reserve(subject: counter.name, slot: counter.slot, window: 60, limit: 10, want: 10) == 8)
        // A graceful stop gives back the current second's unspent reservations too: only the one spent stays.
        try await limiter.settle(now: Self.now, final: true)
        #expect(
            try await store.reserve(subject: counter.name, slot: counter.slot + 1, window: 60, limit: 10, want: 10) == 1,
            "the refunded unit, given back by the settle, can be reserved again"
        )
        #expect(try await store.reserve(subject: counter.name, slot: counter.slot + 1, window: 60, limit: 10, want: 10) == 0)
        try? await TestPostgres.shared.dropDatabase(database)
    }

    @Test func aDatabaseThatDoesNotAnswerLetsTheRequestGoOnUnchecked() async throws {
        let (store, database) = try await Self.store()
        defer { try? store.close() }
        let limiter = ClusterLimiter(store: store, logger: TestPostgres.quietLogger)
        let counter = ClusterLimiter.counter(.key("key_b"), LimitPolicy(.key, .burst, quota: 5), now: Self.now)
        // Another session holds the subject's lock for 15 s: a reservation waits for it.
        let holder = Task {
            try await TestPostgres.shared.execute(
                "SELECT pg_advisory_lock(\(0x706c), hashtext('\(counter.name)')), pg_sleep(15)",
                in: database
            )
        }
        // Until that session holds it.
        let held =
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()) THEN RAISE EXCEPTION 'not yet'; END IF; END $$"
        while (try? await TestPostgres.shared.execute(held, in: database)) == nil { try await Task.sleep(for: .milliseconds(50)) }
        // Answered before the lock is released (after `answerTimeout`), admitted on this instance's limits.
        #expect(await limiter.admit(counter, now: Self.now) == .unchecked)
        // Its refund gives back nothing that was never reserved.
        limiter.refund(counter, at: Self.now)
        // For a while after, other limits are not asked either (each would wait as long): a
        // subject whose lock is free goes on unchecked too, and its refund gives nothing back.
        let other = ClusterLimiter.counter(.key("key_c"), LimitPolicy(.key, .burst, quota: 5), now: Self.now)
        #expect(await limiter.admit(other, now: Self.now) == .unchecked)
        limiter.refund(other, at: Self.now)
        try await limiter.settle(now: Self.now + 2_000)
        #expect(try await store.reserve(subject: other.name, slot: other.slot, window: 1, limit: 5, want: 5) == 5, "nothing was reserved for it")
        _ = try await holder.value
        try? await TestPostgres.shared.dropDatabase(database)
    }
}
