import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// Password reset by mail and invitations by mail: the link is in the mail
/// (and only its hash in the database), works once, for an hour; the same
/// answer for unknown addresses; a reset ends every session of the account.
struct PasswordResetTests {
    /// The newest mail to `address` and the first link in its text.
    static func newestMail(_ portico: TestPortico, to address: String) async throws -> (MailRecord, String)? {
        guard let mail = try await portico.store.mails(status: nil, recipient: address, page: PageRequest(limit: 1)).items.first else { return nil }
        let text = try portico.runtime.mail.content(of: mail).text
        guard let link = MailLinks.all(in: text).first else { return nil }
        return (mail, link)
    }

    static func ask(_ browser: Browser, for email: String) async throws -> TestResponse {
        let form = try await browser.get("/dashboard/password-reset")
        return try await browser.post(
            "/dashboard/password-reset",
            [("form_token", Browser.field("form_token", in: form.text) ?? ""), ("email", email)]
        )
    }

    @Test func aResetLinkWorksOnceForAnHourAndEndsEverySession() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let email = portico.seed.ownerEmail
            let signedIn = try await DashboardPagesTests.signedInOwner(portico, api)
            #expect(try await signedIn.get("/dashboard").status == .ok)

            let stranger = Browser(api.client)
            let known = try await Self.ask(stranger, for: email)
            let unknown = try await Self.ask(stranger, for: "nobody@example.org")
            #expect(known.status == .ok && unknown.status == .ok)
            #expect(known.text.replacingOccurrences(of: email, with: "X").contains("If an account exists for X"))
            #expect(unknown.text.contains("If an account exists for nobody@example.org"))
            #expect(try await portico.store.mails(status: nil, recipient: "nobody@example.org", page: PageRequest(limit: 5)).items.isEmpty)

            let (mail, link) = try #require(try await Self.newestMail(portico, to: email))
            #expect(mail.kind == "password_reset" && mail.subject == "Reset your Portico password")
            let path = try #require(URL(string: link)?.path)
            let token = String(path.split(separator: "/").last ?? "")
            // Only the token's hash is stored; the mail's body is sealed.
            #expect(try await portico.store.passwordReset(tokenHash: SessionManager.hash(token), now: portico.clock.nowMilliseconds) != nil)
            #expect(!mail.body.contains(token))

            let form = try await stranger.get(path)
            #expect(form.status == .ok)
            let formToken = try #require(Browser.field("form_token", in: form.text))
            let short = try await stranger.post(path, [("form_token", formToken), ("password", "short")])
            #expect(short.status == .badRequest)
            let newPassword = "a brand new passphrase"
            let done = try await stranger.post(path, [("form_token", formToken), ("password", newPassword)])
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/dashboard/login?reset=1")

            // The old session is over; the old password fails, the new one works; the link is spent.
            #expect(try await signedIn.get("/dashboard").status == .seeOther)
            #expect(try await Browser(api.client).signIn(email, portico.seed.ownerPassword).status == .unauthorized)
            #expect(try await Browser(api.client).signIn(email, newPassword).status == .seeOther)
            #expect(try await stranger.get(path).status == .notFound)
            let actions = try await portico.auditActions(about: try #require(try await portico.store.user(email: email)).id)
            #expect(actions.contains("user.password_reset_requested") && actions.contains("user.password_reset"))
        }
    }

    @Test func anExpiredLinkIsRefused() async throws {
        let portico = try await TestPortico.make()
        portico.clock.freeze()
        try await portico.run { api in
            let browser = Browser(api.client)
            _ = try await Self.ask(browser, for: portico.seed.ownerEmail)
            let (_, link) = try #require(try await Self.newestMail(portico, to: portico.seed.ownerEmail))
            portico.clock.advance(by: 61 * 60)
            #expect(try await browser.get(try #require(URL(string: link)?.path)).status == .notFound)
        }
    }

    @Test func anInvitationIsMailedWithItsLinkAndTheLinkJoins() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let token = try await owner.csrfToken("/dashboard/members")
            let invited = try await owner.post(
                "/dashboard/members/invitations",
                [("csrf_token", token), ("email", "new.member@example.org"), ("role", "developer")]
            )
            #expect(invited.status == .ok)
            let (mail, link) = try #require(try await Self.newestMail(portico, to: "new.member@example.org"))
            #expect(mail.kind == "invitation" && mail.organizationId == portico.organizationID)
            #expect(mail.subject == "You are invited to join Acme on Portico")
            let html = try #require(try portico.runtime.mail.content(of: mail).html)
            #expect(html.contains("Acme") && !html.contains("<script"))
            let path = try #require(URL(string: link)?.path)
            #expect(path.hasPrefix("/dashboard/invitations/"))
            #expect(try await Browser(api.client).get(path).status == .ok)
        }
    }

    @Test func valuesInMailsAreEscaped() {
        let words = MailContentTemplate.invitation(
            organization: "<script>alert(1)</script>",
            inviter: "Eve \"<b>\"",
            role: "Developer",
            link: "https://portico.example.com/dashboard/invitations/abc",
            validHours: 72
        )
        #expect(!words.html.contains("<script>") && words.html.contains("&lt;script&gt;"))
        #expect(!words.html.contains("<b>"))
        #expect(words.text.contains("https://portico.example.com/dashboard/invitations/abc"))
    }
}
