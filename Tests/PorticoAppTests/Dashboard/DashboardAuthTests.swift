import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoStore
import Testing

@testable import PorticoApp

/// Sign-in, sessions, CSRF and the security headers of the dashboard, against the real server.
struct DashboardAuthTests {
    @Test func signInSetsAStrictHttpOnlySessionAndShowsTheDashboard() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let browser = Browser(api.client)
            let anonymous = try await browser.get("/dashboard/keys")
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/dashboard/login?next=/dashboard/keys")

            let signIn = try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword, next: "/dashboard/keys")
            #expect(signIn.status == .seeOther)
            #expect(signIn.headers[.location] == "/dashboard/keys")
            let session = try #require(browser.lastSetCookies.first { $0.hasPrefix("portico_session=") })
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/"))
            #expect(!session.contains("Secure"), "plain http: a browser would drop a Secure cookie")

            let page = try await browser.get("/dashboard/keys")
            #expect(page.status == .ok)
            #expect(page.text.contains("Acme") && page.text.contains("sk_test_…"))
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(!page.text.contains("<script"), "the dashboard ships no script at all")
        }
    }

    @Test func behindTLSTheCookieIsHostPrefixedAndSecure() async throws {
        let portico = try await TestPortico.make { $0.server.publicURL = "https://portico.example.com" }
        try await portico.run { (api: APIClient) in
            let browser = Browser(api.client)
            try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            let session = try #require(browser.lastSetCookies.first { $0.hasPrefix("__Host-portico_session=") })
            #expect(session.contains("; Secure") && session.contains("Path=/") && !session.contains("Domain"))
            #expect(try await browser.get("/dashboard").status == .ok)
        }
    }

    @Test func unknownEmailAndWrongPasswordGetTheSameAnswerAndTheAccountIsThrottled() async throws {
        let portico = try await TestPortico.make { $0.dashboard.loginAttempts = 3 }
        try await portico.run { (api: APIClient) in
            let browser = Browser(api.client)
            let wrong = try await browser.signIn(portico.seed.ownerEmail, "not the password at all")
            let unknown = try await browser.signIn("nobody@acme.test", "not the password at all")
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong.text.contains("Incorrect email or password.") && unknown.text.contains("Incorrect email or password."))
            #expect(browser.cookies["portico_session"] == nil)

            for _ in 0..<2 {
                try await browser.signIn(portico.seed.ownerEmail, "still not it")
                try await browser.signIn("nobody@acme.test", "still not it")
            }
            // Three failures each: now even the right password waits, and the unknown account is told the same.
            let throttled = try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            let throttledUnknown = try await browser.signIn("nobody@acme.test", "whatever it is")
            #expect(throttled.status == .tooManyRequests && throttledUnknown.status == .tooManyRequests)
            #expect(throttled.text.contains("Too many sign-in attempts") && throttledUnknown.text.contains("Too many sign-in attempts"))
            #expect(browser.cookies["portico_session"] == nil)

            // Another account is not affected, and the window passes with time.
            portico.clock.advance(by: 16 * 60)
            #expect(try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword).status == .seeOther)
        }
    }

    @Test func everySignInGetsANewSessionAndOnlyItsHashIsStored() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let browser = Browser(api.client)
            // A planted session id is worthless: it is not adopted at sign-in.
            browser.setCookie("portico_session", "planted-by-an-attacker-000000000000000000")
            try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            let first = try #require(browser.cookies["portico_session"])
            #expect(first != "planted-by-an-attacker-000000000000000000")
            // A second device signing in gets its own session; the first stays valid.
            let other = Browser(api.client)
            try await other.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            let second = try #require(other.cookies["portico_session"])
            #expect(second != first)
            #expect(try await browser.get("/dashboard").status == .ok)

            #expect(try await portico.store.session(idHash: SessionManager.hash(second)) != nil)
            let stored = try portico.databaseBytes()
            #expect(stored.range(of: Data(portico.seed.ownerEmail.utf8)) != nil, "the bytes searched are the database's")
            #expect(stored.range(of: Data(second.utf8)) == nil, "the session id itself never reaches the database")
        }
    }

    @Test func signOutEndsTheSessionOnTheServer() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let browser = Browser(api.client)
            try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            let cookie = try #require(browser.cookies["portico_session"])
            let token = try await browser.csrfToken()
            let out = try await browser.post("/dashboard/logout", [("csrf_token", token)])
            #expect(out.status == .seeOther && out.headers[.location] == "/dashboard/login")
            #expect(browser.cookies["portico_session"] == nil)
            // Replaying the old cookie does not work either: the session is gone server-side.
            browser.setCookie("portico_session", cookie)
            #expect(try await browser.get("/dashboard").status == .seeOther)
        }
    }

    @Test func sessionsEndAfterIdleAndAbsoluteTimeouts() async throws {
        let portico = try await TestPortico.make {
            $0.dashboard.sessionIdleMinutes = 30
            $0.dashboard.sessionAbsoluteHours = 2
        }
        try await portico.run { (api: APIClient) in
            let browser = Browser(api.client)
            try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            portico.clock.advance(by: 31 * 60)
            #expect(try await browser.get("/dashboard").status == .seeOther, "idle for 31 minutes")

            try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            for _ in 0..<4 {  // busy: a page every 25 minutes keeps it alive ...
                portico.clock.advance(by: 25 * 60)
                #expect(try await browser.get("/dashboard").status == .ok)
            }
            portico.clock.advance(by: 25 * 60)  // ... until two hours after sign-in
            #expect(try await browser.get("/dashboard").status == .seeOther)
        }
    }

    @Test func formsWithoutTheTokenOrFromAnotherSiteChangeNothing() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let browser = Browser(api.client)
            try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
            let token = try await browser.csrfToken("/dashboard/keys")
            let before = try await portico.store.apiKeys(organizationId: portico.organizationID).count

            let noToken = try await browser.post("/dashboard/keys", [("kind", "secret"), ("label", "no token")])
            let wrongToken = try await browser.post("/dashboard/keys", [("csrf_token", "x" + token.dropFirst()), ("kind", "secret")])
            let crossSite = try await browser.post(
                "/dashboard/keys",
                [("csrf_token", token), ("kind", "secret")],
                headers: [.secFetchSite: "cross-site"]
            )
            let foreignOrigin = try await browser.post(
                "/dashboard/keys",
                [("csrf_token", token), ("kind", "secret")],
                headers: [.origin: "https://evil.example"]
            )
            for response in [noToken, wrongToken, crossSite, foreignOrigin] {
                #expect(response.status == .forbidden)
                #expect(response.text.contains("This form has expired"))
            }
            #expect(try await portico.store.apiKeys(organizationId: portico.organizationID).count == before)

            let good = try await browser.post("/dashboard/keys", [("csrf_token", token), ("kind", "secret"), ("label", "made here")])
            #expect(good.status == .ok && good.text.contains("Your new key"))
            #expect(try await portico.store.apiKeys(organizationId: portico.organizationID).count == before + 1)
        }
    }

    @Test func theSignInFormNeedsItsOwnTokenAndOnlyReturnsToDashboardPaths() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let browser = Browser(api.client)
            let forged = try await browser.post(
                "/dashboard/login",
                [("email", portico.seed.ownerEmail), ("password", portico.seed.ownerPassword)]
            )
            #expect(forged.status == .forbidden)
            #expect(browser.cookies["portico_session"] == nil)

            for next in ["https://evil.example/", "//evil.example", "/dashboard\\@evil.example", "/v1/customers"] {
                let response = try await Browser(api.client).signIn(portico.seed.ownerEmail, portico.seed.ownerPassword, next: next)
                #expect(response.headers[.location] == "/dashboard", "next=\(next)")
            }
        }
    }
}
