import Foundation
import Hummingbird
import PorticoCore
import PorticoStore

/// Members of the current organization: roles, invitations (a link shown
/// once to the inviter; Portico sends no email), role changes and removal.
/// Admins manage developers and viewers and other admins; only owners make
/// or unmake owners; the last owner cannot leave or be demoted.
struct MembersPages: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard

    func register(on router: RouterGroup<Context>) {
        router.get("members") { request, _ in try await self.page(try await dashboard.viewer(request)) }
        router.post("members/invitations") { request, context in try await self.invite(request, context: context) }
        router.post("members/:user_id/role") { request, context in try await self.changeRole(request, context: context) }
        router.post("members/:user_id/remove") { request, context in try await self.remove(request, context: context) }
    }

    private func page(_ viewer: Viewer, notice: String? = nil, link: String? = nil, error: String? = nil) async throws -> Response {
        let members = try await dashboard.store.members(organizationId: viewer.organization.id)
        let invitations = try await dashboard.store.pendingInvitations(organizationId: viewer.organization.id, now: dashboard.clock.nowMilliseconds)
        let canManage = viewer.role.may(.manageMembers)
        let roles = Role.allCases.filter { $0 != .owner || viewer.role.may(.manageOwners) }
        let rows = members.map { member -> HTML in
            let role = Role(rawValue: member.membership.role) ?? .viewer
            let editable = canManage && (role != .owner || viewer.role.may(.manageOwners))
            let actions: HTML =
                editable
                ? """
                <form method="post" action="/dashboard/members/\(member.user.id)/role" class="inline">\(Layout.csrf(viewer))
                <label for="role-\(member.user.id)" class="visually-hidden">Role of \(member.user.email)</label>
                <select id="role-\(member.user.id)" name="role">\(roles.map { Layout.option($0.rawValue, $0.title, selected: $0 == role) })</select>
                <button type="submit">Change role</button></form>
                <form method="post" action="/dashboard/members/\(member.user.id)/remove" class="inline">\(Layout.csrf(viewer))
                <button type="submit" class="danger">Remove</button></form>
                """
                : ""
            return
                "<tr><td>\(member.user.name ?? "—")</td><td>\(member.user.email)</td><td>\(role.title)</td><td>\(Layout.time(member.membership.createdAt))</td><td>\(actions)</td></tr>"
        }
        let pending = invitations.map { invitation -> HTML in
            "<tr><td>\(invitation.email)</td><td>\(Role(rawValue: invitation.role)?.title ?? invitation.role)</td><td>\(Layout.time(invitation.expiresAt))</td></tr>"
        }
        let inviteForm: HTML =
            canManage
            ? """
            <section aria-labelledby="invite"><h2 id="invite">Invite a member</h2>
            <form method="post" action="/dashboard/members/invitations">\(Layout.csrf(viewer))
            <p><label for="email">Email</label><input id="email" name="email" type="email" required></p>
            <p><label for="role">Role</label><select id="role" name="role">\(roles.map { Layout.option($0.rawValue, $0.title, selected: $0 == .developer) })</select></p>
            <p><button type="submit">Create invitation link</button></p>
            </form></section>
            """
            : ""
        let shownLink: HTML =
            link.map { link in
                """
                <section class="secret" aria-labelledby="link"><h2 id="link">Invitation link</h2>
                <p>Send this link to the new member. It works once and is shown only now.</p>
                <p><label for="invitation-link">Link</label><input id="invitation-link" readonly size="70" value="\(link)"></p></section>
                """
            } ?? ""
        let body: HTML = """
            <h1>Members</h1>
            \(Layout.alert(error))
            \(shownLink)
            \(Layout.table(caption: "Members of \(viewer.organization.name)", headers: ["Name", "Email", "Role", "Since", ""], rows: rows, empty: "No members."))
            \(Layout.table(caption: "Open invitations", headers: ["Email", "Role", "Expires"], rows: pending, empty: "No open invitations."))
            \(inviteForm)
            """
        return WebPage.response(Layout.page(viewer, title: "Members", current: "/dashboard/members", notice: notice, body: body))
    }

    private func invite(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let (viewer, form) = try await dashboard.submission(&request, context: context, requiring: .manageMembers)
        let role = try assignable(form["role"], by: viewer)
        let email = (form.text("email") ?? "").lowercased()
        guard EmailAddress.isPlausible(email) else { return try await page(viewer, error: "That is not an email address.") }
        let token = Base62.random(count: 40)
        let now = dashboard.clock.nowMilliseconds
        let invitation = InvitationRecord(
            id: Identifier.make("inv", at: now),
            tokenHash: SessionManager.hash(token),
            organizationId: viewer.organization.id,
            email: email,
            role: role.rawValue,
            invitedBy: viewer.user.id,
            createdAt: now,
            expiresAt: now + Int64(dashboard.config.dashboard.invitationTTLHours) * 3_600_000
        )
        let link = "\(dashboard.runtime.baseURL.value)/dashboard/invitations/\(token)"
        let words = MailContentTemplate.invitation(
            organization: viewer.organization.name,
            inviter: viewer.user.name ?? viewer.user.email,
            role: role.title,
            link: link,
            validHours: dashboard.config.dashboard.invitationTTLHours
        )
        // The mail is queued with the invitation: both are committed, or neither.
        let mail = MailAddress(email).map {
            dashboard.runtime.mail.compose(
                kind: "invitation",
                to: [$0],
                subject: words.subject,
                text: words.text,
                html: words.html,
                organizationId: viewer.organization.id,
                at: now
            )
        }
        try await dashboard.store.insertInvitation(
            invitation,
            audit: viewer.actor(request: context).entry(
                "member.invited",
                organizationID: viewer.organization.id,
                targetType: "invitation",
                targetID: invitation.id,
                details: ["email": email, "role": role.rawValue],
                at: now
            ),
            mail: mail
        )
        // With a relay the link goes by mail only; without one it is shown here too, so inviting still works.
        guard dashboard.config.mail.smtpHost == nil else { return try await page(viewer, notice: "Invitation mailed to \(email).") }
        return try await page(viewer, notice: "Invitation created for \(email) (mail is not configured: share this link).", link: link)
    }

    private func changeRole(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        let form = try await dashboard.form(&request, context: context, viewer: viewer)
        let member = try await target(context, viewer: viewer)
        let role = try assignable(form["role"], by: viewer)
        let audit = viewer.actor(request: context).entry(
            "member.role_changed",
            organizationID: viewer.organization.id,
            targetType: "user",
            targetID: member.user.id,
            details: ["from": member.membership.role, "to": role.rawValue],
            at: dashboard.clock.nowMilliseconds
        )
        do {
            _ = try await dashboard.store.updateMemberRole(
                organizationId: viewer.organization.id,
                userId: member.user.id,
                role: role.rawValue,
                audit: audit
            )
        } catch StoreError.conflict(let message) {
            return try await page(viewer, error: message.sentence)
        }
        return try await page(viewer, notice: "\(member.user.email) is now \(role.title).")
    }

    private func remove(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let viewer = try await dashboard.viewer(request)
        _ = try await dashboard.form(&request, context: context, viewer: viewer)
        let member = try await target(context, viewer: viewer)
        let audit = viewer.actor(request: context).entry(
            "member.removed",
            organizationID: viewer.organization.id,
            targetType: "user",
            targetID: member.user.id,
            details: ["email": member.user.email, "role": member.membership.role],
            at: dashboard.clock.nowMilliseconds
        )
        do {
            _ = try await dashboard.store.removeMember(organizationId: viewer.organization.id, userId: member.user.id, audit: audit)
        } catch StoreError.conflict(let message) {
            return try await page(viewer, error: message.sentence)
        }
        return try await page(viewer, notice: "\(member.user.email) was removed.")
    }

    /// The member in the URL, if the viewer may manage them (only owners manage owners).
    private func target(_ context: Context, viewer: Viewer) async throws -> Member {
        try viewer.require(.manageMembers)
        let id = try context.parameters.require("user_id")
        guard let member = try await dashboard.store.members(organizationId: viewer.organization.id).first(where: { $0.user.id == id })
        else { throw DashboardError.notFound }
        if member.membership.role == Role.owner.rawValue { try viewer.require(.manageOwners) }
        return member
    }

    private func assignable(_ text: String?, by viewer: Viewer) throws -> Role {
        guard let role = text.flatMap(Role.init(rawValue:)) else { throw DashboardError.badRequest("Choose a role.") }
        if role == .owner { try viewer.require(.manageOwners) }
        return role
    }
}
