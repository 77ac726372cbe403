import Foundation
import PorticoCore
import PorticoStore

/// The four keys every seeded organization gets.
public struct SeededKeys: Sendable {
    public var testSecret: String
    public var liveSecret: String
    public var testPublishable: String
    public var livePublishable: String
}

/// An organization made ready to use: an owner who can log in and its keys.
public struct SeededOrganization: Sendable {
    package var organization: OrganizationRecord
    public var ownerEmail: String
    public var ownerPassword: String
    public var keys: SeededKeys

    public var organizationID: String { organization.id }
    public var organizationName: String { organization.name }
}

/// Creates organizations with an owner and test/live secret and publishable
/// keys: the sandbox's seed and `serve`'s first run.
public struct Seeder: Sendable {
    let runtime: PorticoRuntime

    public init(runtime: PorticoRuntime) {
        self.runtime = runtime
    }

    public func seedOrganization(name: String, ownerEmail: String) async throws -> SeededOrganization {
        let organization = try await runtime.accounts.createOrganization(name: name, by: .system)
        let password = Base62.random(count: 20)
        _ = try await runtime.accounts.createUser(
            email: ownerEmail,
            password: password,
            name: "Owner",
            organizationID: organization.id,
            role: "owner",
            by: .system
        )
        func key(_ kind: APIKeyKind, live: Bool) async throws -> String {
            try await runtime.keys.create(
                NewKeyRequest(organizationID: organization.id, livemode: live, kind: kind, label: "\(kind.rawValue) (seed)"),
                by: .system
            ).secret
        }
        let keys = SeededKeys(
            testSecret: try await key(.secret, live: false),
            liveSecret: try await key(.secret, live: true),
            testPublishable: try await key(.publishable, live: false),
            livePublishable: try await key(.publishable, live: true)
        )
        return SeededOrganization(organization: organization, ownerEmail: ownerEmail, ownerPassword: password, keys: keys)
    }

    /// About thirty days of sample history for `seeded`'s organization (`portico sandbox --seed-data`).
    public func seedSampleData(_ seeded: SeededOrganization) async throws {
        try await SampleData(runtime: runtime).fill(seeded)
    }
}
