import Foundation
import PorticoCore
import PorticoStore
import Testing

/// What every engine must do for an account's own security: a password
/// change that keeps only the session making it, address confirmation links
/// that work once (and fail without changing anything when the address was
/// taken meanwhile), and second factors whose one-time checks are
/// compare-and-set, for staff and users alike.
struct AccountSecurityContractTests {
    static func mail(to address: String, kind: String = "notice", at time: Int64 = Fixtures.now) -> MailRecord {
        MailRecord(
            id: Identifier.make("mail", at: time),
            organizationId: nil,
            kind: kind,
            recipients: address,
            subject: kind,
            body: "sealed",
            at: time
        )
    }

    static func link(
        _ user: UserRecord,
        _ email: String,
        _ purpose: EmailConfirmationRecord.Purpose,
        at time: Int64 = Fixtures.now
    )
        -> EmailConfirmationRecord
    {
        EmailConfirmationRecord(
            tokenHash: Fixtures.secretHash(),
            userId: user.id,
            email: email,
            purpose: purpose,
            createdAt: time,
            expiresAt: time + 86_400_000
        )
    }

    static func confirm(_ link: EmailConfirmationRecord, in store: any PorticoStorage, at time: Int64) async throws -> UserRecord? {
        try await store.confirmEmail(tokenHash: link.tokenHash, now: time) { link, _ in
            Fixtures.audit("user.email_confirmed", organization: nil, target: link.userId, type: "user", at: time)
        }
    }

    @Test(arguments: StoreEngine.all)
    func aPasswordChangeKeepsOnlyTheSessionMakingIt(engine: StoreEngine) async throws {
        try await engine.with { store in
            let acme = try await Fixtures.insert(Fixtures.organization("Acme"), into: store)
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: acme, into: store)
            let here = Fixtures.session(of: ada, in: acme)
            let there = Fixtures.session(of: ada, in: acme)
            for session in [here, there] {
                try await store.insertSession(session, audit: Fixtures.audit("user.signed_in", organization: acme.id, target: ada.id))
            }
            // An address change asked for with a stolen password must not outlive the new password.
            let move = Self.link(ada, "thief@example.net", .change)
            try await store.insertEmailConfirmation(move, mails: [], audit: nil)
            try await store.changePassword(
                userId: ada.id,
                passwordHash: "new-hash",
                keepingSession: here.idHash,
                mail: Self.mail(to: ada.email, kind: "password_changed"),
                audit: Fixtures.audit("user.password_changed", organization: nil, target: ada.id, type: "user", at: Fixtures.now + 1)
            )
            #expect(try await store.user(id: ada.id)?.passwordHash == "new-hash")
            #expect(try await store.session(idHash: here.idHash) != nil)
            #expect(try await store.session(idHash: there.idHash) == nil)
            #expect(try await store.emailConfirmation(tokenHash: move.tokenHash, now: Fixtures.now + 2) == nil)
            #expect(try await store.mails(status: nil, recipient: ada.email, page: PageRequest(limit: 5)).items.map(\.kind) == ["password_changed"])
            #expect(try await store.auditEntries(targetId: ada.id).contains { $0.action == "user.password_changed" })
        }
    }

    @Test(arguments: StoreEngine.all)
    func aConfirmationLinkWorksOnceAndANewerOneReplacesIt(engine: StoreEngine) async throws {
        try await engine.with { store in
            var unconfirmed = Fixtures.user("ada@example.com")
            unconfirmed.emailVerifiedAt = nil
            let ada = try await Fixtures.insert(unconfirmed, memberOf: nil, into: store)
            let first = Self.link(ada, ada.email, .verify)
            try await store.insertEmailConfirmation(first, mails: [Self.mail(to: ada.email)], audit: nil)
            let second = Self.link(ada, ada.email, .verify, at: Fixtures.now + 1)
            try await store.insertEmailConfirmation(second, mails: [Self.mail(to: ada.email, at: Fixtures.now + 1)], audit: nil)
            #expect(try await store.emailConfirmation(tokenHash: first.tokenHash, now: Fixtures.now + 2) == nil, "replaced")
            #expect(try await Self.confirm(first, in: store, at: Fixtures.now + 2) == nil)
            #expect(try await store.user(id: ada.id)?.isEmailVerified == false)

            #expect(try await Self.confirm(second, in: store, at: Fixtures.now + 2)?.emailVerifiedAt == Fixtures.now + 2)
            #expect(try await Self.confirm(second, in: store, at: Fixtures.now + 3) == nil, "once")
            // Expired links do nothing.
            let late = Self.link(ada, "ada@new.example", .change, at: Fixtures.now + 4)
            try await store.insertEmailConfirmation(late, mails: [], audit: nil)
            #expect(try await Self.confirm(late, in: store, at: late.expiresAt) == nil)
            #expect(try await store.user(id: ada.id)?.email == "ada@example.com")
        }
    }

    @Test(arguments: StoreEngine.all)
    func anAddressChangeMovesTheAccountAndEndsItsOtherLinks(engine: StoreEngine) async throws {
        try await engine.with { store in
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: nil, into: store)
            let reset = PasswordResetRecord(
                tokenHash: Fixtures.secretHash(),
                userId: ada.id,
                createdAt: Fixtures.now,
                expiresAt: Fixtures.now + 3_600_000
            )
            try await store.requestPasswordReset(
                reset,
                mail: Self.mail(to: ada.email, kind: "password_reset"),
                audit: Fixtures.audit("user.password_reset_requested", organization: nil, target: ada.id, type: "user")
            )
            let move = Self.link(ada, "ada@new.example", .change)
            try await store.insertEmailConfirmation(move, mails: [Self.mail(to: "ada@new.example")], audit: nil)
            let moved = try await Self.confirm(move, in: store, at: Fixtures.now + 1)
            #expect(moved?.email == "ada@new.example")
            #expect(try await store.user(email: "ada@example.com") == nil)
            #expect(try await store.passwordReset(tokenHash: reset.tokenHash, now: Fixtures.now + 2) == nil, "a link sent to the old address dies")
            #expect(try await store.auditEntries(targetId: ada.id).contains { $0.action == "user.email_confirmed" })
        }
    }

    @Test(arguments: StoreEngine.all)
    func anAddressTakenMeanwhileChangesNothing(engine: StoreEngine) async throws {
        try await engine.with { store in
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: nil, into: store)
            let move = Self.link(ada, "shared@example.com", .change)
            try await store.insertEmailConfirmation(move, mails: [], audit: nil)
            try await Fixtures.insert(Fixtures.user("shared@example.com", at: Fixtures.now + 1), memberOf: nil, into: store)
            let error = await #expect(throws: StoreError.self) { try await Self.confirm(move, in: store, at: Fixtures.now + 2) }
            #expect(Fixtures.isConflict(error))
            #expect(try await store.user(id: ada.id)?.email == "ada@example.com")
            #expect(try await store.emailConfirmation(tokenHash: move.tokenHash, now: Fixtures.now + 2) != nil, "the link was not spent")
        }
    }

    @Test(arguments: StoreEngine.all)
    func secondFactorsAreCompareAndSetForStaffAndUsers(engine: StoreEngine) async throws {
        try await engine.with { store in
            let ada = try await Fixtures.insert(Fixtures.user("ada@example.com"), memberOf: nil, into: store)
            let ops = StaffRecord(
                id: Identifier.make("stf", at: Fixtures.now),
                email: "ops@example.com",
                passwordHash: "hash",
                createdAt: Fixtures.now
            )
            try await store.createStaff(ops, audit: Fixtures.audit("staff.created", organization: nil, target: ops.id, type: "staff"))
            for (holder, id) in [(TwoFactorHolder.user, ada.id), (.staff, ops.id)] {
                let enrolled = Fixtures.audit("\(holder.rawValue).two_factor_enrolled", organization: nil, target: id, type: holder.rawValue)
                let codes = [Data([1]), Data([2])]
                func enroll(step: Int64) async throws -> Bool {
                    try await store.enrollTOTP(
                        holder,
                        id: id,
                        sealedSecret: "sealed-\(step)",
                        step: step,
                        recoveryCodeHashes: codes,
                        keepingSession: Data([0]),
                        at: Fixtures.now,
                        audit: enrolled
                    )
                }
                #expect(try await enroll(step: 10))
                #expect(try await !enroll(step: 11), "once: a second enrollment changes nothing")
                #expect(try await !store.useTOTPStep(holder, id: id, step: 10), "the enrolling step is spent")
                #expect(try await store.useTOTPStep(holder, id: id, step: 11))
                #expect(try await !store.useTOTPStep(holder, id: id, step: 11))
                let used = Fixtures.audit("\(holder.rawValue).recovery_code_used", organization: nil, target: id, type: holder.rawValue)
                #expect(try await store.useRecoveryCode(holder, id: id, codeHash: Data([1]), at: Fixtures.now, audit: used))
                #expect(try await !store.useRecoveryCode(holder, id: id, codeHash: Data([1]), at: Fixtures.now, audit: used))
                #expect(try await !store.useRecoveryCode(holder, id: id, codeHash: Data([9]), at: Fixtures.now, audit: used))
                #expect(try await store.unusedRecoveryCodes(holder, id: id) == 1)
            }
            #expect(try await store.user(id: ada.id)?.hasTwoFactor == true)
            #expect(try await store.user(id: ada.id)?.totpSecret == "sealed-10")
            #expect(try await store.staff(id: ops.id)?.isEnrolled == true)

            let off = Fixtures.audit("user.two_factor_disabled", organization: nil, target: ada.id, type: "user")
            try await store.removeTOTP(.user, id: ada.id, audit: off, mail: Self.mail(to: ada.email, kind: "two_factor_disabled"))
            let user = try #require(try await store.user(id: ada.id))
            #expect(!user.hasTwoFactor && user.totpSecret == nil && user.totpLastStep == 0)
            #expect(try await store.unusedRecoveryCodes(.user, id: ada.id) == 0)
            #expect(try await store.staff(id: ops.id)?.isEnrolled == true, "the other holder's kind is untouched")
        }
    }
}
