/// Permission names a key can carry (`customers:read`). Secret keys hold every
/// scope, publishable keys only `publishableDefaults`, restricted keys exactly
/// the ones chosen when they were made.
public enum Scope {
    public static let all: [String] = [
        "customers:read", "customers:write",
        "events:read", "events:write",
        "webhooks:read", "webhooks:write",
        "logs:read", "usage:read", "invoices:read",
        "keys:read", "keys:write",
    ]

    /// Read-only scopes safe for a key that may ship inside a client.
    public static let publishableDefaults: [String] = ["customers:read", "events:read"]

    /// The value stored for a secret key: every scope, present and future.
    package static let wildcard = "*"

    package static func isKnown(_ scope: String) -> Bool { all.contains(scope) }

    package static func isReadOnly(_ scope: String) -> Bool { scope.hasSuffix(":read") }
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

    package func contains(_ scope: String) -> Bool { everything || names.contains(scope) }

    /// Whether a key holding these scopes may hand out `other` (no privilege escalation).
    package func covers(_ other: ScopeSet) -> Bool {
        everything || (!other.everything && other.names.isSubset(of: names))
    }

    /// The scopes as listed in API responses (`["*"]` for a secret key's everything).
    package var listed: [String] { everything ? [Scope.wildcard] : names.sorted() }
}
