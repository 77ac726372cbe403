import Foundation
import PorticoCore
import PorticoStore

/// Staff accounts: made by the CLI (`portico staff create|list|disable`)
/// and the sandbox, enrolled and checked by the `/admin` sign-in. TOTP
/// (`TwoFactor`) is mandatory: an account without it can do nothing but enroll.
public struct StaffService: Sendable {
    let store: any StaffStore & TwoFactorStore
    let clock: any PorticoClock
    let hasher: PasswordHasher
    let secrets: SecretBox

    /// Creates an account (not yet enrolled: the first sign-in enrolls it).
    package func create(email: String, password: String, by actor: AuditActor) async throws -> StaffRecord {
        try await create(email: email, password: password, enrolled: nil, by: actor)
    }

    /// An account already enrolled (one write, no recovery codes: nobody would see them), for the
    /// sandbox: its TOTP is returned so CI can sign in with it.
    package func createEnrolled(email: String, password: String, by actor: AuditActor) async throws -> TOTP {
        let totp = TOTP.generate()
        _ = try await create(email: email, password: password, enrolled: totp, by: actor)
        return totp
    }

    private func create(email: String, password: String, enrolled totp: TOTP?, by actor: AuditActor) async throws -> StaffRecord {
        let email = try AccountService.checkedCredentials(email: email, password: password)
        let now = clock.nowMilliseconds
        var staff = StaffRecord(id: Identifier.make("stf", at: now), email: email, passwordHash: try hasher.hash(password), createdAt: now)
        if let totp {
            staff.totpSecret = secrets.seal(totp.base32Secret, for: staff.id)
            staff.totpEnabledAt = now
        }
        let audit = actor.entry("staff.created", organizationID: nil, targetType: "staff", targetID: staff.id, details: ["email": email], at: now)
        try await store.createStaff(staff, audit: audit)
        return staff
    }

    package func list() async throws -> [StaffRecord] { try await store.allStaff() }

    /// Disables by email or id; nil when there is no such account.
    package func disable(_ emailOrID: String, by actor: AuditActor) async throws -> StaffRecord? {
        guard let staff = try await find(emailOrID) else { return nil }
        let now = clock.nowMilliseconds
        let audit = actor.entry(
            "staff.disabled",
            organizationID: nil,
            targetType: "staff",
            targetID: staff.id,
            details: ["email": staff.email],
            at: now
        )
        guard try await store.disableStaff(id: staff.id, at: now, audit: audit) else { return nil }
        return try await store.staff(id: staff.id)
    }

    func find(_ emailOrID: String) async throws -> StaffRecord? {
        emailOrID.hasPrefix("stf_") ? try await store.staff(id: emailOrID) : try await store.staff(email: emailOrID.lowercased())
    }

    /// The mandatory second factor of staff accounts.
    var twoFactor: TwoFactor { TwoFactor(holder: .staff, store: store, clock: clock, secrets: secrets) }
}
