import Foundation
import PorticoCore
import PorticoStore

/// Why a billing request was refused; the message names the offending value.
public struct BillingError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

/// One tenant's line in a reconciliation report.
public struct ReconciliationLine: Sendable, Equatable {
    public var organizationID: String
    public var livemode: Bool
    /// `requests` summed from usage buckets.
    public var usage: Int64
    /// Metered request-log rows (authenticated, not 429) still present.
    public var logged: Int64

    public var difference: Int64 { usage - logged }
}

/// Plans, invoices and reconciliation: the money side of metering.
///
/// An invoice covers one organization, one mode and one UTC calendar month,
/// priced from the organization's plan at generation time. Generation is
/// idempotent: the (organization, mode, month) uniqueness in the database
/// makes a second run insert nothing.
public struct BillingService: Sendable {
    let store: any AccountStore & BillingStore
    let clock: any PorticoClock
    let plans: [String: Plan]
    let authenticator: KeyAuthenticator?
    let partitionWidth: Int64

    init(config: PorticoConfig, store: any AccountStore & BillingStore, clock: any PorticoClock, authenticator: KeyAuthenticator?) {
        self.store = store
        self.clock = clock
        self.plans = config.plans
        self.authenticator = authenticator
        self.partitionWidth = config.requestLogs.partitionWidth
    }

    // MARK: Organization settings

    /// Moves an organization to another plan, switches body capture and/or pins its default API version; audited.
    public func updateOrganization(id: String, plan: String?, bodyCapture: Bool?, apiVersion: String? = nil, by actor: AuditActor) async throws {
        if let plan, plans[plan] == nil {
            throw BillingError(description: "no plan named '\(plan)'; configured plans: \(plans.keys.sorted().joined(separator: ", "))")
        }
        if let apiVersion, APIVersions.named(apiVersion) == nil {
            throw BillingError(description: "no API version '\(apiVersion)'; versions: \(APIVersions.all.map(\.id).joined(separator: ", "))")
        }
        let now = clock.nowMilliseconds
        var details: [String: String] = [:]
        if let plan { details["plan"] = plan }
        if let bodyCapture { details["body_capture"] = bodyCapture ? "on" : "off" }
        if let apiVersion { details["api_version"] = apiVersion }
        let audit = actor.entry("organization.updated", organizationID: id, targetType: "organization", targetID: id, details: details, at: now)
        guard
            try await store.updateOrganization(
                id: id,
                plan: plan,
                bodyCapture: bodyCapture,
                apiVersion: apiVersion,
                at: now,
                audit: audit
            ) != nil
        else {
            throw BillingError(description: "no organization \(id)")
        }
        authenticator?.invalidate()
    }

    // MARK: Invoices

    /// Invoices every organization (both modes) for each finished month not
    /// yet invoiced — in practice the previous month; returns what was created.
    func invoiceFinishedMonths() async throws -> [InvoiceRecord] {
        try await generateInvoices(monthStart: previousMonthStart)
    }

    /// Invoices every organization that existed before the month ended, in both
    /// modes, for the month starting at `monthStart`. Returns only invoices created now.
    package func generateInvoices(monthStart: Int64) async throws -> [InvoiceRecord] {
        let month = CivilTime.month(containing: monthStart)
        let usage = try await store.usageTotals(metric: UsageMetric.requests, from: month.start, until: month.end)
        let now = clock.nowMilliseconds
        var invoices: [InvoiceRecord] = []
        for organization in try await store.organizations() where organization.createdAt < month.end {
            let plan = (plans[organization.plan] ?? Plan.defaults["free"]!).overriding(organization.limitOverrides)
            for livemode in [false, true] {
                let used = usage[TenantScope(organizationId: organization.id, livemode: livemode)] ?? 0
                invoices.append(
                    plan.invoice(
                        planID: organization.plan,
                        livemode: livemode,
                        usage: used,
                        organizationID: organization.id,
                        period: month,
                        at: now
                    )
                )
            }
        }
        return try await store.insertInvoicesIfAbsent(invoices)
    }

    // MARK: Reconciliation

    /// Compares each tenant's `requests` usage for the month with the metered
    /// rows in its request logs. Differences mean lost writes, or log
    /// partitions already dropped by retention.
    public func reconcile(monthStart: Int64) async throws -> [ReconciliationLine] {
        let month = CivilTime.month(containing: monthStart)
        let usage = try await store.usageTotals(metric: UsageMetric.requests, from: month.start, until: month.end)
        let logged = try await store.meteredRequestCounts(from: month.start, until: month.end, width: partitionWidth)
        let tenants = Set(usage.keys).union(logged.keys).sorted {
            ($0.organizationId, $0.livemode ? 1 : 0) < ($1.organizationId, $1.livemode ? 1 : 0)
        }
        return tenants.map { tenant in
            ReconciliationLine(
                organizationID: tenant.organizationId,
                livemode: tenant.livemode,
                usage: usage[tenant] ?? 0,
                logged: logged[tenant] ?? 0
            )
        }
    }

    /// Parses `YYYY-MM` into the month's start; nil when malformed.
    public static func monthStart(_ text: String) -> Int64? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
            (1...12).contains(month)
        else { return nil }
        return CivilTime.milliseconds(year: year, month: month, day: 1)
    }

    /// `generateInvoices` for the CLI: one printable line per invoice created.
    public func generateInvoiceSummaries(monthStart: Int64) async throws -> [String] {
        try await generateInvoices(monthStart: monthStart).map { invoice in
            [
                invoice.id, invoice.organizationId, invoice.livemode ? "live" : "test", "plan=\(invoice.plan)",
                "requests=\(invoice.usageQuantity)", "total=\(invoice.total) \(invoice.currency)",
            ].joined(separator: "\t")
        }
    }

    public var currentMonthStart: Int64 { CivilTime.month(containing: clock.nowMilliseconds).start }

    /// The month before the current one (the CLI's default period).
    public var previousMonthStart: Int64 {
        CivilTime.month(containing: CivilTime.month(containing: clock.nowMilliseconds).start - 1).start
    }
}
