import GRDB
import PorticoCore

// MARK: - Usage and invoices

extension SQLiteStore {
    /// A tenant's hourly usage rows in `[from, until)`, optionally for one metric and/or key, oldest first.
    package func usage(scope: TenantScope, from: Int64, until: Int64, metric: String?, keyId: String?) async throws -> [UsageRow] {
        try await read { db in
            var sql = """
                SELECT hour_start, metric, key_id, quantity FROM usage_buckets
                WHERE organization_id = ? AND livemode = ? AND hour_start >= ? AND hour_start < ?
                """
            var arguments: StatementArguments = [scope.organizationId, scope.livemode, from, until]
            if let metric {
                sql += " AND metric = ?"
                _ = arguments.append(contentsOf: [metric])
            }
            if let keyId {
                sql += " AND key_id = ?"
                _ = arguments.append(contentsOf: [keyId])
            }
            return try UsageRow.fetchAll(db, sql: sql + " ORDER BY hour_start", arguments: arguments)
        }
    }

    /// The total of one metric for a tenant in `[from, until)`.
    package func usageTotal(scope: TenantScope, metric: String, from: Int64, until: Int64) async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT coalesce(sum(quantity), 0) FROM usage_buckets
                    WHERE organization_id = ? AND livemode = ? AND hour_start >= ? AND hour_start < ? AND metric = ?
                    """,
                arguments: [scope.organizationId, scope.livemode, from, until, metric]
            ) ?? 0
        }
    }

    /// Totals of one metric per tenant in `[from, until)`: the usage side of reconciliation and invoicing.
    package func usageTotals(metric: String, from: Int64, until: Int64) async throws -> [TenantScope: Int64] {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT organization_id, livemode, sum(quantity) FROM usage_buckets
                    WHERE hour_start >= ? AND hour_start < ? AND metric = ? GROUP BY organization_id, livemode
                    """,
                arguments: [from, until, metric]
            )
            var totals: [TenantScope: Int64] = [:]
            for row in rows { totals[TenantScope(organizationId: row[0], livemode: row[1])] = row[2] }
            return totals
        }
    }

    /// Inserts invoices that do not exist yet for their (organization, mode, period);
    /// returns the ones inserted. Running it twice inserts nothing the second time.
    package func insertInvoicesIfAbsent(_ invoices: [InvoiceRecord]) async throws -> [InvoiceRecord] {
        try await writeTransaction { db in
            var inserted: [InvoiceRecord] = []
            let revenue = try db.cachedStatement(
                sql: """
                    INSERT INTO revenue_months VALUES (?, ?, ?, 1, ?, ?, ?)
                    ON CONFLICT (period_start, plan, currency) DO UPDATE SET invoices = invoices + 1,
                        base_amount = base_amount + excluded.base_amount, overage_amount = overage_amount + excluded.overage_amount,
                        total = total + excluded.total
                    """
            )
            for invoice in invoices {
                try invoice.insert(db, onConflict: .ignore)
                guard db.changesCount > 0 else { continue }
                inserted.append(invoice)
                if invoice.livemode {
                    try revenue.execute(arguments: [
                        invoice.periodStart, invoice.plan, invoice.currency, invoice.baseAmount, invoice.overageAmount, invoice.total,
                    ])
                }
            }
            return inserted
        }
    }

    package func invoice(id: String, scope: TenantScope) async throws -> InvoiceRecord? {
        try await read { db in try InvoiceRecord.scoped(scope).filter(InvoiceRecord.Columns.id == id).fetchOne(db) }
    }

    package func invoices(scope: TenantScope, page: PageRequest) async throws -> Page<InvoiceRecord> {
        try await read { db in try InvoiceRecord.scoped(scope).page(page, id: InvoiceRecord.Columns.id, db: db) }
    }
}
