import Foundation
import Testing

@testable import PorticoCore

struct LimitOverridesTests {
    @Test func storedFormRoundTripsAndEmptyMeansThePlans() {
        let overrides = LimitOverrides(perSecond: 5, monthlyQuota: 2_000)
        let stored = overrides.stored
        #expect(stored == #"{"monthly_quota":2000,"per_second":5}"#)
        #expect(LimitOverrides(stored: stored) == overrides)
        #expect(LimitOverrides().stored == nil)
        #expect(LimitOverrides(stored: nil) == nil)
        #expect(LimitOverrides(stored: "{}") == nil)
        #expect(LimitOverrides(stored: "not json") == nil)
    }

    @Test func figuresOutsideTheRangeAreInvalid() {
        #expect(LimitOverrides(perSecond: 1, perMinute: 1_000_000_000).isValid)
        #expect(!LimitOverrides(perSecond: 0).isValid)
        #expect(!LimitOverrides(monthlyQuota: 1_000_000_001).isValid)
    }

    @Test func overridingChangesOnlyTheLiveFiguresGiven() {
        let plan = Plan.defaults["starter"]!
        let custom = plan.overriding(LimitOverrides(perMinute: 7))
        #expect(custom.live.perMinute == 7)
        #expect(custom.live.perSecond == plan.live.perSecond && custom.live.monthlyQuota == plan.live.monthlyQuota)
        #expect(custom.test == plan.test)
        #expect(plan.overriding(nil) == plan)
    }
}
