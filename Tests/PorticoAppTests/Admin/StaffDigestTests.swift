import Foundation
import HTTPTypes
import HummingbirdTesting
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

/// The staff's daily digest: the day's platform problems mailed to every
/// active staff account, once per day, and nothing on a quiet day.
struct StaffDigestTests {
    static func digests(_ portico: TestPortico, to address: String) async throws -> [MailRecord] {
        try await portico.store.mails(status: nil, recipient: address, page: PageRequest(limit: 20)).items.filter { $0.kind == "staff_digest" }
    }

    @Test func aDayWithProblemsIsMailedToActiveStaffOnce() async throws {
        let portico = try await TestPortico.make()
        portico.clock.freeze()
        _ = try await portico.runtime.staff.create(email: "ops@portico.test", password: "a long enough password", by: .cli)
        _ = try await portico.runtime.staff.create(email: "gone@portico.test", password: "a long enough password", by: .cli)
        _ = try await portico.runtime.staff.disable("gone@portico.test", by: .cli)
        try await WebhookReceiver.with(.always(.init(status: .internalServerError))) { receiver in
            try await portico.run { api in
                // A quiet day is recorded and mailed to nobody.
                #expect(try await portico.runtime.sendStaffDigest())
                #expect(try await Self.digests(portico, to: "ops@portico.test").isEmpty)
                #expect(try await !portico.runtime.sendStaffDigest(), "once per day")

                // An endpoint starts failing today: tomorrow's digest says so.
                let key = portico.testKey
                let endpoint = try await api.createEndpoint(key: key, url: receiver.url, events: ["order.*"])
                try await api.postEvent(key: key)
                _ = try await api.delivery(key: key, endpoint: endpoint.id, attempts: 1)
                portico.clock.advance(by: 86_400)
                #expect(try await portico.runtime.sendStaffDigest())
                let mails = try await Self.digests(portico, to: "ops@portico.test")
                #expect(mails.count == 1)
                let mail = try #require(mails.first)
                // The failing endpoint, and (unless the dispatcher ran its retry meanwhile) the backlog it left.
                let day = String(RFC3339.string(milliseconds: CivilTime.dayStart(portico.clock.nowMilliseconds) - 86_400_000).prefix(10))
                #expect(mail.subject.hasPrefix("Portico: ") && mail.subject.hasSuffix(" on \(day)"))
                let text = try portico.runtime.mail.content(of: mail).text
                #expect(text.contains(receiver.url) && text.contains(endpoint.id) && text.contains("/admin/health"))
                #expect(try await Self.digests(portico, to: "gone@portico.test").isEmpty, "disabled staff get nothing")
                #expect(try await !portico.runtime.sendStaffDigest())
                #expect(try await Self.digests(portico, to: "ops@portico.test").count == 1)
            }
        }
    }
}
