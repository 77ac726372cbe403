import HTTPTypes
import Hummingbird
import NIOCore

/// `/docs` and `/docs/errors/<code>`: the pages a problem's `type` links to.
struct DocsController: Sendable {
    typealias Context = PorticoRequestContext

    func register(on router: Router<Context>) {
        router.get("docs") { _, _ in
            let items = ErrorCode.allCases.map { code in
                "<li><a href=\"/docs/errors/\(code.rawValue)\"><code>\(code.rawValue)</code></a> — \(HTML.escape(code.title))</li>"
            }
            return Self.page(title: "Portico docs", body: "<h1>Portico docs</h1><h2>Error codes</h2><ul>\(items.joined())</ul>")
        }
        router.get("docs/errors/:code") { _, context in
            let raw = try context.parameters.require("code")
            guard let code = ErrorCode(rawValue: raw) else {
                throw APIError(.routeNotFound, "There is no error code '\(raw)'.")
            }
            return Self.page(
                title: "\(code.rawValue) — Portico errors",
                body: """
                    <p><a href="/docs">Docs</a></p>
                    <h1><code>\(code.rawValue)</code></h1>
                    <p><strong>HTTP \(code.status.code) — \(HTML.escape(code.title))</strong></p>
                    <p>\(HTML.escape(code.explanation))</p>
                    """)
        }
    }

    static func page(title: String, body: String) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"></head>
            <body>\(body)</body></html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
