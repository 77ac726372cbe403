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
}
