import Foundation
import HTTPTypes
import PorticoCore
import Testing

@testable import PorticoApp

/// The sandbox mailbox: what a sandbox caught, for its platform key only,
/// with the links CI follows; 403 anywhere else.
struct MailboxTests {
    static func queue(_ portico: TestPortico, to address: String, text: String) async throws -> MailRecord {
        let mail = portico.runtime.mail.compose(
            kind: "invitation",
            to: [MailAddress(address)!],
            subject: "You are invited",
            text: text,
            html: nil,
            organizationId: portico.organizationID,
            at: portico.clock.nowMilliseconds
        )
        try await portico.store.insertMail(mail)
        return mail
    }

    @Test func theSandboxListsCaughtMailWithLinksToItsPlatformKeyOnly() async throws {
        let portico = try await TestPortico.make(sandbox: true)
        #expect(portico.runtime.mailer == nil)
        try await portico.run { api in
            let first = try await Self.queue(portico, to: "ada@example.org", text: "Join at http://127.0.0.1:9/dashboard/invitations/tok1 today.\n")
            let second = try await Self.queue(portico, to: "bob@example.org", text: "No link here.\n")
            let platform = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli).secret
            let acting: HTTPFields = [.porticoOrganization: portico.organizationID]

            let all = try await api.send(.get, "/v1/sandbox/emails", key: platform, headers: acting)
            #expect(all.status == .ok)
            #expect(all.list.map { $0["id"] as? String } == [second.id, first.id])
            let ada = try await api.send(.get, "/v1/sandbox/emails?to=ADA@example.org&limit=5", key: platform, headers: acting)
            let caught = try #require(ada.list.first)
            #expect(ada.list.count == 1)
            #expect(caught["object"] as? String == "sandbox_email")
            #expect(caught["to"] as? [String] == ["ada@example.org"])
            #expect(caught["subject"] as? String == "You are invited")
            #expect(caught["links"] as? [String] == ["http://127.0.0.1:9/dashboard/invitations/tok1"])
            #expect(caught["html"] is NSNull)

            #expect(try await api.send(.get, "/v1/sandbox/emails?to=not-an-address", key: platform, headers: acting).status == .badRequest)
            #expect(try await api.send(.get, "/v1/sandbox/emails?limit=0", key: platform, headers: acting).status == .badRequest)
            #expect(try await api.send(.get, "/v1/sandbox/emails?from=x", key: platform, headers: acting).status == .badRequest)
            // A tenant's own key never reads other people's mail.
            #expect(try await api.send(.get, "/v1/sandbox/emails", key: portico.testKey).status == .forbidden)
        }
    }

    @Test func anInstanceThatIsNotASandboxHasNoMailbox() async throws {
        let portico = try await TestPortico.make()
        try await portico.run { api in
            let platform = try await portico.runtime.platformKeys.create(livemode: false, label: nil, by: .cli).secret
            let refused = try await api.send(.get, "/v1/sandbox/emails", key: platform, headers: [.porticoOrganization: portico.organizationID])
            #expect(refused.status == .forbidden)
            #expect(refused.json["code"] as? String == "sandbox_only")
        }
    }
}
