import Foundation
import PorticoCore

/// One mail's words: a subject, a plain-text body and the same in HTML.
/// Every value goes into the HTML through `HTML`'s escaping interpolation;
/// links point at the instance's public URL; no mail ever carries a secret
/// other than a single-use link meant for its recipient.
struct MailContentTemplate: Sendable, Equatable {
    var subject: String
    var text: String
    var html: String

    /// The shared HTML frame: one column, inline styles (mail clients drop stylesheets), no script, no images.
    static func frame(_ body: HTML, footer: String) -> String {
        let page: HTML = """
            <!doctype html><html><body style="font-family: system-ui, sans-serif; color: #1a1a2e; max-width: 36em; margin: 0 auto; padding: 1em">
            \(body)
            <p style="color: #555; font-size: 0.9em; border-top: 1px solid #ddd; padding-top: 0.8em">\(footer)</p>
            </body></html>
            """
        return page.text
    }

    static func button(_ link: String, _ label: String) -> HTML {
        "<p><a href=\"\(link)\" style=\"display: inline-block; background: #1d4ed8; color: #fff; padding: 0.6em 1.2em; border-radius: 4px; text-decoration: none\">\(label)</a></p><p style=\"font-size: 0.9em\">Or open this link: \(link)</p>"
    }

    /// An invitation to join an organization.
    static func invitation(organization: String, inviter: String, role: String, link: String, validHours: Int) -> Self {
        let footer = "You get this mail because \(inviter) invited this address on Portico. If you did not expect it, ignore it."
        return Self(
            subject: "You are invited to join \(organization) on Portico",
            text: """
                \(inviter) invited you to join \(organization) on Portico as \(role).

                Accept the invitation (the link works once, for \(validHours) hours):
                \(link)

                \(footer)

                """,
            html: frame(
                """
                <h1 style="font-size: 1.3em">Join \(organization) on Portico</h1>
                <p>\(inviter) invited you to join <strong>\(organization)</strong> as \(role).</p>
                \(button(link, "Accept the invitation"))
                <p>The link works once, for \(validHours) hours.</p>
                """,
                footer: footer
            )
        )
    }

    /// A link to choose a new password.
    static func passwordReset(link: String, validMinutes: Int) -> Self {
        let footer =
            "You get this mail because someone asked to reset the password of this address on Portico. If it was not you, ignore it: your password stays as it is."
        return Self(
            subject: "Reset your Portico password",
            text: """
                Choose a new password for your Portico account (the link works once, for \(validMinutes) minutes):
                \(link)

                Every session of your account is signed out when the password changes.

                \(footer)

                """,
            html: frame(
                """
                <h1 style="font-size: 1.3em">Reset your password</h1>
                <p>Choose a new password for your Portico account.</p>
                \(button(link, "Choose a new password"))
                <p>The link works once, for \(validMinutes) minutes. Every session of your account is signed out when the password changes.</p>
                """,
                footer: footer
            )
        )
    }

    /// A link that confirms this address: an open sign-up's, or the new one of an address change.
    static func confirmAddress(link: String, email: String, isChange: Bool, validHours: Int) -> Self {
        let footer =
            isChange
            ? "You get this mail because someone asked to move a Portico account to this address. If it was not you, ignore it: nothing changes."
            : "You get this mail because this address signed up on Portico. If it was not you, ignore it."
        let purpose = isChange ? "Confirm \(email) as the address of your Portico account" : "Confirm \(email) to finish signing up on Portico"
        let consequence =
            isChange ? "Your account signs in with this address once you confirm it." : "Until you confirm it, your account stays in test mode."
        return Self(
            subject: isChange ? "Confirm your new Portico email address" : "Confirm your Portico email address",
            text: """
                \(purpose) (the link works once, for \(validHours) hours):
                \(link)

                \(consequence)

                \(footer)

                """,
            html: frame(
                """
                <h1 style="font-size: 1.3em">Confirm your email address</h1>
                <p>\(purpose).</p>
                \(button(link, "Confirm the address"))
                <p>The link works once, for \(validHours) hours. \(consequence)</p>
                """,
                footer: footer
            )
        )
    }

    /// To the old address when an account asks to move to another one: the owner learns of it even if it was not them.
    static func addressChangeRequested(newEmail: String, accountURL: String) -> Self {
        let footer = "You get this mail because it is the address of a Portico account."
        let advice = "If it was not you, sign in and change your password at once: \(accountURL)"
        return Self(
            subject: "Your Portico account asked to move to another email address",
            text: """
                Your Portico account asked to move to \(newEmail). Nothing changes until that address confirms it.

                \(advice)

                \(footer)

                """,
            html: frame(
                """
                <h1 style="font-size: 1.3em">A change of address was asked for</h1>
                <p>Your Portico account asked to move to <strong>\(newEmail)</strong>. Nothing changes until that address confirms it.</p>
                <p>If it was not you, sign in and change your password at once: \(accountURL)</p>
                """,
                footer: footer
            )
        )
    }

    /// After a password change from the account page.
    static func passwordChanged(accountURL: String) -> Self {
        securityNotice(
            subject: "Your Portico password was changed",
            headline: "Your password was changed",
            what: "The password of your Portico account was changed, and every other session of it signed out.",
            advice: "If it was not you, reset your password from the sign-in page at once: \(accountURL)"
        )
    }

    /// After two-factor sign-in was turned off.
    static func twoFactorDisabled(accountURL: String) -> Self {
        securityNotice(
            subject: "Two-factor sign-in was turned off on your Portico account",
            headline: "Two-factor sign-in is off",
            what: "Your Portico account now signs in with its password alone.",
            advice: "If it was not you, change your password and turn two-factor sign-in back on at once: \(accountURL)"
        )
    }

    /// A change to how the account signs in, told to its address whoever made it.
    private static func securityNotice(subject: String, headline: String, what: String, advice: String) -> Self {
        let footer = "You get this mail because it is the address of a Portico account."
        return Self(
            subject: subject,
            text: """
                \(what)

                \(advice)

                \(footer)

                """,
            html: frame(
                """
                <h1 style="font-size: 1.3em">\(headline)</h1>
                <p>\(what)</p>
                <p>\(advice)</p>
                """,
                footer: footer
            )
        )
    }

    /// To owners and admins: Portico disabled one of their webhook endpoints.
    static func endpointDisabled(organization: String, url: String, livemode: Bool, reason: String?, link: String, settings: String) -> Self {
        let why =
            reason == "gone"
            ? "it answered 410 Gone, which asks senders to stop"
            : "its deliveries kept failing without a success for too long"
        return alert(
            subject: "Webhook endpoint disabled: \(url)",
            headline: "A webhook endpoint was disabled",
            what:
                "Portico disabled the \(livemode ? "live" : "test")-mode webhook endpoint \(url) of \(organization): \(why). No events are sent to it until it is enabled again.",
            link: link,
            action: "Open the endpoint",
            settings: settings
        )
    }

    /// To owners and admins: deliveries ran out of attempts (one, or a digest of the hour's).
    static func deliveriesExhausted(organization: String, url: String, livemode: Bool, count: Int, link: String, settings: String) -> Self {
        let deliveries = count == 1 ? "A webhook delivery" : "\(count) webhook deliveries"
        return alert(
            subject: "\(deliveries) to \(url) ran out of attempts",
            headline: "Webhook deliveries ran out of attempts",
            what:
                "\(deliveries) to the \(livemode ? "live" : "test")-mode endpoint \(url) of \(organization) failed every scheduled attempt and will not be tried again unless retried by hand. Portico mails about this endpoint at most once an hour.",
            link: link,
            action: "See the failed deliveries",
            settings: settings
        )
    }

    /// To owners and admins: a key stops working within a week (once per key).
    static func keyExpiring(organization: String, key: String, livemode: Bool, expiresAt: String, link: String, settings: String) -> Self {
        alert(
            subject: "An API key of \(organization) expires on \(expiresAt.prefix(10))",
            headline: "An API key expires soon",
            what:
                "The \(livemode ? "live" : "test")-mode API key \(key) of \(organization) expires at \(expiresAt). Requests made with it are refused from then on: roll it, or make a new one and move to it before then.",
            link: link,
            action: "Open the key",
            settings: settings
        )
    }

    /// To owners: a key was revoked because it leaked. A security notice, always sent.
    static func keyLeaked(organization: String, key: String, livemode: Bool, revokedBy: String, link: String) -> Self {
        let what =
            "The \(livemode ? "live" : "test")-mode API key \(key) of \(organization) was revoked as leaked by \(revokedBy). It is refused from now on."
        let advice = "Check the audit log for what it did before it was revoked, and move whatever used it to a new key"
        let footer = "You get this mail as an owner of the organization; notices about leaked keys are always sent."
        return Self(
            subject: "An API key of \(organization) was revoked as leaked",
            text: """
                \(what)

                \(advice): \(link)

                \(footer)

                """,
            html: frame(
                """
                <h1 style="font-size: 1.3em">A leaked API key was revoked</h1>
                <p>\(what)</p>
                <p>\(advice).</p>
                \(button(link, "Open the audit log"))
                """,
                footer: footer
            )
        )
    }

    /// To owners and admins: usage reached 80 % or 100 % of a quota in its period.
    static func usageThreshold(organization: String, crossing: UsageThresholdCrossing, link: String, settings: String) -> Self {
        let period = crossing.period == .day ? "today (UTC)" : "this month"
        let full = crossing.threshold >= 100
        return alert(
            subject: "\(organization) has used \(crossing.threshold) % of its \(crossing.livemode ? "live" : "test")-mode \(crossing.metric) quota",
            headline: full ? "A quota is used up" : "A quota is \(crossing.threshold) % used",
            what:
                "\(organization) has used \(crossing.quantity) of its \(crossing.limit) \(crossing.metric) \(period) in \(crossing.livemode ? "live" : "test") mode."
                + (full ? " Requests past the quota are refused, or billed as overage where the plan says so, until the period ends." : ""),
            link: link,
            action: "See usage",
            settings: settings
        )
    }

    /// To staff: yesterday's platform problems, one line each.
    static func staffDigest(day: String, problems: [String], link: String) -> Self {
        let footer = "You get this mail as an operator of this Portico; it comes only on days with something to report."
        return Self(
            subject: "Portico: \(problems.count) problem\(problems.count == 1 ? "" : "s") on \(day)",
            text: """
                Platform problems on \(day) (UTC):

                \(problems.map { "- \($0)" }.joined(separator: "\n"))

                Platform health: \(link)

                \(footer)

                """,
            html: frame(
                """
                <h1 style="font-size: 1.3em">Platform problems on \(day)</h1>
                <ul>\(problems.map { "<li>\($0)</li>" as HTML })</ul>
                \(button(link, "Open platform health"))
                """,
                footer: footer
            )
        )
    }

    /// An alert's frame: what happened, where to look, and how to stop these mails.
    private static func alert(subject: String, headline: String, what: String, link: String, action: String, settings: String) -> Self {
        let footer = "You get this mail as an owner or admin of the organization. Choose which alerts are mailed in its settings: \(settings)"
        return Self(
            subject: subject,
            text: """
                \(what)

                \(action): \(link)

                \(footer)

                """,
            html: frame(
                """
                <h1 style="font-size: 1.3em">\(headline)</h1>
                <p>\(what)</p>
                \(button(link, action))
                """,
                footer: footer
            )
        )
    }
}
