import PorticoCore
import Testing

@testable import PorticoStore

/// The audit log as every engine must keep it.
struct AuditContractTests {
    @Test(arguments: StoreEngine.all)
    func entriesAreReadBackNewestFirstPerOrganizationAndOldestFirstPerTarget(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = Fixtures.organization("Acme")
            let other = Fixtures.organization("Other", at: Fixtures.now + 1)
            try await store.createOrganization(acme, audit: Fixtures.audit("organization.created", organization: acme.id, target: acme.id))
            try await store.createOrganization(other, audit: Fixtures.audit("organization.created", organization: other.id, target: other.id))
            let later = Fixtures.audit("organization.updated", organization: acme.id, target: acme.id, at: Fixtures.now + 10)
            _ = try await store.updateOrganization(id: acme.id, plan: "starter", bodyCapture: nil, at: Fixtures.now + 10, audit: later)

            let page = try await store.auditEntries(organizationId: acme.id, page: PageRequest(limit: 10))
            #expect(page.items.map(\.action) == ["organization.updated", "organization.created"])
            #expect(!page.hasMore)
            let first = try await store.auditEntries(organizationId: acme.id, page: PageRequest(limit: 1))
            #expect(first.items.map(\.action) == ["organization.updated"] && first.hasMore)

            let aboutAcme = try await store.auditEntries(targetId: acme.id)
            #expect(aboutAcme.map(\.action) == ["organization.created", "organization.updated"])
            #expect(try await store.auditEntries(organizationId: other.id, page: PageRequest(limit: 10)).items.count == 1)
        }
    }
}
