import Foundation

/// A row of `staff_users`: someone of the team that runs Portico, who signs
/// in at `/admin` (never a tenant user: a separate table, cookie and session).
package struct StaffRecord: Codable, Sendable, Equatable {
    package var id: String
    package var email: String
    /// A PHC-style scrypt string; never the password.
    package var passwordHash: String
    /// The TOTP secret, sealed (`SecretBox`); set with `totpEnabledAt` at enrollment, never before.
    package var totpSecret: String?
    package var totpEnabledAt: Int64?
    /// The last TOTP time step accepted: a code for it or an earlier one is refused.
    package var totpLastStep: Int64
    package var disabledAt: Int64?
    package var createdAt: Int64

    package init(id: String, email: String, passwordHash: String, createdAt: Int64) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.totpSecret = nil
        self.totpEnabledAt = nil
        self.totpLastStep = 0
        self.disabledAt = nil
        self.createdAt = createdAt
    }

    package var isDisabled: Bool { disabledAt != nil }
    package var isEnrolled: Bool { totpEnabledAt != nil }

    package enum CodingKeys: String, CodingKey {
        case id, email
        case passwordHash = "password_hash"
        case totpSecret = "totp_secret"
        case totpEnabledAt = "totp_enabled_at"
        case totpLastStep = "totp_last_step"
        case disabledAt = "disabled_at"
        case createdAt = "created_at"
    }
}

/// A row of `staff_sessions`, kept by the SHA-256 of its cookie.
package struct StaffSessionRecord: Codable, Sendable, Equatable {
    package var idHash: Data
    package var staffId: String
    package var createdAt: Int64
    package var lastSeenAt: Int64
    /// When the second factor was passed; nil: only the two-factor step may be served.
    package var verifiedAt: Int64?

    package init(idHash: Data, staffId: String, createdAt: Int64) {
        self.idHash = idHash
        self.staffId = staffId
        self.createdAt = createdAt
        self.lastSeenAt = createdAt
        self.verifiedAt = nil
    }

    package enum CodingKeys: String, CodingKey {
        case idHash = "id_hash"
        case staffId = "staff_id"
        case createdAt = "created_at"
        case lastSeenAt = "last_seen_at"
        case verifiedAt = "verified_at"
    }
}
