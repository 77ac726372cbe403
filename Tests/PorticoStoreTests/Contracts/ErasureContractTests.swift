import Foundation
import PorticoCore
import Testing

@testable import PorticoStore

/// Erasure of personal data as every engine must do it: the subject's rows go, every
/// copy of its id or address is blanked (event payloads, captured bodies, logged paths,
/// audit details), and nobody else's data is touched. (`ErasureTests` in the app suite
/// checks the SQLite file, its WAL and backups hold no copy.)
struct ErasureContractTests {
    static let day: Int64 = 86_400_000

    /// A customer with an address, its event, a logged request whose path and body name it,
    /// and an audit row whose details hold the address; another customer alike.
    static func seed(
        _ store: any PorticoStorage
    ) async throws -> (organization: OrganizationRecord, scope: TenantScope, erased: CustomerRecord, kept: CustomerRecord) {
        let organization = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
        let scope = Fixtures.tenant(organization)
        let erased = Fixtures.customer(in: scope, name: "Ada", email: "Ada@Example.com", at: Fixtures.now)
        let kept = Fixtures.customer(in: scope, name: "Grace", email: "grace@example.com", at: Fixtures.now + 1)
        for customer in [erased, kept] {
            var event = Fixtures.event("customer.created", about: customer, at: customer.createdAt)
            event.data = #"{"object":{"email":"\#(customer.email!)","id":"\#(customer.id)","object":"customer"}}"#
            try await store.insertCustomer(customer, event: event)
            var log = Fixtures.logEntry(scope, at: customer.createdAt + 10, method: "POST", path: "/v1/customers/\(customer.id)")
            log.requestBody = "name=x&email=\(customer.email!.lowercased().replacingOccurrences(of: "@", with: "%40"))"
            var audit = Fixtures.audit("customer.viewed", organization: organization.id, target: customer.id, at: customer.createdAt + 20)
            audit.details = #"{"email":"\#(customer.email!)"}"#
            try await store.appendRequestLogs([log], usage: [:], stats: [:], routeStats: [:], audit: [audit], width: Self.day)
        }
        return (organization, scope, erased, kept)
    }

    @Test(arguments: StoreEngine.all)
    func erasingACustomerBlanksEveryCopyOfItAndNothingElse(engine: StoreEngine) async throws {
        try await engine.with { store in
            let (_, scope, erased, kept) = try await Self.seed(store)
            let audit = Fixtures.audit("customer.erased", organization: scope.organizationId, target: erased.id, at: Fixtures.now + 100)

            let report = try await store.erase(.customer(id: erased.id), audit: audit)

            #expect(report.removed["customers"] == 1)
            #expect(report.removed["event_payloads"] == 1)
            #expect(report.removed["request_logs"] == 1)
            #expect(report.removed["audit_details"] == 1)
            #expect(try await store.customer(id: erased.id, scope: scope) == nil)
            #expect(try await store.customer(id: kept.id, scope: scope) == kept)
            let events = try await store.events(scope: scope, filter: EventFilter(), page: PageRequest(limit: 10)).items
            #expect(events.filter { $0.data == ErasureText.erasedJSON }.count == 1)
            #expect(events.contains { $0.data.contains(kept.id) && $0.data.contains("grace@example.com") })
            let logs = try await store.requestLogs(scope: scope, filter: RequestLogFilter(), page: PageRequest(limit: 10), width: Self.day).items
            #expect(logs.contains { $0.path == "/v1/customers/[erased]" && $0.requestBody == nil })
            #expect(logs.contains { $0.path == "/v1/customers/\(kept.id)" && $0.requestBody != nil })
            let entries = try await store.auditEntries(organizationId: scope.organizationId, page: PageRequest(limit: 10)).items
            #expect(entries.contains { $0.targetId == erased.id && $0.details == ErasureText.erasedJSON })
            #expect(entries.contains { $0.targetId == kept.id && $0.details.contains("grace@example.com") })
            #expect(entries.contains { $0.action == "customer.erased" })
        }
    }

    @Test(arguments: StoreEngine.all)
    func erasingAnAddressFindsItsCustomerWhateverTheCase(engine: StoreEngine) async throws {
        try await engine.with { store in
            let (_, scope, erased, kept) = try await Self.seed(store)

            let report = try await store.erase(.email("ada@EXAMPLE.com"), audit: Fixtures.audit("email.erased", organization: nil, target: "email"))

            #expect(report.removed["customers"] == 1)
            #expect(try await store.customer(id: erased.id, scope: scope) == nil)
            #expect(try await store.customer(id: kept.id, scope: scope) == kept)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anUnknownCustomerOrOrganizationIsNotFoundAndNothingChanges(engine: StoreEngine) async throws {
        try await engine.with { store in
            let (_, scope, erased, _) = try await Self.seed(store)
            let audit = Fixtures.audit("customer.erased", organization: scope.organizationId, target: "cus_nobody")

            await #expect(throws: StoreError.self) { try await store.erase(.customer(id: "cus_nobody"), audit: audit) }
            await #expect(throws: StoreError.self) {
                try await store.erase(
                    .organization(id: "org_nobody"),
                    audit: Fixtures.audit("organization.erased", organization: nil, target: "org_nobody")
                )
            }
            #expect(try await store.customer(id: erased.id, scope: scope) == erased)
        }
    }

    @Test(arguments: StoreEngine.all)
    func anAddressWhoseAccountIsAnOrganizationsOnlyOwnerIsRefused(engine: StoreEngine) async throws {
        try await engine.with { store in
            let (organization, scope, _, _) = try await Self.seed(store)
            let owner = Fixtures.user("owner@example.com")
            try await store.createUser(
                owner,
                membership: Fixtures.membership(owner, in: organization),
                audit: Fixtures.audit("user.created", organization: scope.organizationId, target: owner.id)
            )

            let error = await #expect(throws: StoreError.self) {
                try await store.erase(.email("OWNER@example.com"), audit: Fixtures.audit("email.erased", organization: nil, target: "email"))
            }
            #expect(Fixtures.isConflict(error))
            #expect(try await store.user(id: owner.id) != nil)
        }
    }

    @Test(arguments: StoreEngine.all)
    func erasingAnOrganizationRemovesItsRowsLogsAndLoneMembers(engine: StoreEngine) async throws {
        try await engine.with { store in
            let (organization, scope, erased, _) = try await Self.seed(store)
            let member = Fixtures.user("member@example.com")
            try await store.createUser(
                member,
                membership: Fixtures.membership(member, in: organization),
                audit: Fixtures.audit("user.created", organization: scope.organizationId, target: member.id)
            )

            let report = try await store.erase(
                .organization(id: scope.organizationId),
                audit: Fixtures.audit("organization.erased", organization: nil, target: scope.organizationId)
            )

            #expect(report.removed["organizations"] == 1)
            #expect(report.removed["request_logs"] == 2)
            #expect(report.removed["dashboard_accounts"] == 1)
            #expect(try await store.organization(id: scope.organizationId) == nil)
            #expect(try await store.customer(id: erased.id, scope: scope) == nil)
            #expect(try await store.user(id: member.id) == nil)
            #expect(try await store.requestLog(requestId: "none", scope: scope, width: Self.day) == nil)
        }
    }
}
