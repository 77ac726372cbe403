import Foundation
import PorticoCore

/// The dashboard's page shell: navigation, the organization switcher, the
/// test/live toggle and sign-out, around a page's own content. Forms work
/// without JavaScript (there is none): the switcher and toggle are plain
/// posts that redirect back.
enum Layout {
    struct NavItem {
        let path: String
        let title: String
    }

    /// The pages that exist, in menu order (a page is listed when it is built).
    static let navigation: [NavItem] = [
        NavItem(path: "/dashboard", title: "Overview"),
        NavItem(path: "/dashboard/keys", title: "API keys"),
        NavItem(path: "/dashboard/logs", title: "Request logs"),
        NavItem(path: "/dashboard/events", title: "Events"),
        NavItem(path: "/dashboard/webhooks", title: "Webhooks"),
        NavItem(path: "/dashboard/usage", title: "Usage"),
        NavItem(path: "/dashboard/invoices", title: "Invoices"),
        NavItem(path: "/dashboard/members", title: "Members"),
        NavItem(path: "/dashboard/audit", title: "Audit log"),
        NavItem(path: "/dashboard/settings", title: "Settings"),
    ]

    /// A signed-in page. `current` is the navigation path to mark as the current page.
    static func page(_ viewer: Viewer, title: String, current: String, notice: String? = nil, body: HTML) -> HTML {
        let nav = menu(navigation, current: current)
        let switcher: HTML =
            viewer.organizations.count > 1
            ? """
            <form method="post" action="/dashboard/switch" class="inline">\(csrf(viewer))
            <label for="organization">Organization</label>
            <select id="organization" name="organization">\(viewer.organizations.map { option($0.organization.id, $0.organization.name, selected: $0.organization.id == viewer.organization.id) })</select>
            <button type="submit">Switch</button></form>
            """
            : "<span class=\"org\">\(viewer.organization.name)</span>"
        let mode: HTML = """
            <form method="post" action="/dashboard/mode" class="inline">\(csrf(viewer))
            <input type="hidden" name="livemode" value="\(viewer.livemode ? "0" : "1")">
            <input type="hidden" name="return_to" value="\(current)">
            <span class="mode \(viewer.livemode ? "live" : "test")">\(viewer.livemode ? "Live mode" : "Test mode")</span>
            \(viewer.livemode || viewer.user.isEmailVerified ? "<button type=\"submit\">Switch to \(viewer.livemode ? "test" : "live") mode</button>" as HTML : "")</form>
            """
        let unconfirmed: HTML =
            viewer.user.isEmailVerified
            ? ""
            : "<div class=\"test-banner\" role=\"status\">Confirm your email address: a link went to \(viewer.user.email). Live mode opens once it is confirmed. <a href=\"/dashboard/account\">Your account</a></div>"
        let banner: HTML =
            viewer.organization.isSuspended
            ? "<div class=\"test-banner\" role=\"status\">This organization is suspended: the dashboard is read-only and API keys are refused.</div>"
            : viewer.livemode ? "" : "<div class=\"test-banner\" role=\"status\">You are viewing test data.</div>"
        return document(
            title: "\(title) — \(viewer.organization.name) — Portico",
            body: """
                <a class="skip" href="#main">Skip to content</a>
                <header class="top">
                <a class="brand" href="/dashboard">Portico</a>
                \(switcher)
                \(mode)
                <form method="post" action="/dashboard/logout" class="inline">\(csrf(viewer))
                <span class="who"><a href="/dashboard/account">\(viewer.user.email)</a> · \(viewer.role.title)</span>
                <button type="submit">Sign out</button></form>
                </header>
                \(unconfirmed)
                \(banner)
                <div class="frame">
                <nav aria-label="Dashboard">\(sideMenu(nav + ["<li><a href=\"/docs\">Docs</a></li>"]))</nav>
                <main id="main">
                \(notice.map { "<p class=\"notice\" role=\"status\">\($0)</p>" as HTML })
                \(body)
                </main>
                </div>
                """
        )
    }

    /// A page without the signed-in chrome (sign-in, errors).
    static func bare(title: String, body: HTML) -> HTML {
        document(title: "\(title) — Portico", body: "<main id=\"main\" class=\"narrow\">\(body)</main>")
    }

    static func document(title: String, body: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title)</title>
        <link rel="stylesheet" href="/dashboard/assets/portico.css">
        <link rel="icon" href="\(SiteIcon.path)" type="image/svg+xml">
        </head><body>
        \(body)
        </body></html>
        """
    }

    /// An error message above a form; nothing when there is none.
    static func alert(_ message: String?) -> HTML {
        message.map { "<p class=\"error\" role=\"alert\">\($0)</p>" } ?? .empty
    }

    /// A side menu's items twice: a plain list beside the content on a wide
    /// screen, and the same list in a `<details>` that a phone folds behind
    /// "Menu" (no script: the browser opens and closes it). The stylesheet
    /// displays one of the two; `display: none` takes the other out of the
    /// tab order and the accessibility tree.
    static func sideMenu(_ items: [HTML]) -> HTML {
        "<ul class=\"menu-wide\">\(items)</ul><details class=\"menu\"><summary>Menu</summary><ul>\(items)</ul></details>"
    }

    /// A menu's items, the current page marked for assistive technology.
    static func menu(_ items: [NavItem], current: String) -> [HTML] {
        items.map { item in
            item.path == current
                ? "<li><a href=\"\(item.path)\" aria-current=\"page\">\(item.title)</a></li>"
                : "<li><a href=\"\(item.path)\">\(item.title)</a></li>"
        }
    }

    /// The hidden CSRF field every signed-in form carries.
    static func csrf(_ viewer: Viewer) -> HTML { csrfField(viewer.csrfToken) }

    static func csrfField(_ token: String) -> HTML {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(token)\">"
    }

    static func option(_ value: String, _ label: String, selected: Bool) -> HTML {
        selected ? "<option value=\"\(value)\" selected>\(label)</option>" : "<option value=\"\(value)\">\(label)</option>"
    }

    /// A timestamp as UTC text, in a `<time>` element.
    static func time(_ milliseconds: Int64?) -> HTML {
        guard let milliseconds else { return "—" }
        let text = RFC3339.string(milliseconds: milliseconds)
        let shown = text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
        return "<time datetime=\"\(text)\">\(shown)</time>"
    }

    /// A table with a header row; `rows` already rendered; `empty` shown when there are none.
    /// A wide table scrolls sideways in its own box, never the page; the box is a
    /// named region in the tab order so a keyboard can scroll it too.
    static func table(caption: String, headers: [String], rows: [HTML], empty: String) -> HTML {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(empty)</p>" }
        return """
            <div class="table-scroll" role="region" aria-label="\(caption)" tabindex="0"><table><caption>\(caption)</caption>
            <thead><tr>\(headers.map { "<th scope=\"col\">\($0)</th>" as HTML })</tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
    }

    /// A two-column table of named facts about one thing (a request, an endpoint, a delivery).
    static func facts(caption: HTML, _ rows: [(String, HTML)]) -> HTML {
        """
        <table class="facts"><caption>\(caption)</caption><tbody>
        \(rows.map { "<tr><th scope=\"row\">\($0.0)</th><td>\($0.1)</td></tr>" as HTML })
        </tbody></table>
        """
    }

    /// "Older" link for a newest-first list: the current query with `starting_after` set to the last row shown.
    static func olderLink(_ path: String, query: [(String, String)], after cursor: String?, label: String) -> HTML {
        guard let cursor else { return .empty }
        var items = query.filter { $0.0 != "starting_after" }
        items.append(("starting_after", cursor))
        let link = items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return "<p><a href=\"\(path)?\(link)\">\(label)</a></p>"
    }

    /// A labelled `<select>` whose options are (value, label) pairs.
    static func select(_ name: String, _ label: String, _ choices: [(String, String)], selected current: String?) -> HTML {
        """
        <label for="\(name)">\(label)</label><select id="\(name)" name="\(name)">\(choices.map { option($0.0, $0.1, selected: $0.0 == (current ?? "")) })</select>
        """
    }

    /// Stored JSON text, indented for reading (as stored when it does not parse).
    static func prettyJSON(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
            let data = try? JSONSerialization.data(
                withJSONObject: object,
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
            )
        else { return text }
        return String(decoding: data, as: UTF8.self)
    }
}
