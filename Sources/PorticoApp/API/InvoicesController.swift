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
        return JSONCoding.response(ListEnvelope(data: page.items.map(InvoiceResource.init), hasMore: page.hasMore, url: "/v1/invoices"))
    }

    @Sendable func retrieve(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        guard let invoice = try await store.invoice(id: id, scope: scope) else { throw APIError.notFound("invoice", id: id) }
        return JSONCoding.response(InvoiceResource(invoice))
    }
}

/// An invoice as the API shows it: amounts in minor units of `currency`.
struct InvoiceResource: JSONWritable {
    struct Line: JSONWritable {
        var description: String
        var quantity: Int64
        var unitAmount: Int64?
        var amount: Int64

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.field("amount", amount)
                json.field("description", description)
                json.field("quantity", quantity)
                json.field("unit_amount", unitAmount)
            }
        }
    }

    var id: String
    var livemode: Bool
    var plan: String
    var currency: String
    var periodStart: String
    var periodEnd: String
    var baseAmount: Int64
    var includedQuantity: Int64?
    var usageQuantity: Int64
    var overageQuantity: Int64
    var overageUnitAmount: Int64?
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

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("base_amount", baseAmount)
            json.field("created_at", createdAt)
            json.field("currency", currency)
            json.field("id", id)
            json.field("included_quantity", includedQuantity)
            json.key("lines")
            json.array(lines) { $0.value($1) }
            json.field("livemode", livemode)
            json.field("object", "invoice")
            json.field("overage_amount", overageAmount)
            json.field("overage_quantity", overageQuantity)
            json.field("overage_unit_amount", overageUnitAmount)
            json.field("period_end", periodEnd)
            json.field("period_start", periodStart)
            json.field("plan", plan)
            json.field("total", total)
            json.field("usage_quantity", usageQuantity)
        }
    }
}
