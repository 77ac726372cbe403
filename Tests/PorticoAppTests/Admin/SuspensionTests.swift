import Foundation
import HTTPTypes
import PorticoCore
import Testing

@testable import PorticoApp

/// A suspended organization: every key answers 403 `organization_suspended`
/// from the next request on, nothing is deleted, and reactivation restores it.
struct SuspensionTests {
    @Test func suspensionRefusesEveryKeyUntilReactivatedAndIsAudited() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let created = try await api.send(.post, "/v1/customers", key: portico.testKey, json: #"{"name": "Kept"}"#)
            #expect(created.status == .ok)
            #expect(try await api.send(.get, "/v1/customers", key: portico.liveKey).status == .ok)

            let staff = AuditActor(type: "staff", id: "stf_test", ip: "127.0.0.1", requestID: nil)
            #expect(try await portico.runtime.organizations.setSuspended(portico.organizationID, true, by: staff)?.isSuspended == true)
            for key in [portico.testKey, portico.liveKey] {
                let refused = try await api.send(.get, "/v1/customers", key: key)
                #expect(refused.status == .forbidden)
                #expect(refused.json["code"] as? String == "organization_suspended")
            }
            // Another organization is untouched.
            let other = try await portico.seedOtherOrganization()
            #expect(try await api.send(.get, "/v1/customers", key: other.keys.testSecret).status == .ok)

            #expect(try await portico.runtime.organizations.setSuspended(portico.organizationID, false, by: staff)?.isSuspended == false)
            let back = try await api.send(.get, "/v1/customers", key: portico.testKey)
            #expect(back.status == .ok)
            #expect(back.list.count == 1)

            let audit = try await portico.store.auditEntries(targetId: portico.organizationID).map(\.action)
            #expect(audit.contains("organization.suspended") && audit.contains("organization.reactivated"))
            #expect(
                try await portico.store.auditEntries(targetId: portico.organizationID).first { $0.action == "organization.suspended" }?.actorType
                    == "staff"
            )
        }
    }
}
