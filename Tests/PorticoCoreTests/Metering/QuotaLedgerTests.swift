import Synchronization
import Testing

@testable import PorticoCore

/// Daily and monthly quotas counted in memory over the committed usage, loaded once.
struct QuotaLedgerTests {
    let tenant = TenantScope(organizationId: "org_1", livemode: true)
    /// 2027-01-15T12:00:00Z.
    let noon: Int64 = 1_800_014_400_000

    @Test func committedUsageIsLoadedOnceThenCountedInMemory() async throws {
        let loads = Mutex<[(Int64, Int64)]>([])
        let ledger = QuotaLedger { _, _, from, until in
            loads.withLock { $0.append((from, until)) }
            return 8
        }
        var states: [LimitState] = []
        for _ in 0..<3 { states.append(try await ledger.admit(tenant, period: .day, quota: 10, hard: true, now: noon)) }
        #expect(states.map(\.remaining) == [1, 0, 0])
        #expect(states.map(\.refused) == [false, false, true])
        #expect(states.last?.retryAfterSeconds == 12 * 3_600)
        #expect(states.last?.policy.name == "daily-quota" && states.last?.isQuota == true)
        let dayStart = CivilTime.dayStart(noon)
        #expect(loads.withLock { $0.map(\.0) } == [dayStart])
        #expect(loads.withLock { $0.map(\.1) } == [dayStart + 86_400_000])
    }

    @Test func aSoftQuotaCountsPastItsLimitAndARefundGivesOneBack() async throws {
        let ledger = QuotaLedger { _, _, _, _ in 10 }
        let over = try await ledger.admit(tenant, period: .month, quota: 10, hard: false, now: noon)
        #expect(!over.refused && over.remaining == 0)
        ledger.refund(tenant, period: .month, now: noon)
        ledger.refund(tenant, period: .month, now: noon)
        let report = try await ledger.admit(tenant, period: .month, quota: 10, hard: true, now: noon, consume: false)
        #expect(report.remaining == 1 && !report.refused)
        #expect(report.policy.name == "monthly-quota")
    }

    @Test func aNewPeriodStartsFromZero() async throws {
        let ledger = QuotaLedger { _, _, _, _ in 10 }
        #expect(try await ledger.admit(tenant, period: .day, quota: 10, hard: true, now: noon).refused)
        let tomorrow = try await ledger.admit(tenant, period: .day, quota: 10, hard: true, now: noon + 86_400_000)
        #expect(!tomorrow.refused && tomorrow.remaining == 9)
    }
}
