extension Plan {
    /// The invoice this plan comes to for a month's `usage` in one mode.
    /// Overage is charged per started block of 1,000 requests past the
    /// included quantity; a plan without overage charges only its base price.
    package func invoice(
        planID: String,
        livemode: Bool,
        usage: Int64,
        organizationID: String,
        period: (start: Int64, end: Int64),
        at now: Int64
    ) -> InvoiceRecord {
        let included = limits(livemode: livemode).monthlyQuota.map(Int64.init)
        let over = included.map { max(0, usage - $0) } ?? 0
        let blocks = overagePer1000 == nil ? 0 : (over + 999) / 1_000
        let overageAmount = blocks * Int64(overagePer1000 ?? 0)
        return InvoiceRecord(
            id: Identifier.make("inv", at: now),
            organizationId: organizationID,
            livemode: livemode,
            periodStart: period.start,
            periodEnd: period.end,
            plan: planID,
            currency: currency,
            baseAmount: Int64(basePrice),
            includedQuantity: included,
            usageQuantity: usage,
            overageQuantity: blocks,
            overageUnitAmount: overagePer1000.map(Int64.init),
            overageAmount: overageAmount,
            total: Int64(basePrice) + overageAmount,
            createdAt: now
        )
    }
}
