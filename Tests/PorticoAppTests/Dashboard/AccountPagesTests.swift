import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// The account page: a new password (the current one required, every other
/// session ended, a notice mailed), a new address confirmed from that
/// address, and an open sign-up's address confirmed before live mode opens.
struct AccountPagesTests {
    /// The path of the newest mail's first link to `address`, and the mail.
    static func newestLink(_ portico: TestPortico, to address: String) async throws -> (MailRecord, String) {
        let (mail, link) = try #require(try await PasswordResetTests.newestMail(portico, to: address))
        return (mail, try #require(URL(string: link)?.path))
    }

    /// Opens a confirmation link and presses its button, as the mail's reader would.
    static func confirm(_ path: String, in browser: Browser) async throws -> TestResponse {
        let form = try await browser.get(path)
        return try await browser.post(path, [("form_token", Browser.field("form_token", in: form.text) ?? "")])
    }

    @Test func aNewPasswordNeedsTheCurrentOneAndEndsEveryOtherSession() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let email = portico.seed.ownerEmail
            let here = try await DashboardPagesTests.signedInOwner(portico, api)
            let elsewhere = try await DashboardPagesTests.signedInOwner(portico, api)
            let token = try await here.csrfToken("/dashboard/account")
            let newPassword = "another long passphrase"

            let wrong = try await here.post(
                "/dashboard/account/password",
                [("csrf_token", token), ("current_password", "not the password"), ("new_password", newPassword)]
            )
            #expect(wrong.status == .unauthorized && wrong.text.contains("The current password is not right."))
            let short = try await here.post(
                "/dashboard/account/password",
                [("csrf_token", token), ("current_password", portico.seed.ownerPassword), ("new_password", "short")]
            )
            #expect(short.status == .badRequest && short.text.contains("at least 12 characters"))
            #expect(try await Browser(api.client).signIn(email, portico.seed.ownerPassword).status == .seeOther, "nothing changed yet")

            let changed = try await here.post(
                "/dashboard/account/password",
                [("csrf_token", token), ("current_password", portico.seed.ownerPassword), ("new_password", newPassword)]
            )
            #expect(changed.status == .ok && changed.text.contains("Your password was changed."))
            #expect(try await here.get("/dashboard").status == .ok, "the session that changed it goes on")
            #expect(try await elsewhere.get("/dashboard").status == .seeOther, "every other session is over")
            #expect(try await Browser(api.client).signIn(email, portico.seed.ownerPassword).status == .unauthorized)
            #expect(try await Browser(api.client).signIn(email, newPassword).status == .seeOther)

            let notice = try #require(try await portico.store.mails(status: nil, recipient: email, page: PageRequest(limit: 1)).items.first)
            #expect(notice.kind == "password_changed" && notice.subject == "Your Portico password was changed")
            let noticeText = try portico.runtime.mail.content(of: notice).text
            #expect(!noticeText.contains(newPassword))
            let user = try #require(try await portico.store.user(email: email))
            #expect(try await portico.auditActions(about: user.id).contains("user.password_changed"))
        }
    }

    @Test func aNewAddressIsConfirmedFromItOnce() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let old = portico.seed.ownerEmail
            let new = "owner.moved@example.org"
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let token = try await owner.csrfToken("/dashboard/account")
            let wrong = try await owner.post(
                "/dashboard/account/email",
                [("csrf_token", token), ("email", new), ("current_password", "not the password")]
            )
            #expect(wrong.status == .unauthorized)
            #expect(try await portico.store.mails(status: nil, recipient: new, page: PageRequest(limit: 5)).items.isEmpty)

            let asked = try await owner.post(
                "/dashboard/account/email",
                [("csrf_token", token), ("email", new), ("current_password", portico.seed.ownerPassword)]
            )
            #expect(asked.status == .ok && asked.text.contains("A confirmation link is on its way to \(new)"))
            let (mail, path) = try await Self.newestLink(portico, to: new)
            #expect(mail.kind == "email_confirmation" && mail.subject == "Confirm your new Portico email address")
            #expect(path.hasPrefix("/dashboard/confirm-email/"))
            let warning = try #require(try await portico.store.mails(status: nil, recipient: old, page: PageRequest(limit: 1)).items.first)
            #expect(warning.kind == "email_change_requested")
            #expect(try portico.runtime.mail.content(of: warning).text.contains(new))
            #expect(try await portico.store.user(email: old) != nil, "nothing changes before the link is used")

            // Opening the link changes nothing (scanners open links); the button does, from any browser.
            let reader = Browser(api.client)
            #expect(try await reader.get(path).text.contains(new))
            #expect(try await portico.store.user(email: new) == nil)
            let confirmed = try await Self.confirm(path, in: reader)
            #expect(confirmed.status == .ok && confirmed.text.contains("Address confirmed"))
            let user = try #require(try await portico.store.user(email: new))
            #expect(user.isEmailVerified)
            #expect(try await portico.store.user(email: old) == nil)
            #expect(try await reader.get(path).status == .notFound, "a link works once")
            #expect(try await Browser(api.client).signIn(new, portico.seed.ownerPassword).status == .seeOther)
            #expect(try await Browser(api.client).signIn(old, portico.seed.ownerPassword).status == .unauthorized)
            let entry = try #require(try await portico.store.auditEntries(targetId: user.id).first { $0.action == "user.email_changed" })
            #expect(entry.details.contains(old) && entry.details.contains(new))
        }
    }

    @Test func anAddressAnotherAccountHasGetsTheSameAnswerAndNoMail() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let taken = "taken@example.org"
            _ = try await portico.runtime.accounts.createUser(
                email: taken,
                password: "a long enough password",
                name: nil,
                organizationID: nil,
                role: "viewer",
                by: .cli
            )
            let owner = try await DashboardPagesTests.signedInOwner(portico, api)
            let answer = try await owner.post(
                "/dashboard/account/email",
                [("csrf_token", try await owner.csrfToken("/dashboard/account")), ("email", taken), ("current_password", portico.seed.ownerPassword)]
            )
            #expect(answer.status == .ok && answer.text.contains("A confirmation link is on its way to \(taken)"))
            #expect(try await portico.store.mails(status: nil, recipient: taken, page: PageRequest(limit: 5)).items.isEmpty)
        }
    }

    @Test func anOpenSignUpConfirmsItsAddressBeforeLiveMode() async throws {
        let portico = try await TestPortico.make { $0.dashboard.signup = "open" }
        try await portico.run { api in
            let email = "ada@example.com"
            let browser = Browser(api.client)
            let form = try await browser.get("/dashboard/signup")
            let made = try await browser.post(
                "/dashboard/signup",
                [
                    ("form_token", Browser.field("form_token", in: form.text) ?? ""), ("name", "Ada"), ("organization", "Ada & Co"),
                    ("email", email), ("password", "a long enough password"),
                ]
            )
            #expect(made.status == .seeOther)
            #expect(try await portico.store.user(email: email)?.isEmailVerified == false)
            let home = try await browser.get("/dashboard")
            #expect(home.text.contains("Confirm your email address") && !home.text.contains("Switch to live mode"))
            let live = try await browser.post("/dashboard/mode", [("csrf_token", try await browser.csrfToken()), ("livemode", "1")])
            #expect(live.status == .forbidden)

            let (first, firstPath) = try await Self.newestLink(portico, to: email)
            #expect(first.kind == "email_confirmation" && first.subject == "Confirm your Portico email address")
            // A new link replaces the first.
            let again = try await browser.post("/dashboard/account/verification", [("csrf_token", try await browser.csrfToken("/dashboard/account"))])
            #expect(again.status == .ok)
            let (_, secondPath) = try await Self.newestLink(portico, to: email)
            #expect(secondPath != firstPath)
            #expect(try await browser.get(firstPath).status == .notFound)

            #expect(try await Self.confirm(secondPath, in: browser).status == .ok)
            #expect(try await portico.store.user(email: email)?.isEmailVerified == true)
            #expect(try await browser.get("/dashboard").text.contains("Switch to live mode"))
            let opened = try await browser.post("/dashboard/mode", [("csrf_token", try await browser.csrfToken()), ("livemode", "1")])
            #expect(opened.status == .seeOther)
        }
    }

    @Test func accountsMadeByOperatorsOrInvitationsAreConfirmed() async throws {
        let portico = try await TestPortico.make()
        #expect(try await portico.store.user(email: portico.seed.ownerEmail)?.isEmailVerified == true)
    }

    @Test func accountMailsEscapeValues() {
        let words = MailContentTemplate.addressChangeRequested(
            newEmail: "<script>x</script>@example.org",
            accountURL: "https://p.example/dashboard/account"
        )
        #expect(!words.html.contains("<script>") && words.html.contains("&lt;script&gt;"))
        let confirm = MailContentTemplate.confirmAddress(link: "https://p.example/c/\"><b>", email: "a@b.c", isChange: false, validHours: 24)
        #expect(!confirm.html.contains("\"><b>"))
    }
}
