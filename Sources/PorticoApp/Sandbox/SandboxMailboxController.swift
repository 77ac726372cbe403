import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// The sandbox mailbox: every mail a `portico sandbox` would have sent, so CI
/// can follow an invitation or a reset link. Only on a sandbox instance and
/// only with its platform key (every mail of the instance is listed, whichever
/// organization the key acts for); elsewhere 403.
///
///     GET /v1/sandbox/emails?to=ADDRESS&limit=N   events:read, platform key
///     {"object":"list","data":[{"object":"sandbox_email","id":"mail_…","to":[…],"subject":"…","text":"…","links":[…]…}]}
struct SandboxMailboxController: Sendable {
    typealias Context = PorticoRequestContext
    let store: any MailStore
    let composer: MailComposer
    let isSandbox: Bool

    func register(_ routes: APIRoutes) {
        routes.on(.get, "sandbox/emails", scope: .eventsRead, query: .checkedByHandler, platformOnly: true, handler: list)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        guard isSandbox else { throw APIError(.sandboxOnly, "The sandbox mailbox exists only on a `portico sandbox` instance.") }
        let query = try ListQuery(request.uri, extra: ["to"])
        var recipient: String?
        if let to = query.extra["to"] {
            guard let address = MailAddress(to) else { throw APIError.invalid("to", "to must be an email address.") }
            recipient = address.address
        }
        let page = try await store.mails(status: nil, recipient: recipient, page: query.page)
        let data = try page.items.map { try SandboxEmailResource($0, content: composer.content(of: $0), from: composer.sender) }
        return JSONCoding.response(ListEnvelope(data: data, hasMore: page.hasMore, url: "/v1/sandbox/emails"))
    }
}

/// One caught mail as the sandbox mailbox shows it.
struct SandboxEmailResource: JSONWritable {
    var id: String
    var kind: String
    var from: String
    var to: [String]
    var subject: String
    var text: String
    var html: String?
    /// Every http(s) link in the text body, in order.
    var links: [String]
    var createdAt: String

    init(_ mail: MailRecord, content: MailContent, from sender: MailAddress) {
        id = mail.id
        kind = mail.kind
        from = sender.address
        to = mail.recipients.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        subject = mail.subject
        text = content.text
        html = content.html
        links = MailLinks.all(in: content.text)
        createdAt = RFC3339.string(milliseconds: mail.createdAt)
    }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at", createdAt)
            json.field("from", from)
            json.field("html", html)
            json.field("id", id)
            json.field("kind", kind)
            json.field("links", links)
            json.field("object", "sandbox_email")
            json.field("subject", subject)
            json.field("text", text)
            json.field("to", to)
        }
    }
}

/// Links in a mail's text: what CI follows, and what the console masks.
enum MailLinks {
    static func all(in text: String) -> [String] {
        text.matches(of: /https?:\/\/[^\s<>"]+/).map { String($0.output) }
    }
}
