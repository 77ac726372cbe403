/// Where an API key is in its life, read from its stored dates: the one rule
/// authentication, the keys API, the dashboard and the CLI all apply. A key
/// expires at its `expiresAt` exactly (usable before, not at).
package enum KeyState: Equatable, Sendable {
    /// Usable; `expiresAt` is its end, if it has one.
    case active(expiresAt: Int64?)
    /// Rolled to a successor and still usable until `expiresAt` (the overlap).
    case rolled(expiresAt: Int64?)
    case expired
    case revoked

    package init(revokedAt: Int64?, expiresAt: Int64?, rolledToID: String? = nil, now: Int64) {
        if revokedAt != nil {
            self = .revoked
        } else if let expiresAt, expiresAt <= now {
            self = .expired
        } else if rolledToID != nil {
            self = .rolled(expiresAt: expiresAt)
        } else {
            self = .active(expiresAt: expiresAt)
        }
    }

    /// Whether a request with this key may be served.
    package var isUsable: Bool {
        switch self {
        case .active, .rolled: true
        case .expired, .revoked: false
        }
    }

    /// The end of a usable key, if it has one.
    package var expiresAt: Int64? {
        switch self {
        case .active(let expiresAt), .rolled(let expiresAt): expiresAt
        case .expired, .revoked: nil
        }
    }

    /// The API's `status` field: a rolled key still in its overlap is `active`.
    package var apiStatus: String {
        switch self {
        case .active, .rolled: "active"
        case .expired: "expired"
        case .revoked: "revoked"
        }
    }
}
