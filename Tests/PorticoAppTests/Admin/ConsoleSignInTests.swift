import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import Testing

@testable import PorticoApp

/// Signing in to `/admin`: password, mandatory TOTP (enrollment at the first
/// sign-in, then codes each usable once, recovery codes each once), and the
/// wall between staff and tenant sessions in both directions.
struct ConsoleSignInTests {
    static let password = "correct horse battery staple"

    /// A Portico with one staff account (not enrolled), run for `body`.
    static func run(_ body: @escaping @Sendable (TestPortico, Browser, StaffRecord) async throws -> Void) async throws {
        let portico = try await TestPortico.make()
        // Codes are per 30-second step: only `advance` may move to the next one, however slow the machine.
        portico.clock.freeze()
        let staff = try await portico.runtime.staff.create(email: "ops@portico.test", password: password, by: .cli)
        try await portico.run { api in try await body(portico, Browser(api.client), staff) }
    }

    /// Posts the console's password form.
    @discardableResult
    static func signIn(_ browser: Browser, _ email: String, _ password: String) async throws -> TestResponse {
        let form = try await browser.get("/admin/login")
        return try await browser.post(
            "/admin/login",
            [("form_token", Browser.field("form_token", in: form.text) ?? ""), ("email", email), ("password", password)]
        )
    }

    /// The current code of the secret shown on the enrollment page.
    static func enrollmentSecret(_ page: String) throws -> TOTP {
        let start = try #require(page.range(of: "secret="))
        let secret = String(page[start.upperBound...].prefix { $0 != "&" })
        return TOTP(secret: try #require(Base32.decode(secret)))
    }

    static func code(_ totp: TOTP, _ portico: TestPortico, stepOffset: Int64 = 0) -> String {
        totp.code(step: TOTP.step(at: portico.clock.nowMilliseconds) + stepOffset)
    }

    @Test func firstSignInEnrollsThenEveryCodeWorksOnceAndRecoveryCodesOnce() async throws {
        try await Self.run { portico, browser, staff in
            // Before the second factor, no console page is served.
            let password = try await Self.signIn(browser, staff.email, Self.password)
            #expect(password.status == .seeOther)
            #expect(password.headers[.location] == "/admin/enroll")
            #expect(try await browser.get("/admin").headers[.location] == "/admin/enroll")

            let enroll = try await browser.get("/admin/enroll")
            #expect(enroll.status == .ok)
            #expect(enroll.text.contains("<svg") && enroll.text.contains("otpauth://totp/Portico:ops@portico.test?secret="))
            #expect(!enroll.text.contains("<script"))
            let totp = try Self.enrollmentSecret(enroll.text)
            let csrf = try #require(Browser.field("csrf_token", in: enroll.text))

            let wrong = try await browser.post(
                "/admin/enroll",
                [("csrf_token", csrf), ("secret", Browser.field("secret", in: enroll.text) ?? ""), ("code", "000000")]
            )
            #expect(wrong.status == .unauthorized)
            let forged = try await browser.post(
                "/admin/enroll",
                [("csrf_token", "forged"), ("secret", Browser.field("secret", in: enroll.text) ?? ""), ("code", Self.code(totp, portico))]
            )
            #expect(forged.status == .forbidden)

            let enrolled = try await browser.post(
                "/admin/enroll",
                [("csrf_token", csrf), ("secret", Browser.field("secret", in: enroll.text) ?? ""), ("code", Self.code(totp, portico))]
            )
            #expect(enrolled.status == .ok)
            let codes = enrolled.text.matches(of: /<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{2})<\/code><\/li>/).map { String($0.1) }
            #expect(codes.count == 10)
            #expect(try await browser.get("/admin").status == .ok)
            let stored = try #require(try await portico.store.staff(id: staff.id))
            #expect(stored.totpSecret.map(SecretBox.isSealed) == true)

            // Next sign-in: the code just used at enrollment is refused (same step), a later one works once.
            let again = Browser(browser.client)
            #expect(try await Self.signIn(again, staff.email, Self.password).headers[.location] == "/admin/two-factor")
            let twoFactor = try await again.get("/admin/two-factor")
            let token = try #require(Browser.field("csrf_token", in: twoFactor.text))
            let replayed = try await again.post("/admin/two-factor", [("csrf_token", token), ("code", Self.code(totp, portico))])
            #expect(replayed.status == .unauthorized)
            portico.clock.advance(by: 30)
            let fresh = Self.code(totp, portico)
            let accepted = try await again.post("/admin/two-factor", [("csrf_token", token), ("code", fresh)])
            #expect(accepted.status == .seeOther)
            #expect(accepted.headers[.location] == "/admin")
            #expect(try await again.get("/admin").status == .ok)

            // The same code in another session within its window: refused.
            let third = Browser(browser.client)
            try await Self.signIn(third, staff.email, Self.password)
            let thirdToken = try #require(Browser.field("csrf_token", in: try await third.get("/admin/two-factor").text))
            #expect(try await third.post("/admin/two-factor", [("csrf_token", thirdToken), ("code", fresh)]).status == .unauthorized)
            // A recovery code works once (typed in capitals, without hyphens).
            let recovery = codes[3].uppercased().replacingOccurrences(of: "-", with: "")
            #expect(try await third.post("/admin/two-factor", [("csrf_token", thirdToken), ("code", recovery)]).status == .seeOther)
            let fourth = Browser(browser.client)
            try await Self.signIn(fourth, staff.email, Self.password)
            let fourthToken = try #require(Browser.field("csrf_token", in: try await fourth.get("/admin/two-factor").text))
            #expect(try await fourth.post("/admin/two-factor", [("csrf_token", fourthToken), ("code", codes[3])]).status == .unauthorized)
            #expect(try await portico.store.unusedRecoveryCodes(.staff, id: staff.id) == 9)

            // Every step is audited against the staff account.
            let actions = try await portico.auditActions(about: staff.id)
            #expect(actions.contains("staff.two_factor_enrolled") && actions.contains("staff.recovery_code_used"))
            #expect(actions.filter { $0 == "staff.signed_in" }.count == 3)
        }
    }

    @Test func wrongCodesAreThrottled() async throws {
        try await Self.run { portico, browser, staff in
            try await Self.signIn(browser, staff.email, Self.password)
            let enroll = try await browser.get("/admin/enroll")
            let csrf = try #require(Browser.field("csrf_token", in: enroll.text))
            let totp = try Self.enrollmentSecret(enroll.text)
            for _ in 0..<portico.runtime.config.dashboard.loginAttempts {
                #expect(
                    try await browser.post(
                        "/admin/enroll",
                        [("csrf_token", csrf), ("secret", Browser.field("secret", in: enroll.text) ?? ""), ("code", "000001")]
                    ).status == .unauthorized
                )
            }
            // Even the right code waits now.
            #expect(
                try await browser.post(
                    "/admin/enroll",
                    [("csrf_token", csrf), ("secret", Browser.field("secret", in: enroll.text) ?? ""), ("code", Self.code(totp, portico))]
                ).status == .tooManyRequests
            )
        }
    }

    @Test func tenantAndStaffSessionsNeverCrossOver() async throws {
        try await Self.run { portico, browser, staff in
            // A dashboard user, signed in, is sent to the console's sign-in; their password does not open it.
            let tenant = Browser(browser.client)
            #expect(try await tenant.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword).status == .seeOther)
            #expect(try await tenant.get("/dashboard").status == .ok)
            #expect(try await tenant.get("/admin").headers[.location]?.hasPrefix("/admin/login") == true)
            #expect(try await Self.signIn(tenant, portico.seed.ownerEmail, portico.seed.ownerPassword).status == .unauthorized)
            // The tenant's session token presented as a staff cookie: nothing.
            let stolen = Browser(browser.client)
            stolen.setCookie("portico_staff", tenant.cookies["portico_session"])
            #expect(try await stolen.get("/admin").headers[.location]?.hasPrefix("/admin/login") == true)

            // A verified staff session does not open the dashboard, and its token is no tenant session.
            let (console, _) = try await Self.enrolledSession(portico, browser, staff)
            #expect(try await console.get("/admin").status == .ok)
            #expect(try await console.get("/dashboard").headers[.location]?.hasPrefix("/dashboard/login") == true)
            let crossed = Browser(browser.client)
            crossed.setCookie("portico_session", console.cookies["portico_staff"])
            #expect(try await crossed.get("/dashboard").headers[.location]?.hasPrefix("/dashboard/login") == true)

            // A disabled account's live session ends, and it cannot sign in again.
            _ = try await portico.runtime.staff.disable(staff.email, by: .cli)
            #expect(try await console.get("/admin").headers[.location]?.hasPrefix("/admin/login") == true)
            #expect(try await Self.signIn(Browser(browser.client), staff.email, Self.password).status == .unauthorized)
        }
    }

    /// A browser past enrollment, and the account's TOTP.
    static func enrolledSession(_ portico: TestPortico, _ browser: Browser, _ staff: StaffRecord) async throws -> (Browser, TOTP) {
        let console = Browser(browser.client)
        try await signIn(console, staff.email, password)
        let enroll = try await console.get("/admin/enroll")
        let totp = try enrollmentSecret(enroll.text)
        let csrf = try #require(Browser.field("csrf_token", in: enroll.text))
        #expect(
            try await console.post(
                "/admin/enroll",
                [("csrf_token", csrf), ("secret", Browser.field("secret", in: enroll.text) ?? ""), ("code", code(totp, portico))]
            ).status == .ok
        )
        return (console, totp)
    }
}

extension TestPortico {
    /// Audit actions about the staff account `staffID` (its target), oldest first.
    func auditActions(about staffID: String) async throws -> [String] {
        try await store.auditEntries(targetId: staffID).sorted { $0.id < $1.id }.map(\.action)
    }
}
