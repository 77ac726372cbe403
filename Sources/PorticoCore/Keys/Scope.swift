/// A permission a key can carry, written `resource:access` (`customers:read`).
/// Routes name the scope they need with these constants, never with strings.
package struct Scope: Hashable, Sendable, CustomStringConvertible {
    package enum Access: String, Sendable {
        case read, write
    }

    package let resource: String
    package let access: Access
    /// `resource:access`, as stored and as the API lists it.
    package let name: String

    package init(_ resource: String, _ access: Access) {
        self.resource = resource
        self.access = access
        name = "\(resource):\(access.rawValue)"
    }

    /// Parses `resource:access`; nil for anything else.
    package init?(_ name: some StringProtocol) {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let access = Access(rawValue: String(parts[1])) else { return nil }
        self.init(String(parts[0]), access)
    }

    package var description: String { name }

    /// Read scopes are the only ones a publishable key (shipped inside clients) may hold.
    package var isReadOnly: Bool { access == .read }

    /// Whether a requested scope name is a read scope (`…:read`), whatever its resource.
    package static func isReadOnly(_ name: String) -> Bool { name.hasSuffix(":" + Access.read.rawValue) }

    // MARK: Portico's own scopes

    package static let customersRead = Scope("customers", .read)
    package static let customersWrite = Scope("customers", .write)
    package static let eventsRead = Scope("events", .read)
    package static let eventsWrite = Scope("events", .write)
    package static let webhooksRead = Scope("webhooks", .read)
    package static let webhooksWrite = Scope("webhooks", .write)
    package static let logsRead = Scope("logs", .read)
    package static let usageRead = Scope("usage", .read)
    package static let invoicesRead = Scope("invoices", .read)
    package static let keysRead = Scope("keys", .read)
    package static let keysWrite = Scope("keys", .write)
    /// Recording usage measured after the fact: platform keys only.
    package static let usageWrite = Scope("usage", .write)

    /// The value stored for a secret key: every scope, present and future.
    package static let wildcard = "*"
}

/// The scopes an instance knows, in the order they are offered: Portico's own
/// and, later, custom ones (a gateway's `orders:read`).
package struct ScopeCatalogue: Sendable {
    package let scopes: [Scope]

    package init(_ scopes: [Scope]) {
        self.scopes = scopes
    }

    package static let builtIn = ScopeCatalogue([
        .customersRead, .customersWrite,
        .eventsRead, .eventsWrite,
        .webhooksRead, .webhooksWrite,
        .logsRead, .usageRead, .invoicesRead,
        .keysRead, .keysWrite,
    ])

    /// What a platform key may do for the organization it names: publish
    /// events, record usage, read keys and usage. Not offered to tenant keys.
    package static let platform: [Scope] = [.eventsRead, .eventsWrite, .keysRead, .usageRead, .usageWrite]

    /// What a publishable key holds when no scopes are asked for.
    package static let publishableDefaults: [Scope] = [.customersRead, .eventsRead]

    package func contains(_ scope: Scope) -> Bool { scopes.contains(scope) }
}

/// The scopes a key holds, as checked on every request.
package struct ScopeSet: Sendable, Equatable {
    private let names: Set<String>
    private let everything: Bool

    package init(stored: String) {
        let parts = stored.split(separator: " ").map(String.init)
        everything = parts.contains(Scope.wildcard)
        names = Set(parts)
    }

    package func contains(_ scope: Scope) -> Bool { everything || names.contains(scope.name) }

    /// Whether a key holding these scopes may hand out `other` (no privilege escalation).
    package func covers(_ other: ScopeSet) -> Bool {
        everything || (!other.everything && other.names.isSubset(of: names))
    }

    /// The scopes as listed in API responses (`["*"]` for a secret key's everything).
    package var listed: [String] { everything ? [Scope.wildcard] : names.sorted() }
}
