import Crypto
import Foundation
import PorticoCore
import PorticoStore

/// TOTP sign-in (RFC 6238) with recovery codes, for staff (mandatory) and
/// dashboard users (their choice, or their organization's): one set of
/// rules for both. The secret is sealed at rest (`SecretBox`, bound to the
/// account's id); recovery codes are kept as SHA-256 only (each is 50 random
/// bits, so a fast hash is enough, as for API keys); each time step and each
/// recovery code works once.
struct TwoFactor: Sendable {
    /// What the rules need of an account, staff or user.
    struct Account: Sendable {
        var id: String
        var sealedSecret: String?
        var enabledAt: Int64?
        var lastStep: Int64

        var isEnrolled: Bool { enabledAt != nil }
    }

    /// What a check decided.
    enum Outcome: Equatable {
        case totp
        case recoveryCode
        case refused
    }

    /// Shown in authenticator apps beside the account.
    static let issuer = "Portico"
    static let recoveryCodeCount = 10

    let holder: TwoFactorHolder
    let store: any TwoFactorStore
    let clock: any PorticoClock
    let secrets: SecretBox

    /// A secret to enroll, and the same sealed (bound to the account) for the form that shows it.
    /// Nothing is stored until enrollment: a secret someone else saw on a setup page they
    /// abandoned is never the one the account ends up with.
    func newEnrollment(for account: Account) -> (totp: TOTP, sealed: String) {
        let totp = TOTP.generate()
        return (totp, secrets.seal(totp.base32Secret, for: account.id))
    }

    /// The secret a form carried back, if it was sealed for this account.
    func enrollment(sealed: String, for account: Account) -> TOTP? {
        guard let base32 = try? secrets.open(sealed, for: account.id), let secret = Base32.decode(base32) else { return nil }
        return TOTP(secret: secret)
    }

    /// Enrolls the secret the form showed once a first code of it is right; every other session of
    /// the account ends. The recovery codes (shown once), or nil for a wrong code or a bad form.
    func completeEnrollment(
        _ account: Account,
        sealed: String,
        code: String,
        keepingSession: Data,
        by actor: AuditActor
    ) async throws -> [String]? {
        guard !account.isEnrolled, let totp = enrollment(sealed: sealed, for: account) else { return nil }
        let now = clock.nowMilliseconds
        guard let step = totp.verify(code, at: now, after: 0) else { return nil }
        let (hashes, codes) = Self.recoveryCodes()
        let audit = actor.entry(
            "\(holder.rawValue).two_factor_enrolled",
            organizationID: nil,
            targetType: holder.rawValue,
            targetID: account.id,
            at: now
        )
        let enrolled = try await store.enrollTOTP(
            holder,
            id: account.id,
            sealedSecret: sealed,
            step: step,
            recoveryCodeHashes: hashes,
            keepingSession: keepingSession,
            at: now,
            audit: audit
        )
        return enrolled ? codes : nil
    }

    /// Checks a six-digit code (each time step once) or a recovery code (each once).
    func verify(_ account: Account, input: String, by actor: AuditActor) async throws -> Outcome {
        guard account.isEnrolled, let totp = try totp(of: account) else { return .refused }
        let typed = input.trimmingCharacters(in: .whitespaces)
        let now = clock.nowMilliseconds
        if typed.count == TOTP.digits {
            guard let step = totp.verify(typed, at: now, after: account.lastStep) else { return .refused }
            return try await store.useTOTPStep(holder, id: account.id, step: step) ? .totp : .refused
        }
        let audit = actor.entry(
            "\(holder.rawValue).recovery_code_used",
            organizationID: nil,
            targetType: holder.rawValue,
            targetID: account.id,
            at: now
        )
        let used = try await store.useRecoveryCode(holder, id: account.id, codeHash: Self.hash(recoveryCode: typed), at: now, audit: audit)
        return used ? .recoveryCode : .refused
    }

    /// The account's secret, opened; nil when it has none.
    private func totp(of account: Account) throws -> TOTP? {
        guard let sealed = account.sealedSecret, let secret = Base32.decode(try secrets.open(sealed, for: account.id)) else { return nil }
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

extension StaffRecord {
    var twoFactor: TwoFactor.Account { TwoFactor.Account(id: id, sealedSecret: totpSecret, enabledAt: totpEnabledAt, lastStep: totpLastStep) }
}

extension UserRecord {
    var twoFactor: TwoFactor.Account { TwoFactor.Account(id: id, sealedSecret: totpSecret, enabledAt: totpEnabledAt, lastStep: totpLastStep) }
}

extension PorticoRuntime {
    /// Turns a dashboard user's second factor off (their choice on the account page, or an
    /// operator's with `portico user reset-two-factor` for someone who lost both the app and the
    /// codes): audited, with a notice to the account's address in the same transaction.
    func turnOffTwoFactor(of user: UserRecord, by actor: AuditActor) async throws {
        let now = clock.nowMilliseconds
        let audit = actor.entry("user.two_factor_disabled", organizationID: nil, targetType: "user", targetID: user.id, at: now)
        let notice = MailAddress(user.email).map {
            mail.compose(
                kind: "two_factor_disabled",
                to: $0,
                .twoFactorDisabled(accountURL: "\(baseURL.value)/dashboard/account"),
                organizationId: nil,
                at: now
            )
        }
        try await store.removeTOTP(.user, id: user.id, audit: audit, mail: notice)
    }

    /// `turnOffTwoFactor` for the user with `email` (the CLI's way in): the user's id, or why not.
    package func resetTwoFactor(email: String, by actor: AuditActor) async throws -> Result<String, KeyRequestError> {
        guard let user = try await store.user(email: email.lowercased()) else {
            return .failure(KeyRequestError(param: "email", description: "no user \(email)"))
        }
        guard user.hasTwoFactor else { return .failure(KeyRequestError(param: "email", description: "\(user.email) has no two-factor sign-in")) }
        try await turnOffTwoFactor(of: user, by: actor)
        return .success(user.id)
    }
}
