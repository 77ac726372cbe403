import PorticoCore
import Testing

@testable import PorticoStore

/// Usage and invoices as every engine must keep them.
struct BillingContractTests {
    private static let hour: Int64 = 3_600_000

    /// A usage row as `hour|metric|key=quantity`, for comparing rows whatever their order within an hour.
    private static func describe(_ row: UsageRow) -> String {
        "\(row.hourStart)|\(row.metric)|\(row.keyId)=\(row.quantity)"
    }

    // MARK: Usage

    @Test(arguments: StoreEngine.all)
    func usageRowsAreReadByMetricAndKeyOldestHourFirst(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            let (first, second) = (Fixtures.now, Fixtures.now + Self.hour)
            let usage = [
                Fixtures.usageIncrement(scope, hourStart: first, keyId: "key_a"): Int64(3),
                Fixtures.usageIncrement(scope, hourStart: first, keyId: "key_b"): 2,
                Fixtures.usageIncrement(scope, hourStart: first, metric: "emails", keyId: "key_a"): 7,
                Fixtures.usageIncrement(scope, hourStart: second, keyId: "key_a"): 4,
                Fixtures.usageIncrement(Fixtures.tenant(acme, livemode: true), hourStart: first, keyId: "key_a"): 100,
            ]
            try await store.appendRequestLogs([], usage: usage, width: Fixtures.logWidth)

            func rows(from: Int64? = nil, until: Int64? = nil, metric: String? = nil, key: String? = nil) async throws -> [UsageRow] {
                try await store.usage(scope: scope, from: from ?? first, until: until ?? second + Self.hour, metric: metric, keyId: key)
            }
            let all = try await rows()
            #expect(all.map(\.hourStart) == [first, first, first, second])
            #expect(
                Set(all.map(Self.describe))
                    == ["\(first)|requests|key_a=3", "\(first)|requests|key_b=2", "\(first)|emails|key_a=7", "\(second)|requests|key_a=4"]
            )
            #expect(try await Set(rows(metric: "requests").map(Self.describe)).count == 3)
            #expect(try await rows(metric: "emails").map(Self.describe) == ["\(first)|emails|key_a=7"])
            #expect(try await Set(rows(key: "key_a").map(Self.describe)).count == 3)
            #expect(
                try await rows(metric: "requests", key: "key_a").map(Self.describe) == ["\(first)|requests|key_a=3", "\(second)|requests|key_a=4"]
            )
            #expect(try await rows(from: second).map(Self.describe) == ["\(second)|requests|key_a=4"])
            #expect(try await rows(until: second).count == 3)

            #expect(try await store.usageTotal(scope: scope, metric: "requests", from: first, until: first + 2 * Self.hour) == 9)
            #expect(try await store.usageTotal(scope: scope, metric: "requests", from: first, until: second) == 5)
            #expect(try await store.usageTotal(scope: scope, metric: "uploads", from: first, until: second) == 0)
        }
    }

    @Test(arguments: StoreEngine.all)
    func usageAddsUpAcrossBatches(engine: StoreEngine) async throws {
        try await engine.with { store in
            let scope = Fixtures.tenant(try await Fixtures.seededOrganization(in: store))
            let usage = [Fixtures.usageIncrement(scope, hourStart: Fixtures.now, keyId: "key_a"): Int64(3)]

            try await store.appendRequestLogs([], usage: usage, width: Fixtures.logWidth)
            try await store.appendRequestLogs([], usage: usage, width: Fixtures.logWidth)

            let rows = try await store.usage(scope: scope, from: Fixtures.now, until: Fixtures.now + Self.hour, metric: nil, keyId: nil)
            #expect(rows.map(Self.describe) == ["\(Fixtures.now)|requests|key_a=6"])
        }
    }

    @Test(arguments: StoreEngine.all)
    func usageTotalsAreGivenPerTenant(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let (test, live, others) = (Fixtures.tenant(acme), Fixtures.tenant(acme, livemode: true), Fixtures.tenant(other))
            let usage = [
                Fixtures.usageIncrement(test, hourStart: Fixtures.now, keyId: "key_a"): Int64(3),
                Fixtures.usageIncrement(test, hourStart: Fixtures.now + Self.hour, keyId: "key_b"): 2,
                Fixtures.usageIncrement(live, hourStart: Fixtures.now): 5,
                Fixtures.usageIncrement(others, hourStart: Fixtures.now): 4,
                Fixtures.usageIncrement(others, hourStart: Fixtures.now, metric: "emails"): 40,
                Fixtures.usageIncrement(others, hourStart: Fixtures.now + 5 * Self.hour): 400,
            ]
            try await store.appendRequestLogs([], usage: usage, width: Fixtures.logWidth)

            let totals = try await store.usageTotals(metric: "requests", from: Fixtures.now, until: Fixtures.now + 2 * Self.hour)

            #expect(totals == [test: 5, live: 5, others: 4])
            #expect(try await store.usageTotals(metric: "emails", from: Fixtures.now, until: Fixtures.now + Self.hour) == [others: 40])
            #expect(try await store.usageTotals(metric: "requests", from: Fixtures.now - Self.hour, until: Fixtures.now).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func meteredRequestsAreCountedFromTheLogsLeavingOutUnauthenticatedAndRefusedOnes(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let (test, live, others) = (Fixtures.tenant(acme), Fixtures.tenant(acme, livemode: true), Fixtures.tenant(other))
            let entries = [
                Fixtures.logEntry(test, at: Fixtures.now - 1_000),  // before the range
                Fixtures.logEntry(test, at: Fixtures.now + 1_000),
                Fixtures.logEntry(test, at: Fixtures.now + 2_000, status: 404),
                Fixtures.logEntry(test, at: Fixtures.now + 3_000, status: 429),
                Fixtures.logEntry(test, at: Fixtures.now + Self.hour + 1_000, method: "POST", status: 201),
                Fixtures.logEntry(live, at: Fixtures.now + 4_000),
                Fixtures.logEntry(others, at: Fixtures.now + 5_000, status: 500),
                Fixtures.logEntry(nil, at: Fixtures.now + 6_000, status: 401),
                Fixtures.logEntry(others, at: Fixtures.now + 2 * Self.hour, status: 200),  // at the (exclusive) end
            ]
            try await store.appendRequestLogs(entries, usage: [:], width: Fixtures.logWidth)

            let counts = try await store.meteredRequestCounts(from: Fixtures.now, until: Fixtures.now + 2 * Self.hour, width: Fixtures.logWidth)

            #expect(counts == [test: 3, live: 1, others: 1])
        }
    }

    // MARK: Invoices

    @Test(arguments: StoreEngine.all)
    func invoicesAreInsertedOncePerOrganizationModeAndPeriod(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let (test, live) = (Fixtures.tenant(acme), Fixtures.tenant(acme, livemode: true))
            let january = Fixtures.billingInvoice(test, month: Fixtures.now, usage: 10)
            let januaryLive = Fixtures.billingInvoice(live, month: Fixtures.now, usage: 20)

            let first = try await store.insertInvoicesIfAbsent([january, januaryLive])

            #expect(first.map(\.id) == [january.id, januaryLive.id])
            let duplicate = Fixtures.billingInvoice(test, month: Fixtures.now + 86_400_000, usage: 99, at: Fixtures.now + 1_000)
            let february = Fixtures.billingInvoice(test, month: CivilTime.month(containing: Fixtures.now).end, at: Fixtures.now + 2_000)
            let second = try await store.insertInvoicesIfAbsent([duplicate, february])
            #expect(second.map(\.id) == [february.id])
            #expect(try await store.invoice(id: duplicate.id, scope: test) == nil)
            #expect(try await store.invoice(id: january.id, scope: test) == january)
            #expect(try await store.invoice(id: february.id, scope: test) == february)
            #expect(try await store.insertInvoicesIfAbsent([january, januaryLive, february]).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anInvoiceIsReadOnlyInItsTenant(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization("Acme", in: store)
            let other = try await Fixtures.seededOrganization("Other", in: store)
            let invoice = Fixtures.billingInvoice(Fixtures.tenant(acme), month: Fixtures.now)
            _ = try await store.insertInvoicesIfAbsent([invoice])

            #expect(try await store.invoice(id: invoice.id, scope: Fixtures.tenant(acme)) == invoice)
            #expect(try await store.invoice(id: invoice.id, scope: Fixtures.tenant(acme, livemode: true)) == nil)
            #expect(try await store.invoice(id: invoice.id, scope: Fixtures.tenant(other)) == nil)
            #expect(try await store.invoice(id: "inv_missing", scope: Fixtures.tenant(acme)) == nil)
            #expect(try await store.invoices(scope: Fixtures.tenant(other), page: Fixtures.wholePage).items.isEmpty)
        }
    }

    @Test(arguments: StoreEngine.all)
    func invoicesAreListedNewestFirstInPages(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.seededOrganization(in: store)
            let scope = Fixtures.tenant(acme)
            var invoices: [InvoiceRecord] = []
            var month = Fixtures.now
            for index in 0..<3 {
                invoices.append(Fixtures.billingInvoice(scope, month: month, at: Fixtures.now + Int64(index) * 1_000))
                month = CivilTime.month(containing: month).end
            }
            _ = try await store.insertInvoicesIfAbsent(
                invoices + [Fixtures.billingInvoice(Fixtures.tenant(acme, livemode: true), month: Fixtures.now)]
            )

            let first = try await store.invoices(scope: scope, page: PageRequest(limit: 2))
            #expect(first.items == [invoices[2], invoices[1]])
            #expect(first.hasMore)
            let rest = try await store.invoices(scope: scope, page: PageRequest(limit: 2, startingAfter: invoices[1].id))
            #expect(rest.items == [invoices[0]])
            #expect(!rest.hasMore)
        }
    }
}
