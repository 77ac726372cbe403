import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// `/admin/mail`: the outbox, newest first (what was sent, what waits, what
/// failed and why); with no SMTP relay configured, this is where mails are
/// read. One mail's page shows its text with every link masked: links are
/// single-use credentials meant for the recipient, not for staff. Reading a
/// mail about an organization is audited on it.
struct MailPages: Sendable {
    typealias Context = PorticoRequestContext
    let admin: Admin

    func register(on router: RouterGroup<Context>) {
        router.get("mail") { request, _ in try await self.list(request) }
        router.get("mail/:id") { request, context in try await self.show(request, context: context) }
    }

    private func list(_ request: Request) async throws -> Response {
        let viewer = try await admin.viewer(request)
        let query = request.uri.queryParameters
        let status = query.get("status").flatMap(MailRecord.Status.init(rawValue:))
        let page: Page<MailRecord>
        do {
            page = try await admin.store.mails(
                status: status,
                recipient: nil,
                page: PageRequest(limit: 50, startingAfter: query.get("starting_after"))
            )
        } catch StoreError.notFound {
            throw DashboardError.badRequest("That page of the outbox does not exist; start from the newest.")
        }
        let configured = admin.runtime.config.mail.smtpHost != nil
        let rows = page.items.map { mail -> HTML in
            """
            <tr><td>\(Layout.time(mail.createdAt))</td><td><a href="/admin/mail/\(mail.id)">\(mail.subject)</a><br><code>\(mail.id)</code></td>
            <td>\(mail.recipients)</td><td>\(mail.kind)</td><td>\(mail.status.rawValue)\(mail.lastError.map { "<br><small>\($0)</small>" as HTML })</td>
            <td>\(mail.attempts)</td></tr>
            """
        }
        let choices = [("", "Any")] + MailRecord.Status.allCases.map { ($0.rawValue, $0.rawValue.capitalized) }
        return WebPage.response(
            AdminLayout.page(
                viewer,
                title: "Mail",
                current: "/admin/mail",
                body: """
                    <h1>Mail</h1>
                    <p>\(configured
                        ? "Mails go out through \(admin.runtime.config.mail.smtpHost ?? ""):\(admin.runtime.config.mail.smtpPort)."
                        : "Mail is not configured (mail.smtp_host): every mail is kept here and none is sent.")</p>
                    <form method="get" action="/admin/mail" class="filters">\(Layout.select("status", "Status", choices, selected: status?.rawValue))
                    <button type="submit">Show</button></form>
                    \(Layout.table(caption: "Newest first", headers: ["Queued", "Subject", "To", "Kind", "Status", "Attempts"], rows: rows, empty: "No mail."))
                    \(Layout.olderLink("/admin/mail", query: status.map { [("status", $0.rawValue)] } ?? [], after: page.hasMore ? page.items.last?.id : nil, label: "Older mail"))
                    """
            )
        )
    }

    private func show(_ request: Request, context: Context) async throws -> Response {
        let viewer = try await admin.viewer(request)
        guard let mail = try await admin.store.mail(id: try context.parameters.require("id")) else { throw DashboardError.notFound }
        if let organization = mail.organizationId {
            try await admin.runtime.organizations.recordView(
                of: organization,
                what: "mail",
                target: ("mail", mail.id),
                by: viewer.actor(request: context)
            )
        }
        let text =
            (try? admin.runtime.mail.content(of: mail).text).map(MailLinks.masked)
            ?? "(the body could not be opened with this instance's secrets key)"
        return WebPage.response(
            AdminLayout.page(
                viewer,
                title: mail.subject,
                current: "/admin/mail",
                body: """
                    <p><a href="/admin/mail">All mail</a></p>
                    <h1>\(mail.subject)</h1>
                    \(Layout.facts(caption: "<code>\(mail.id)</code>", [
                        ("To", "\(mail.recipients)"),
                        ("Kind", "\(mail.kind)"),
                        ("Status", "\(mail.status.rawValue)"),
                        ("Attempts", "\(mail.attempts)"),
                        ("Last error", "\(mail.lastError ?? "—")"),
                        ("Queued", Layout.time(mail.createdAt)),
                        ("Sent", Layout.time(mail.sentAt)),
                        ("Next try", Layout.time(mail.nextAttemptAt)),
                    ]))
                    <h2>Text (links masked)</h2><pre>\(text)</pre>
                    """
            )
        )
    }
}

extension MailLinks {
    /// The text with every link cut to its scheme and host: what a link opens is the recipient's alone.
    static func masked(_ text: String) -> String {
        text.replacing(/https?:\/\/[^\s<>"]+/) { match in
            let link = String(match.output)
            guard let url = URL(string: link), let scheme = url.scheme, let host = url.host else { return "[link hidden]" }
            return "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")/… [link hidden]"
        }
    }
}
