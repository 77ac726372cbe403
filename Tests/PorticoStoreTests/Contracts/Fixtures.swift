import Foundation
import PorticoCore

@testable import PorticoStore

/// Small, valid records for the contract suite. Times are fixed milliseconds
/// (2027-01-15T12:00:00Z) so expectations never depend on the wall clock;
/// ids are made at those times, so they sort as the store expects.
enum Fixtures {
    /// 2027-01-15T12:00:00Z.
    static let now: Int64 = 1_800_014_400_000

    static func organization(_ name: String = "Acme", at time: Int64 = now, plan: String = "free") -> OrganizationRecord {
        OrganizationRecord(id: Identifier.make("org", at: time), name: name, plan: plan, createdAt: time)
    }

    /// An audit entry about `target` in `organization`.
    static func audit(_ action: String, organization: String?, target: String, type: String = "test", at time: Int64 = now) -> AuditEntryRecord {
        AuditEntryRecord(
            id: Identifier.make("aud", at: time),
            organizationId: organization,
            actorType: "system",
            actorId: nil,
            action: action,
            targetType: type,
            targetId: target,
            ip: nil,
            requestId: nil,
            createdAt: time
        )
    }

    static func tenant(_ organization: OrganizationRecord, livemode: Bool = false) -> TenantScope {
        TenantScope(organizationId: organization.id, livemode: livemode)
    }
}
