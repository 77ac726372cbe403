import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Two-factor sign-in for dashboard users: set up from the account page,
/// asked for at every sign-in (each code once, each recovery code once),
/// turned off with the password and a code, and required of every member
/// by an organization that says so.
struct TwoFactorPagesTests {
    /// Sets two-factor sign-in up for the signed-in `browser`; its TOTP and recovery codes.
    static func enroll(_ browser: Browser, _ portico: TestPortico, password: String? = nil) async throws -> (TOTP, [String]) {
        let password = password ?? portico.seed.ownerPassword
        let setup = try await browser.get(TwoFactorPages.setup)
        #expect(setup.status == .ok && setup.text.contains("<svg") && !setup.text.contains("<script"))
        let totp = try ConsoleSignInTests.enrollmentSecret(setup.text)
        let csrf = try #require(Browser.field("csrf_token", in: setup.text))
        let secret = try #require(Browser.field("secret", in: setup.text))
        let fields = [("csrf_token", csrf), ("secret", secret), ("current_password", password)]
        let wrong = try await browser.post(TwoFactorPages.setup, fields + [("code", "000000")])
        #expect(wrong.status == .unauthorized)
        #expect(try ConsoleSignInTests.enrollmentSecret(wrong.text).base32Secret == totp.base32Secret, "a refused form shows its secret again")
        let on = try await browser.post(TwoFactorPages.setup, fields + [("code", ConsoleSignInTests.code(totp, portico))])
        #expect(on.status == .ok && on.text.contains("Two-factor sign-in is on"))
        let codes = on.text.components(separatedBy: "<li><code>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        #expect(codes.count == TwoFactor.recoveryCodeCount)
        return (totp, codes)
    }

    /// Posts a code at the sign-in step.
    static func step(_ browser: Browser, _ code: String) async throws -> TestResponse {
        try await browser.post(TwoFactorPages.step, [("csrf_token", try await browser.csrfToken(TwoFactorPages.step)), ("code", code)])
    }

    @Test func onceOnEverySignInAsksForACodeAndEachWorksOnce() async throws {
        let portico = try await TestPortico.make()
        portico.clock.freeze()
        try await portico.run { api in
            let email = portico.seed.ownerEmail
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            #expect(try await owner.get("/dashboard/account").text.contains("Set up two-factor sign-in"))
            let (totp, codes) = try await Self.enroll(owner, portico)
            #expect(try await owner.get("/dashboard").status == .ok, "the session that set it up goes on")
            let user = try #require(try await portico.store.user(email: email))
            #expect(user.hasTwoFactor && user.totpSecret?.contains(totp.base32Secret) == false, "the secret is sealed")

            // The password alone no longer signs in: only the step is served.
            let next = Browser(api.client)
            let password = try await next.signIn(email, portico.seed.ownerPassword)
            #expect(password.headers[.location] == TwoFactorPages.step)
            #expect(try await next.get("/dashboard/keys").headers[.location] == TwoFactorPages.step)
            #expect(try await Self.step(next, "123456").status == .unauthorized)
            // The step used to set it up is spent; the next one works, once.
            #expect(try await Self.step(next, ConsoleSignInTests.code(totp, portico)).status == .unauthorized)
            portico.clock.advance(by: 30)
            let passed = try await Self.step(next, ConsoleSignInTests.code(totp, portico))
            #expect(passed.status == .seeOther && passed.headers[.location] == "/dashboard")
            #expect(try await next.get("/dashboard/keys").status == .ok)
            let again = Browser(api.client)
            try await again.signIn(email, portico.seed.ownerPassword)
            #expect(try await Self.step(again, ConsoleSignInTests.code(totp, portico)).status == .unauthorized, "a code works once")

            // A recovery code, once.
            #expect(try await Self.step(again, codes[0].uppercased()).status == .seeOther)
            let third = Browser(api.client)
            try await third.signIn(email, portico.seed.ownerPassword)
            #expect(try await Self.step(third, codes[0]).status == .unauthorized)
            #expect(try await portico.store.unusedRecoveryCodes(.user, id: user.id) == TwoFactor.recoveryCodeCount - 1)
            let actions = try await portico.store.auditEntries(targetId: user.id).map(\.action)
            #expect(actions.contains("user.two_factor_enrolled") && actions.contains("user.recovery_code_used"))
            #expect(actions.contains("user.password_accepted"))
        }
    }

    @Test func turningItOffNeedsThePasswordAndACodeAndSaysSoByMail() async throws {
        let portico = try await TestPortico.make()
        portico.clock.freeze()
        try await portico.run { api in
            let email = portico.seed.ownerEmail
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let (totp, _) = try await Self.enroll(owner, portico)
            portico.clock.advance(by: 30)
            let csrf = try await owner.csrfToken("/dashboard/account")
            let wrong = try await owner.post(
                "\(TwoFactorPages.setup)/disable",
                [("csrf_token", csrf), ("current_password", "not the password"), ("code", ConsoleSignInTests.code(totp, portico))]
            )
            #expect(wrong.status == .badRequest)
            #expect(try await portico.store.user(email: email)?.hasTwoFactor == true)
            let off = try await owner.post(
                "\(TwoFactorPages.setup)/disable",
                [("csrf_token", csrf), ("current_password", portico.seed.ownerPassword), ("code", ConsoleSignInTests.code(totp, portico))]
            )
            #expect(off.status == .seeOther)
            #expect(try await portico.store.user(email: email)?.hasTwoFactor == false)
            let notice = try #require(try await portico.store.mails(status: nil, recipient: email, page: PageRequest(limit: 1)).items.first)
            #expect(notice.kind == "two_factor_disabled")
            #expect(try await Browser(api.client).signIn(email, portico.seed.ownerPassword).headers[.location] == "/dashboard")
        }
    }

    @Test func anOrganizationThatRequiresItSendsMembersToSetItUpFirst() async throws {
        let portico = try await TestPortico.make()
        portico.clock.freeze()
        try await portico.run { api in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let require = [("require", "on")]
            let early = try await owner.post(
                "/dashboard/settings/two-factor",
                [("csrf_token", try await owner.csrfToken("/dashboard/settings"))] + require
            )
            #expect(early.status == .badRequest, "whoever requires it has it first")
            _ = try await Self.enroll(owner, portico)
            let required = try await owner.post(
                "/dashboard/settings/two-factor",
                [("csrf_token", try await owner.csrfToken("/dashboard/settings"))] + require
            )
            #expect(required.status == .seeOther)
            #expect(try await portico.store.organization(id: portico.organizationID)?.requireTwoFactor == true)
            #expect(try await owner.get("/dashboard/account").text.contains("requires it of its members, so it stays on"))

            let password = "a developer's passphrase"
            let developer = try await portico.runtime.accounts.createUser(
                email: "dev@acme.test",
                password: password,
                organizationID: portico.organizationID,
                role: "developer",
                by: .cli
            )
            let member = Browser(api.client)
            #expect(try await member.signIn(developer.email, password).status == .seeOther)
            for path in ["/dashboard", "/dashboard/keys", "/dashboard/settings"] {
                #expect(try await member.get(path).headers[.location] == TwoFactorPages.setup, "\(path)")
            }
            #expect(try await member.get("/dashboard/account").status == .ok)
            // Nor do the docs make the member a key meanwhile.
            let keysBefore = try await portico.store.apiKeys(organizationId: portico.organizationID, livemode: nil).count
            let docsKey = try await member.post("/docs/quickstart-key", [("csrf_token", try await member.csrfToken("/dashboard/account"))])
            #expect(docsKey.headers[.location] == "/dashboard/login?next=/docs")
            #expect(try await portico.store.apiKeys(organizationId: portico.organizationID, livemode: nil).count == keysBefore)
            let setup = try await member.get(TwoFactorPages.setup)
            #expect(setup.text.contains("Acme requires two-factor sign-in of every member"))
            let refused = try await member.post(
                "/dashboard/settings/two-factor",
                [("csrf_token", try await member.csrfToken("/dashboard/account")), ("require", "off")]
            )
            #expect(refused.headers[.location] == TwoFactorPages.setup, "no setting changes before the member has it")
            _ = try await Self.enroll(member, portico, password: password)
            #expect(try await member.get("/dashboard/keys").status == .ok)
            let notAllowed = try await member.post(
                "/dashboard/settings/two-factor",
                [("csrf_token", try await member.csrfToken()), ("require", "off")]
            )
            #expect(notAllowed.status == .forbidden, "a developer does not change settings")
            let actions = try await portico.store.auditEntries(targetId: portico.organizationID).map(\.action)
            #expect(actions.contains("organization.two_factor_required"))
        }
    }

    /// A setup page's secret is used only by its own form (one seen on an abandoned page is never
    /// enrolled later); enrolling takes the current password and signs out every other session.
    @Test func enrollmentUsesTheFormsOwnSecretTakesThePasswordAndEndsOtherSessions() async throws {
        let portico = try await TestPortico.make()
        portico.clock.freeze()
        try await portico.run { api in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let elsewhere = try await DashboardPagesTests.signedInOwner(portico, api)
            let first = try ConsoleSignInTests.enrollmentSecret(try await owner.get(TwoFactorPages.setup).text)
            let page = try await owner.get(TwoFactorPages.setup)
            let second = try ConsoleSignInTests.enrollmentSecret(page.text)
            #expect(first.base32Secret != second.base32Secret, "nothing is kept before enrollment")
            #expect(try await portico.store.user(email: portico.seed.ownerEmail)?.totpSecret == nil)

            let csrf = try #require(Browser.field("csrf_token", in: page.text))
            let secret = try #require(Browser.field("secret", in: page.text))
            let code = ConsoleSignInTests.code(second, portico)
            let noPassword = try await owner.post(
                TwoFactorPages.setup,
                [("csrf_token", csrf), ("secret", secret), ("current_password", "not the password"), ("code", code)]
            )
            #expect(noPassword.status == .unauthorized && noPassword.text.contains("The current password is not right."))
            let forged = try await owner.post(
                TwoFactorPages.setup,
                [("csrf_token", csrf), ("secret", "forged"), ("current_password", portico.seed.ownerPassword), ("code", code)]
            )
            #expect(forged.status == .unauthorized)
            #expect(try await portico.store.user(email: portico.seed.ownerEmail)?.hasTwoFactor == false)

            let on = try await owner.post(
                TwoFactorPages.setup,
                [("csrf_token", csrf), ("secret", secret), ("current_password", portico.seed.ownerPassword), ("code", code)]
            )
            #expect(on.status == .ok)
            #expect(try await owner.get("/dashboard").status == .ok)
            #expect(try await elsewhere.get("/dashboard").status == .seeOther, "a session without the second factor ends with its arrival")
        }
    }
}
