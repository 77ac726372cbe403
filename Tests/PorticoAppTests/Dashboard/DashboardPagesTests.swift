import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PorticoStore
import Testing

@testable import PorticoApp

/// Dashboard pages against the real server: escaping, roles, tenant isolation, invitations and sign-up.
struct DashboardPagesTests {
    /// Invites `email` as `role` from the owner's browser and accepts the link in a new browser; returns that browser.
    static func invite(_ email: String, as role: String, owner: Browser, portico: TestPortico) async throws -> Browser {
        let token = try await owner.csrfToken("/dashboard/members")
        let page = try await owner.post("/dashboard/members/invitations", [("csrf_token", token), ("email", email), ("role", role)])
        #expect(page.status == .ok)
        let path = try #require(invitationPath(in: page.text))
        let invitee = Browser(owner.client)
        let form = try await invitee.get(path)
        #expect(form.status == .ok && form.text.contains(email))
        let joined = try await invitee.post(
            path,
            [
                ("form_token", Browser.field("form_token", in: form.text) ?? ""), ("name", "New member"),
                ("password", "correct horse battery staple"),
            ]
        )
        #expect(joined.status == .seeOther && invitee.cookies["portico_session"] != nil)
        // The link works once.
        #expect(try await Browser(owner.client).get(path).status == .badRequest)
        return invitee
    }

    /// The path of the invitation link shown (once) on the members page.
    static func invitationPath(in html: String) -> String? {
        guard let start = html.range(of: "/dashboard/invitations/") else { return nil }
        return String(html[start.lowerBound...].prefix { $0 != "\"" })
    }

    static func signedInOwner(_ portico: TestPortico, _ api: APIClient) async throws -> Browser {
        let browser = Browser(api.client)
        try await browser.signIn(portico.seed.ownerEmail, portico.seed.ownerPassword)
        return browser
    }

    @Test func everyValueIsEscaped() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await Self.signedInOwner(portico, api)
            let token = try await owner.csrfToken("/dashboard/keys")
            let label = #"<script>alert("x")</script><img src=x onerror=alert(1)>"#
            try await owner.post("/dashboard/keys", [("csrf_token", token), ("kind", "secret"), ("label", label)])
            let page = try await owner.get("/dashboard/keys")
            #expect(page.text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"))
            #expect(!page.text.contains("<script") && !page.text.contains("<img"))

            // Reflected values too: the request-log filter echoes its input.
            let filtered = try await owner.get("/dashboard/logs?path_prefix=%22%3E%3Cscript%3Ex%3C/script%3E")
            #expect(filtered.text.contains("value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""))
            #expect(!filtered.text.contains("<script"))
        }
    }

    @Test func rolesAreCheckedOnEveryAction() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await Self.signedInOwner(portico, api)
            let viewer = try await Self.invite("viewer@acme.test", as: "viewer", owner: owner, portico: portico)
            let developer = try await Self.invite("developer@acme.test", as: "developer", owner: owner, portico: portico)
            let admin = try await Self.invite("admin@acme.test", as: "admin", owner: owner, portico: portico)
            let keys = { try await portico.store.apiKeys(organizationId: portico.organizationID).count }
            let before = try await keys()

            // A viewer sees keys but cannot create one, not even by posting the form by hand.
            let viewerPage = try await viewer.get("/dashboard/keys")
            #expect(viewerPage.status == .ok && !viewerPage.text.contains("Create a key"))
            let refused = try await viewer.post(
                "/dashboard/keys",
                [("csrf_token", try await viewer.csrfToken("/dashboard/keys")), ("kind", "secret")]
            )
            #expect(refused.status == .forbidden)
            #expect(try await keys() == before)

            // A developer works in test mode only.
            let made = try await developer.post(
                "/dashboard/keys",
                [("csrf_token", try await developer.csrfToken("/dashboard/keys")), ("kind", "secret")]
            )
            #expect(made.status == .ok && made.text.contains("sk_test_"))
            let token = try await developer.csrfToken()
            try await developer.post("/dashboard/mode", [("csrf_token", token), ("livemode", "1"), ("return_to", "/dashboard/keys")])
            #expect(try await developer.get("/dashboard/keys").text.contains("Live mode"))
            let live = try await developer.post("/dashboard/keys", [("csrf_token", token), ("kind", "secret")])
            #expect(live.status == .forbidden)
            #expect(try await keys() == before + 1)

            // An admin cannot make owners; nobody can demote the last owner.
            let adminToken = try await admin.csrfToken("/dashboard/members")
            let ownerID = try #require(try await portico.store.user(email: portico.seed.ownerEmail)?.id)
            let developerID = try #require(try await portico.store.user(email: "developer@acme.test")?.id)
            #expect(
                try await admin.post("/dashboard/members/\(developerID)/role", [("csrf_token", adminToken), ("role", "owner")]).status == .forbidden
            )
            #expect(try await admin.post("/dashboard/members/\(ownerID)/remove", [("csrf_token", adminToken)]).status == .forbidden)
            let demote = try await owner.post(
                "/dashboard/members/\(ownerID)/role",
                [("csrf_token", try await owner.csrfToken("/dashboard/members")), ("role", "admin")]
            )
            #expect(demote.text.contains("An organization keeps at least one owner."))
            #expect(
                try await portico.store.members(organizationId: portico.organizationID).first { $0.user.id == ownerID }?.membership.role == "owner"
            )

            // Every one of those actions is in the audit log, with who did it.
            let audit = try await owner.get("/dashboard/audit")
            #expect(audit.status == .ok)
            for action in ["member.invited", "member.joined", "api_key.created", "user.signed_in"] {
                #expect(audit.text.contains("<code>\(action)</code>"), "\(action)")
            }

            // Removing a member ends their session in that organization.
            let removed = try await admin.post("/dashboard/members/\(developerID)/remove", [("csrf_token", adminToken)])
            #expect(removed.text.contains("developer@acme.test was removed."))
            #expect(try await developer.get("/dashboard/keys").status == .seeOther)
        }
    }

    @Test func anotherOrganizationsObjectsAreNotFound() async throws {
        let portico = try await TestPortico.make()
        let other = try await portico.seedOtherOrganization()
        try await portico.run { (api: APIClient) in
            // A request in the other organization, and one of its keys.
            let call = try await api.send(.get, "/v1/customers", key: other.keys.testSecret)
            let requestID = try #require(call.requestID)
            await portico.flushLogs()
            let otherKey = try #require(try await portico.store.apiKeys(organizationId: other.organizationID, livemode: false).first)

            let owner = try await Self.signedInOwner(portico, api)
            #expect(try await owner.get("/dashboard/logs/\(requestID)").status == .notFound)
            let list = try await owner.get("/dashboard/logs")
            #expect(!list.text.contains(requestID))
            let token = try await owner.csrfToken("/dashboard/keys")
            #expect(try await owner.post("/dashboard/keys/\(otherKey.id)/revoke", [("csrf_token", token)]).status == .notFound)
            #expect(try await portico.store.apiKey(id: otherKey.id, organizationId: other.organizationID)?.revokedAt == nil)
            #expect(try await owner.post("/dashboard/switch", [("csrf_token", token), ("organization", other.organizationID)]).status == .notFound)
        }
    }

    @Test func unknownDashboardPathsAnswerWithAPageNotProblemJSON() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await Self.signedInOwner(portico, api)
            for path in ["/dashboard/nope", "/dashboard/webhooks/we_x/nope/deeper"] {
                let page = try await owner.get(path)
                #expect(page.status == .notFound && page.headers[.contentType]?.hasPrefix("text/html") == true, "\(path)")
            }
            let post = try await owner.post("/dashboard/nope", [("csrf_token", try await owner.csrfToken())])
            #expect(post.status == .notFound && post.headers[.contentType]?.hasPrefix("text/html") == true)
            // Real pages still win over the catch-all.
            #expect(try await owner.get("/dashboard/keys").status == .ok)
            #expect(try await Browser(api.client).get("/dashboard/keys").status == .seeOther)
        }
    }

    @Test func aCallWithANewKeyShowsInTheRequestLog() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { (api: APIClient) in
            let owner = try await Self.signedInOwner(portico, api)
            let created = try await owner.post(
                "/dashboard/keys",
                [("csrf_token", try await owner.csrfToken("/dashboard/keys")), ("kind", "secret"), ("label", "ci")]
            )
            let secret = try #require(
                created.text.components(separatedBy: "id=\"secret\" readonly value=\"").dropFirst().first?.prefix { $0 != "\"" }
            )
            let call = try await api.send(.get, "/v1/customers?limit=3", key: String(secret))
            #expect(call.status == .ok)
            await portico.flushLogs()
            let list = try await owner.get("/dashboard/logs?method=GET&status_class=2xx")
            let requestID = try #require(call.requestID)
            #expect(list.text.contains("/dashboard/logs/\(requestID)"))
            let detail = try await owner.get("/dashboard/logs/\(requestID)")
            #expect(detail.status == .ok && detail.text.contains("/v1/customers") && detail.text.contains("GET /v1/customers"))
            #expect(!detail.text.contains(String(secret)), "the key itself is never shown again")
        }
    }

    /// A filter that matches little examines a bounded number of rows per page and says so;
    /// following "Search older requests" reaches every match exactly once.
    @Test func aRareFilterSearchesInBoundedStepsAndMissesNothing() async throws {
        let portico = try await TestPortico.make { $0.dashboard.logSearchRows = 10 }
        try await portico.run { (api: APIClient) in
            var missing: [String] = []
            for _ in 0..<3 {
                let call = try await api.send(.get, "/v1/customers/cus_missing", key: portico.testKey)
                missing.append(try #require(call.requestID))
            }
            for _ in 0..<22 { #expect(try await api.send(.get, "/v1/customers", key: portico.testKey).status == .ok) }
            await portico.flushLogs()
            let owner = try await Self.signedInOwner(portico, api)

            var path = "/dashboard/logs?status_class=4xx"
            var found: [String] = []
            var stops = 0
            while true {
                let page = try await owner.get(path)
                #expect(page.status == .ok)
                found += missing.filter { page.text.contains("/dashboard/logs/\($0)") }
                guard
                    let next = page.text.components(separatedBy: "<a href=\"").dropFirst()
                        .first(where: { $0.hasPrefix("/dashboard/logs?") && $0.contains("starting_after=") })?.prefix(while: { $0 != "\"" })
                else { break }
                #expect(page.text.contains("Searched the newest 10 requests") && page.text.contains("Search older requests"))
                stops += 1
                path = String(next).replacingOccurrences(of: "&amp;", with: "&")
                if stops > 5 { break }
            }
            // 25 rows, 10 examined per page: two pages stop early, the third reaches the three 404s at the bottom.
            #expect(stops == 2)
            #expect(found.count == 3 && Set(found) == Set(missing), "every 404 exactly once")
            // Unfiltered, every row counts as a match: a plain page, no search note.
            let plain = try await owner.get("/dashboard/logs")
            #expect(!plain.text.contains("Searched the newest") && plain.text.contains("/dashboard/logs/\(missing[0])"))
        }
    }

    @Test func signUpFollowsTheConfiguredMode() async throws {
        let invite = try await TestPortico.make()
        try await invite.run { (api: APIClient) in
            let signup = try await Browser(api.client).get("/dashboard/signup")
            #expect(signup.status == .notFound)
        }
        let open = try await TestPortico.make { $0.dashboard.signup = "open" }
        try await open.run { (api: APIClient) in
            let browser = Browser(api.client)
            let form = try await browser.get("/dashboard/signup")
            let fields = [("form_token", Browser.field("form_token", in: form.text) ?? ""), ("name", "Ada"), ("organization", "Ada & Co")]
            let short = try await browser.post("/dashboard/signup", fields + [("email", "ada@example.com"), ("password", "short")])
            #expect(short.status == .badRequest && short.text.contains("at least 12 characters"))
            let taken = try await browser.post(
                "/dashboard/signup",
                fields + [("email", open.seed.ownerEmail), ("password", "a long enough password")]
            )
            #expect(taken.status == .conflict)
            let made = try await browser.post("/dashboard/signup", fields + [("email", "ada@example.com"), ("password", "a long enough password")])
            #expect(made.status == .seeOther)
            let home = try await browser.get("/dashboard")
            #expect(home.status == .ok && home.text.contains("Ada &amp; Co") && home.text.contains("Owner"))
        }
        let closed = try await TestPortico.make { $0.dashboard.signup = "closed" }
        try await closed.run { (api: APIClient) in
            let owner = try await Self.signedInOwner(closed, api)
            let token = try await owner.csrfToken("/dashboard/members")
            let page = try await owner.post(
                "/dashboard/members/invitations",
                [("csrf_token", token), ("email", "new@acme.test"), ("role", "viewer")]
            )
            let path = try #require(Self.invitationPath(in: page.text))
            let invitee = Browser(api.client)
            let form = try await invitee.get(path)
            let refused = try await invitee.post(
                path,
                [("form_token", Browser.field("form_token", in: form.text) ?? ""), ("password", "a long enough password")]
            )
            #expect(refused.status == .forbidden)
            #expect(try await closed.store.user(email: "new@acme.test") == nil)
        }
    }
}
