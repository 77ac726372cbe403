import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Invoices of the current organization and mode (one per month, made at
/// the period's end): a list and a page per invoice with its lines.
struct InvoicesPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("invoices") { request, _ in try await self.list(request) }
        router.get("invoices/:id") { request, context in try await self.detail(request, context: context) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        let invoices = try await dashboard.store.invoices(scope: viewer.scope, page: PageRequest(limit: 100))
        let rows = invoices.items.map { invoice -> HTML in
            """
            <tr><td><a href="/dashboard/invoices/\(invoice.id)">\(Self.period(invoice))</a></td><td>\(invoice.plan)</td>
            <td>\(invoice.usageQuantity)</td><td>\(Money.format(invoice.total, invoice.currency))</td></tr>
            """
        }
        let body: HTML = """
            <h1>Invoices</h1>
            <p>One invoice per month, made when the month ends (UTC). The current month so far is on the <a href="/dashboard/usage">usage</a> page.</p>
            \(Layout.table(caption: "Newest first", headers: ["Period", "Plan", "Requests", "Total"], rows: rows, empty: "No invoices yet."))
            """
        return WebPage.response(Layout.page(viewer, title: "Invoices", current: "/dashboard/invoices", body: body))
    }

    private func detail(_ request: Request, context: Context) async throws -> Response {
        let viewer = try await dashboard.viewer(request)
        guard let invoice = try await dashboard.store.invoice(id: try context.parameters.require("id"), scope: viewer.scope)
        else { throw DashboardError.notFound }
        let money = { (amount: Int64) in Money.format(amount, invoice.currency) }
        let overage: HTML =
            invoice.overageUnitAmount.map { unit in
                "<tr><td>Overage: \(invoice.overageQuantity) requests at \(money(unit)) per 1,000</td><td>\(money(invoice.overageAmount))</td></tr>"
            } ?? .empty
        let body: HTML = """
            <p><a href="/dashboard/invoices">All invoices</a></p>
            <h1>Invoice for \(Self.period(invoice))</h1>
            \(Layout.facts(caption: "Invoice <code>\(invoice.id)</code>", [
                ("Plan", "\(invoice.plan)"),
                ("Period (UTC)", "\(Layout.time(invoice.periodStart)) to \(Layout.time(invoice.periodEnd))"),
                ("Requests", "\(invoice.usageQuantity)"),
                ("Included", "\(invoice.includedQuantity.map(String.init) ?? "unlimited")"),
                ("Issued", Layout.time(invoice.createdAt)),
            ]))
            <table><caption>Lines</caption>
            <thead><tr><th scope="col">Description</th><th scope="col">Amount</th></tr></thead>
            <tbody><tr><td>Base fee (\(invoice.plan))</td><td>\(money(invoice.baseAmount))</td></tr>\(overage)</tbody>
            <tfoot><tr><th scope="row">Total</th><td><strong>\(money(invoice.total))</strong></td></tr></tfoot></table>
            """
        return WebPage.response(Layout.page(viewer, title: "Invoice \(invoice.id)", current: "/dashboard/invoices", body: body))
    }

    static func period(_ invoice: InvoiceRecord) -> String {
        CivilTime.monthLabel(invoice.periodStart)
    }
}
