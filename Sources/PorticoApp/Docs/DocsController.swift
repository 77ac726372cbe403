import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore
import PorticoStore

/// `/docs`: the quickstart, the API reference rendered from the OpenAPI
/// document, webhook verification, one page per error code (the `type` URL
/// of every problem document) and the changelog. Server-rendered like the
/// dashboard, with its stylesheet and CSP; no script.
///
/// Keys are stored as hashes, so the quickstart cannot show a signed-in
/// user an existing key: it offers to create a test key for the examples
/// (shown once, on that page) and uses a placeholder otherwise.
struct DocsController: Sendable {
    typealias Context = PorticoRequestContext
    let dashboard: Dashboard
    let search = DocsSearch()

    static let placeholderKey = "sk_test_YOUR_KEY"

    func register(on router: Router<Context>) {
        router.get("docs") { request, _ in try await self.quickstart(request, key: nil) }
        router.post("docs/quickstart-key") { request, context in try await self.createQuickstartKey(request, context: context) }
        router.get("docs/api") { request, _ in
            // `?version=`: the reference as of a dated version (an unknown one shows the newest).
            let version = request.uri.queryParameters.get("version").flatMap { APIVersions.named(String($0)) } ?? APIVersions.current
            return Self.page(
                "API reference",
                current: "/docs/api",
                body: APIReference.html(
                    baseURL: dashboard.runtime.baseURL.value,
                    gateway: dashboard.runtime.gateway.definition.openAPI,
                    version: version
                )
            )
        }
        router.get("docs/webhooks") { _, _ in Self.page("Verifying webhooks", current: "/docs/webhooks", body: WebhookGuide.html) }
        router.get("docs/changelog") { _, _ in Self.page("Changelog", current: "/docs/changelog", body: Self.changelog) }
        router.get("docs/testing") { _, _ in Self.page("Testing with the sandbox", current: TestingGuide.path, body: TestingGuide.html) }
        // A GET form: its query is form-encoded (a space arrives as `+`).
        router.get("docs/search") { request, _ in self.searchPage(FormData(request.uri.query ?? "")["q"] ?? "") }
        router.get("docs/leaked-keys") { _, _ in Self.page("Leaked keys", current: LeakedKeysGuide.path, body: LeakedKeysGuide.html) }
        router.get("docs/leaked-keys/gitleaks.toml") { _, _ in
            WebPage.asset(KeyPatterns.gitleaksConfig, contentType: "application/toml; charset=utf-8")
        }
        router.get("docs/errors") { _, _ in Self.page("Error codes", current: "/docs/errors", body: Self.errorIndex) }
        router.get("docs/errors/:code") { _, context in
            let raw = try context.parameters.require("code")
            guard let code = ErrorCode(rawValue: raw) else { throw APIError(.routeNotFound, "There is no error code '\(raw)'.") }
            return Self.page(
                "\(code.rawValue) — errors",
                current: "/docs/errors",
                body: """
                    <p><a href="/docs/errors">All error codes</a></p>
                    <h1><code>\(code.rawValue)</code></h1>
                    <p><strong>HTTP \(Int(code.status.code)) — \(code.title)</strong></p>
                    <p>\(Self.inlineCode(code.explanation))</p>
                    <h2>What the response looks like</h2>
                    <pre>{
                      "type": "\(dashboard.runtime.baseURL.value)/docs/errors/\(code.rawValue)",
                      "title": "\(code.title)",
                      "status": \(Int(code.status.code)),
                      "code": "\(code.rawValue)",
                      "detail": "…what went wrong, in a sentence…",
                      "request_id": "req_…"
                    }</pre>
                    <p>Quote the <code>request_id</code> (also in the <code>Request-Id</code> header) when you ask for help: it finds the request in the log.</p>
                    """
            )
        }
    }

    // MARK: Quickstart

    /// The gateway's routes (the team's own API behind Portico), with a first call; nothing when there are none.
    static func gatewayGuide(_ operations: [OpenAPI.Operation], base: String, key: String) -> HTML {
        guard let first = operations.first(where: { $0.method == "get" }) ?? operations.first else { return .empty }
        let sample = first.path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("{") && $0.hasSuffix("}") ? "ID" : String($0) }.joined(separator: "/")
        let items = operations.map { operation -> HTML in
            let scopes = operation.scopes.map { "<code>\($0)</code>" as HTML }
            return "<li><code>\(operation.method.uppercased()) \(operation.path)</code> — \(operation.summary) (needs \(scopes))</li>"
        }
        return """
            <h2>4. Your API</h2>
            <p>These routes are the team's own API, served through Portico: the same keys, test and live modes, limits, request log
            and errors apply. A key needs the scopes each route lists (secret keys hold them all).</p>
            <ul>\(items)</ul>
            <pre>curl\(first.method == "get" ? "" : " -X \(first.method.uppercased())") \(base)\(sample) \\
              -H "Authorization: Bearer \(key)"</pre>
            """
    }

    private func quickstart(_ request: Request, key: String?) async throws -> Response {
        let viewer = try? await dashboard.sessions.viewer(of: request)
        let base = dashboard.runtime.baseURL.value
        let shownKey = key ?? Self.placeholderKey
        let keyNote: HTML
        if key != nil {
            keyNote =
                "<p class=\"notice\" role=\"status\">The examples below use a new test key made for you. Copy it now: Portico keeps only a hash and will not show it again.</p>"
        } else if let viewer, viewer.role.may(.manageKeys(live: false)) {
            keyNote = """
                <form method="post" action="/docs/quickstart-key">\(Layout.csrf(viewer))
                <p>Signed in as \(viewer.user.email) (\(viewer.organization.name)). <button type="submit">Fill in a new test key</button>
                — creates a test key labelled “Docs quickstart” and puts it in every example below.</p></form>
                """
        } else {
            keyNote =
                "<p>Replace <code>\(Self.placeholderKey)</code> with a test key from the <a href=\"/dashboard/keys\">dashboard</a> (sign in and this page fills one in).</p>"
        }
        let body: HTML = """
            <h1>Quickstart</h1>
            \(keyNote)
            \(Self.quickstartGuide(base: base, key: shownKey, gateway: dashboard.runtime.gateway.definition.openAPI.operations))
            """
        return Self.page("Quickstart", current: "/docs", body: body)
    }

    /// The quickstart's examples with `key` in them (the search index uses the placeholder).
    static func quickstartGuide(base: String, key: String, gateway: [OpenAPI.Operation]) -> HTML {
        """
        <h2>1. Make a request</h2>
        <pre>curl \(base)/v1/customers \\
          -H "Authorization: Bearer \(key)" \\
          -H "Content-Type: application/json" \\
          -d '{"name": "Ada Lovelace", "email": "ada@example.com"}'</pre>
        <h2>2. The same from Python and JavaScript</h2>
        <pre>import requests

        response = requests.post(
            "\(base)/v1/customers",
            headers={"Authorization": "Bearer \(key)", "Idempotency-Key": "signup-42"},
            json={"name": "Ada Lovelace", "email": "ada@example.com"},
        )
        print(response.status_code, response.json())</pre>
        <pre>const response = await fetch("\(base)/v1/customers", {
          method: "POST",
          headers: { Authorization: "Bearer \(key)", "Content-Type": "application/json", "Idempotency-Key": "signup-42" },
          body: JSON.stringify({ name: "Ada Lovelace", email: "ada@example.com" }),
        });
        console.log(response.status, await response.json());</pre>
        <h2>3. See it</h2>
        <p>The request is in the <a href="/dashboard/logs">request log</a> with its id (the <code>Request-Id</code> header), and the
        <code>customer.created</code> event is under <a href="/dashboard/events">Events</a>. Add a <a href="/dashboard/webhooks">webhook endpoint</a>
        to receive events, and <a href="/docs/webhooks">verify their signatures</a>.</p>
        \(gatewayGuide(gateway, base: base, key: key))
        <h2>Conventions</h2>
        <ul>
        <li>Test keys (<code>sk_test_</code>) see test data, live keys live data; they never mix.</li>
        <li>Errors are <code>application/problem+json</code>; each <code>type</code> links to its <a href="/docs/errors">error page</a>.</li>
        <li>Lists take <code>limit</code>, <code>starting_after</code> and <code>ending_before</code>, newest first.</li>
        <li>POSTs take an <code>Idempotency-Key</code>: the same key and body answer the first response again.</li>
        <li>Every <code>/v1</code> response carries <code>RateLimit</code> headers; a 429 has <code>Retry-After</code>.</li>
        <li>Pin a version with <code>Portico-Version</code> (see the <a href="/docs/changelog">changelog</a>).</li>
        </ul>
        <p>Every operation is in the <a href="/docs/api">API reference</a> and in <a href="/v1/openapi.json">openapi.json</a>.</p>
        """
    }

    private func createQuickstartKey(_ request: Request, context: Context) async throws -> Response {
        var request = request
        guard let viewer = try await dashboard.sessions.viewer(of: request) else { return WebPage.redirect(to: "/dashboard/login?next=/docs") }
        guard DashboardMiddleware.isSameOrigin(request) else { return DashboardMiddleware.page(for: .staleForm) }
        do {
            _ = try await dashboard.form(&request, context: context, viewer: viewer)
            try viewer.require(.manageKeys(live: false))
        } catch let error as DashboardError {
            return DashboardMiddleware.page(for: error)
        }
        let issued = try await dashboard.runtime.keys.create(
            NewKeyRequest(
                organizationID: viewer.organization.id,
                livemode: false,
                kind: .secret,
                label: "Docs quickstart",
                scopes: [],
                allowedCIDRs: [],
                expiresAt: nil
            ),
            by: viewer.actor(request: context)
        )
        return try await quickstart(request, key: issued.secret)
    }

    // MARK: Changelog and errors

    static var changelog: HTML {
        let entries = APIVersions.all.reversed().map { version -> HTML in
            let changes: HTML =
                version.changes.isEmpty
                ? "<p>The first dated version: the API as it shipped.</p>"
                : "<ul>\(version.changes.map { "<li>\(inlineCode($0.summary))</li>" as HTML })</ul>"
            let status: HTML =
                version.deprecatedAt.map { deprecated in
                    "<p><strong>Deprecated</strong> since \(Layout.time(deprecated))\(version.sunsetAt.map { "; may stop working after \(Layout.time($0))" as HTML })). Responses on it carry <code>Deprecation</code> and <code>Sunset</code> headers.</p>"
                } ?? .empty
            return
                "<section aria-labelledby=\"v\(version.id)\"><h2 id=\"v\(version.id)\">\(version.id)\(version.id == APIVersions.current.id ? " (newest)" : "")</h2>\(status)\(changes)</section>"
        }
        return """
            <h1>Changelog</h1>
            <p>Each dated version lists what changed from the one before. Send <code>Portico-Version: &lt;date&gt;</code> to use a version,
            or pin a default in the dashboard's settings. New organizations start on the newest; the version used is echoed in every response.</p>
            \(entries)
            """
    }

    static var errorIndex: HTML {
        """
        <h1>Error codes</h1>
        <table><caption>Every <code>code</code> a problem document can carry</caption>
        <thead><tr><th scope="col">Code</th><th scope="col">HTTP status</th><th scope="col">Meaning</th></tr></thead>
        <tbody>\(ErrorCode.allCases.map { "<tr><td><a href=\"/docs/errors/\($0.rawValue)\"><code>\($0.rawValue)</code></a></td><td>\(Int($0.status.code))</td><td>\($0.title)</td></tr>" as HTML })</tbody></table>
        """
    }

    /// `backticked` words as `<code>` (changelog summaries are written in Markdown's inline style).
    static func inlineCode(_ text: String) -> HTML {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return parts.enumerated().map { index, part in index % 2 == 1 ? "<code>\(String(part))</code>" : "\(String(part))" as HTML }.joined()
    }

    // MARK: Search

    /// Every page the search covers, as rendered for a visitor who is not signed in.
    func searchablePages() -> [(path: String, title: String, body: HTML)] {
        let base = dashboard.runtime.baseURL.value
        let gateway = dashboard.runtime.gateway.definition.openAPI
        var pages: [(path: String, title: String, body: HTML)] = [
            ("/docs", "Quickstart", Self.quickstartGuide(base: base, key: Self.placeholderKey, gateway: gateway.operations)),
            ("/docs/api", "API reference", APIReference.html(baseURL: base, gateway: gateway)),
            ("/docs/webhooks", "Verifying webhooks", WebhookGuide.html),
            (TestingGuide.path, "Testing with the sandbox", TestingGuide.html),
            (LeakedKeysGuide.path, "Leaked keys", LeakedKeysGuide.html),
            ("/docs/changelog", "Changelog", Self.changelog),
            ("/docs/errors", "Error codes", Self.errorIndex),
        ]
        for code in ErrorCode.allCases {
            pages.append(
                (
                    "/docs/errors/\(code.rawValue)", "\(code.rawValue): \(code.title)",
                    "<p>\(code.title)</p><p>\(Self.inlineCode(code.explanation))</p>"
                )
            )
        }
        return pages
    }

    private func searchPage(_ query: String) -> Response {
        let pages = search.pages(key: dashboard.runtime.gateway.definition.openAPIJSON.hashValue, searchablePages)
        let terms = DocsSearch.terms(query)
        let hits = DocsSearch.search(query, in: pages)
        let results: HTML
        if terms.isEmpty {
            results = "<p>Type words to find in the quickstart, the API reference, the guides, every error code and the changelog.</p>"
        } else if hits.isEmpty {
            results = "<p role=\"status\">Nothing in the docs has all of “\(query.prefix(DocsSearch.maxQueryLength))”.</p>"
        } else {
            let items = hits.map { hit -> HTML in
                "<li><a href=\"\(hit.path)\">\(hit.title)</a><p>\(DocsSearch.highlighted(hit.snippet, terms: terms))</p></li>"
            }
            results =
                "<p role=\"status\">\(hits.count) \(hits.count == 1 ? "page" : "pages") with “\(query.prefix(DocsSearch.maxQueryLength))”.</p><ol class=\"search-results\">\(items)</ol>"
        }
        return Self.page(
            "Search",
            current: "/docs/search",
            body: """
                <h1>Search the docs</h1>
                <form method="get" action="/docs/search" role="search"><label for="docs-search-page">Words to find</label>
                <input id="docs-search-page" type="search" name="q" value="\(query.prefix(DocsSearch.maxQueryLength))" maxlength="\(DocsSearch.maxQueryLength)">
                <button type="submit">Search</button></form>
                \(results)
                """
        )
    }

    // MARK: Page shell

    static let navigation: [(String, String)] = [
        ("/docs", "Quickstart"), ("/docs/api", "API reference"), ("/docs/webhooks", "Webhooks"), ("/docs/errors", "Error codes"),
        (TestingGuide.path, "Testing"), (LeakedKeysGuide.path, "Leaked keys"), ("/docs/changelog", "Changelog"),
    ]

    static func page(_ title: String, current: String, body: HTML) -> Response {
        let nav = navigation.map { path, label -> HTML in
            path == current ? "<li><a href=\"\(path)\" aria-current=\"page\">\(label)</a></li>" : "<li><a href=\"\(path)\">\(label)</a></li>"
        }
        let html = Layout.document(
            title: "\(title) — Portico docs",
            body: """
                <a class="skip" href="#main">Skip to content</a>
                <header class="top"><a class="brand" href="/docs">Portico docs</a>
                <form method="get" action="/docs/search" role="search" class="docs-search"><label for="docs-q" class="visually-hidden">Search the docs</label>
                <input id="docs-q" type="search" name="q" placeholder="Search the docs" maxlength="\(DocsSearch.maxQueryLength)"><button type="submit">Search</button></form>
                <a href="/dashboard">Dashboard</a></header>
                <div class="frame"><nav aria-label="Docs"><ul>\(nav)</ul></nav>
                <main id="main">\(body)</main></div>
                """
        )
        return WebPage.response(html)
    }
}
