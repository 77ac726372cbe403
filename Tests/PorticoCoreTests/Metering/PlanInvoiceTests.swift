import Testing

@testable import PorticoCore

/// What a plan charges for a month's usage.
struct PlanInvoiceTests {
    @Test func pricingFollowsThePlan() {
        let starter = Plan.defaults["starter"]!
        let month = CivilTime.month(containing: CivilTime.milliseconds(year: 2026, month: 10, day: 15))
        let under = starter.invoice(
            planID: "starter",
            livemode: true,
            usage: 99_000,
            organizationID: "org_1",
            period: month,
            at: 0
        )
        #expect(under.total == 4_900 && under.overageQuantity == 0)
        let over = starter.invoice(
            planID: "starter",
            livemode: true,
            usage: 250_001,
            organizationID: "org_1",
            period: month,
            at: 0
        )
        #expect(over.overageQuantity == 151)  // 150,001 past 100,000 = 151 started blocks of 1,000
        #expect(over.overageAmount == 151 * 50 && over.total == 4_900 + 7_550)
        #expect(over.includedQuantity == 100_000 && over.currency == "usd")
        #expect(month.end - month.start == 31 * 86_400_000)
        let free = Plan.defaults["free"]!.invoice(
            planID: "free",
            livemode: true,
            usage: 5_000,
            organizationID: "org_1",
            period: month,
            at: 0
        )
        #expect(free.total == 0 && free.overageQuantity == 0)
    }
}
