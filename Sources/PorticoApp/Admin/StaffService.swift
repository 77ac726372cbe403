import Crypto
import Foundation
import PorticoCore
import PorticoStore

/// Staff accounts and their second factor: made by the CLI (`portico staff
/// create|list|disable`) and the sandbox, enrolled and checked by the
/// `/admin` sign-in. TOTP is mandatory: an account without it can do
/// nothing but enroll. The secret is sealed at rest (`SecretBox`, bound to
/// the account's id); recovery codes are kept as SHA-256 only (each is 50
/// random bits, so a fast hash is enough, as for API keys).
public struct StaffService: Sendable {
    let store: any StaffStore
    let clock: any PorticoClock
    let hasher: PasswordHasher
    let secrets: SecretBox

    /// Shown in authenticator apps beside the account.
    static let issuer = "Portico"
    static let recoveryCodeCount = 10

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

    // MARK: Two-factor

    /// The secret being enrolled: the pending one if the account has one, else a new one, kept sealed.
    func pendingEnrollment(_ staff: StaffRecord) async throws -> TOTP {
        if let totp = try totp(of: staff) { return totp }
        let totp = TOTP.generate()
        try await store.setPendingTOTPSecret(staffId: staff.id, sealedSecret: secrets.seal(totp.base32Secret, for: staff.id))
        return totp
    }

    /// Completes enrollment with a first code; returns the recovery codes (shown once), or nil for a wrong code.
    func completeEnrollment(_ staff: StaffRecord, code: String, by actor: AuditActor) async throws -> [String]? {
        guard !staff.isEnrolled else { return nil }
        let totp = try await pendingEnrollment(staff)
        let now = clock.nowMilliseconds
        guard let step = totp.verify(code, at: now, after: 0) else { return nil }
        let (hashes, codes) = Self.recoveryCodes()
        let audit = actor.entry("staff.two_factor_enrolled", organizationID: nil, targetType: "staff", targetID: staff.id, at: now)
        guard try await store.enrollTOTP(staffId: staff.id, step: step, recoveryCodeHashes: hashes, at: now, audit: audit) else { return nil }
        return codes
    }

    /// What a second-factor check decided.
    enum SecondFactor: Equatable {
        case totp
        case recoveryCode
        case refused
    }

    /// Checks a six-digit code (each time step once) or a recovery code (each once).
    func verifySecondFactor(_ staff: StaffRecord, input: String, by actor: AuditActor) async throws -> SecondFactor {
        guard staff.isEnrolled, let totp = try totp(of: staff) else { return .refused }
        let typed = input.trimmingCharacters(in: .whitespaces)
        let now = clock.nowMilliseconds
        if typed.count == TOTP.digits {
            guard let step = totp.verify(typed, at: now, after: staff.totpLastStep) else { return .refused }
            return try await store.useTOTPStep(staffId: staff.id, step: step) ? .totp : .refused
        }
        let audit = actor.entry("staff.recovery_code_used", organizationID: nil, targetType: "staff", targetID: staff.id, at: now)
        let used = try await store.useRecoveryCode(staffId: staff.id, codeHash: Self.hash(recoveryCode: typed), at: now, audit: audit)
        return used ? .recoveryCode : .refused
    }

    /// The account's secret, opened; nil when it has none.
    private func totp(of staff: StaffRecord) throws -> TOTP? {
        guard let sealed = staff.totpSecret, let secret = Base32.decode(try secrets.open(sealed, for: staff.id)) else { return nil }
        return TOTP(secret: secret)
    }

    /// Ten codes like `k7wq-3mzp-xa`: 10 base32 characters, 50 bits each.
    static func recoveryCodes() -> (hashes: [Data], codes: [String]) {
        var generator = SystemRandomNumberGenerator()
        let codes = (0..<recoveryCodeCount).map { _ -> String in
            let characters = Array(Base32.encode((0..<7).map { _ in generator.next() }).lowercased().prefix(10))
            return "\(String(characters[0..<4]))-\(String(characters[4..<8]))-\(String(characters[8..<10]))"
        }
        return (codes.map { hash(recoveryCode: $0) }, codes)
    }

    /// A typed code's hash: case, spaces and hyphens do not matter.
    static func hash(recoveryCode: String) -> Data {
        let normalized = recoveryCode.lowercased().filter { $0 != "-" && !$0.isWhitespace }
        return Data(SHA256.hash(data: Data(normalized.utf8)))
    }
}
