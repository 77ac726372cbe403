/// A row of `invoices`: one organization's month in one mode, priced from its plan.
package struct InvoiceRecord: Codable, Sendable, Equatable {
    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var periodStart: Int64
    package var periodEnd: Int64
    package var plan: String
    package var currency: String
    package var baseAmount: Int64
    package var includedQuantity: Int64?
    package var usageQuantity: Int64
    package var overageQuantity: Int64
    package var overageUnitAmount: Int64?
    package var overageAmount: Int64
    package var total: Int64
    package var createdAt: Int64

    package init(
        id: String,
        organizationId: String,
        livemode: Bool,
        periodStart: Int64,
        periodEnd: Int64,
        plan: String,
        currency: String,
        baseAmount: Int64,
        includedQuantity: Int64?,
        usageQuantity: Int64,
        overageQuantity: Int64,
        overageUnitAmount: Int64?,
        overageAmount: Int64,
        total: Int64,
        createdAt: Int64
    ) {
        self.id = id
        self.organizationId = organizationId
        self.livemode = livemode
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.plan = plan
        self.currency = currency
        self.baseAmount = baseAmount
        self.includedQuantity = includedQuantity
        self.usageQuantity = usageQuantity
        self.overageQuantity = overageQuantity
        self.overageUnitAmount = overageUnitAmount
        self.overageAmount = overageAmount
        self.total = total
        self.createdAt = createdAt
    }

    package enum CodingKeys: String, CodingKey {
        case id, livemode, plan, currency, total
        case organizationId = "organization_id"
        case periodStart = "period_start"
        case periodEnd = "period_end"
        case baseAmount = "base_amount"
        case includedQuantity = "included_quantity"
        case usageQuantity = "usage_quantity"
        case overageQuantity = "overage_quantity"
        case overageUnitAmount = "overage_unit_amount"
        case overageAmount = "overage_amount"
        case createdAt = "created_at"
    }
}

/// One row of a usage report: a metric's quantity for one hour and key.
package struct UsageRow: Sendable, Equatable {
    package var hourStart: Int64
    package var metric: String
    package var keyId: String
    package var quantity: Int64

    /// Every stored property, as read back from storage.
    package init(
        hourStart: Int64,
        metric: String,
        keyId: String,
        quantity: Int64
    ) {
        self.hourStart = hourStart
        self.metric = metric
        self.keyId = keyId
        self.quantity = quantity
    }
}
