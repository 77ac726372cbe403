import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/v1/invoices` (`invoices:read`): the organization's monthly invoices in this mode, newest first.
struct InvoicesController: Sendable {
    typealias Context = PorticoRequestContext
    let store: any BillingStore

    func register(_ routes: APIRoutes) {
        routes.on(.get, "invoices", scope: .invoicesRead, query: .checkedByHandler, handler: list)
        routes.on(.get, "invoices/:id", scope: .invoicesRead, handler: retrieve)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let query = try ListQuery(request.uri)
        let page = try await store.invoices(scope: scope, page: query.page)
        return try JSONCoding.response(ListEnvelope(data: page.items.map(InvoiceResource.init), hasMore: page.hasMore, url: "/v1/invoices"))
    }

    @Sendable func retrieve(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard let invoice = try await store.invoice(id: id, scope: scope) else { throw APIError.notFound("invoice", id: id) }
        return try JSONCoding.response(InvoiceResource(invoice))
    }
}

/// An invoice as the API shows it: amounts in minor units of `currency`.
struct InvoiceResource: Encodable {
    struct Line: Encodable {
        var description: String
        var quantity: Int64
        @NullEncoded var unitAmount: Int64?
        var amount: Int64

        enum CodingKeys: String, CodingKey {
            case description, quantity, amount
            case unitAmount = "unit_amount"
        }
    }

    let object = "invoice"
    var id: String
    var livemode: Bool
    var plan: String
    var currency: String
    var periodStart: String
    var periodEnd: String
    var baseAmount: Int64
    @NullEncoded var includedQuantity: Int64?
    var usageQuantity: Int64
    var overageQuantity: Int64
    @NullEncoded var overageUnitAmount: Int64?
    var overageAmount: Int64
    var total: Int64
    var lines: [Line]
    var createdAt: String

    init(_ record: InvoiceRecord) {
        id = record.id
        livemode = record.livemode
        plan = record.plan
        currency = record.currency
        periodStart = RFC3339.string(milliseconds: record.periodStart)
        periodEnd = RFC3339.string(milliseconds: record.periodEnd)
        baseAmount = record.baseAmount
        includedQuantity = record.includedQuantity
        usageQuantity = record.usageQuantity
        overageQuantity = record.overageQuantity
        overageUnitAmount = record.overageUnitAmount
        overageAmount = record.overageAmount
        total = record.total
        createdAt = RFC3339.string(milliseconds: record.createdAt)
        var lines = [
            Line(description: "\(record.plan) plan, monthly base fee", quantity: 1, unitAmount: record.baseAmount, amount: record.baseAmount)
        ]
        if record.overageQuantity > 0 {
            lines.append(
                Line(
                    description: "Overage: \(record.overageQuantity) × 1,000 requests past \(record.includedQuantity ?? 0) included",
                    quantity: record.overageQuantity,
                    unitAmount: record.overageUnitAmount,
                    amount: record.overageAmount
                )
            )
        }
        self.lines = lines
    }

    enum CodingKeys: String, CodingKey {
        case object, id, livemode, plan, currency, total, lines
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
