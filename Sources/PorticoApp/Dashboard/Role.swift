/// A member's role in an organization, and what each may do in the
/// dashboard. Every page and every action asks `may` before it runs.
enum Role: String, CaseIterable, Sendable {
    case owner, admin, developer, viewer

    enum Action: Sendable, Equatable {
        /// Create, roll or revoke keys; create, change, rotate or test webhook endpoints; retry and replay deliveries.
        case manageKeys(live: Bool)
        case manageWebhooks(live: Bool)
        /// See a webhook endpoint's signing secret.
        case revealSecrets(live: Bool)
        /// Invite members, change roles (not to or from owner), remove members.
        case manageMembers
        /// Make or unmake owners.
        case manageOwners
        /// Body capture and the API version pin.
        case changeSettings
        case changePlan
    }

    /// The permission table: viewers read; developers work in test mode;
    /// admins work in both modes and run the team; owners also hold billing and ownership.
    func may(_ action: Action) -> Bool {
        switch (self, action) {
        case (.owner, _): true
        case (.admin, .manageOwners), (.admin, .changePlan): false
        case (.admin, _): true
        case (.developer, .manageKeys(let live)), (.developer, .manageWebhooks(let live)), (.developer, .revealSecrets(let live)): !live
        case (.developer, _), (.viewer, _): false
        }
    }

    var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}
