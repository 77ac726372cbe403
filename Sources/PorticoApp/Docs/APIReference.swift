import Foundation
import PorticoCore

/// The API reference page, rendered from `OpenAPI.operations` and its
/// schemas, so the reference cannot drift from the document (or the
/// document from the routes: `OpenAPITests`). Every operation gets curl,
/// Python and JavaScript examples with a sample body built from its schema.
enum APIReference {
    /// The reference as of `version`: its response shapes (`OpenAPI.document(for:)`), what
    /// changed since, and links to the other versions and to its own openapi.json.
    static func html(baseURL: String, gateway: GatewayOpenAPI, version: APIVersion = APIVersions.current) -> HTML {
        let all = OpenAPI.operations + gateway.operations
        let tags = OpenAPI.tags + gateway.tags
        let schemas = Self.schemas(for: version)
        let sections = tags.map { tag, description -> HTML in
            let operations = all.filter { $0.tag == tag }
            return """
                <section aria-labelledby="\(anchor(tag))"><h2 id="\(anchor(tag))">\(tag)</h2><p>\(DocsController.inlineCode(description))</p>
                \(operations.map { operation($0, baseURL: baseURL, schemas: schemas) })</section>
                """
        }
        let index = tags.map { tag, _ -> HTML in "<li><a href=\"#\(anchor(tag))\">\(tag)</a></li>" }
        let isNewest = version.id == APIVersions.current.id
        let document = isNewest ? "/v1/openapi.json" : "/v1/openapi.json?version=\(version.id)"
        let versions = APIVersions.all.reversed().map { other -> HTML in
            let label = "\(other.id)\(other.id == APIVersions.current.id ? " (newest)" : other.deprecatedAt != nil ? " (deprecated)" : "")"
            let link = other.id == APIVersions.current.id ? "/docs/api" : "/docs/api?version=\(other.id)"
            return other.id == version.id
                ? "<li><a href=\"\(link)\" aria-current=\"page\">\(label)</a></li>" : "<li><a href=\"\(link)\">\(label)</a></li>"
        }
        let changes = APIVersions.changes(after: version.id)
        let differences: HTML =
            changes.isEmpty
            ? .empty
            : """
            <p class="notice" role="note">This is version \(version.id). Since then: \(changes.map { "\(DocsController.inlineCode($0.summary)) " as HTML })
            Requests use it when they send <code>Portico-Version: \(version.id)</code> or their organization is pinned to it.</p>
            """
        return """
            <h1>API reference</h1>
            <p>Every <code>/v1</code> operation, from <a href="\(document)">openapi.json</a> (OpenAPI 3.1, version \(version.id)).
            Replace <code>\(DocsController.placeholderKey)</code> with a test key.</p>
            <nav aria-label="API versions"><p>Versions:</p><ul class="inline-list">\(versions)</ul></nav>
            \(differences)
            <ul>\(index)</ul>
            \(sections)
            """
    }

    /// `components.schemas` as of `version`.
    static func schemas(for version: APIVersion) -> [String: JSONValue] {
        guard case .object(let schemas)? = OpenAPI.document(for: version)["components"]?["schemas"] else { return [:] }
        return schemas
    }

    /// The fields of what an operation answers with (each item's, for a list), from `schemas`.
    private static func responseFields(_ response: JSONValue, schemas: [String: JSONValue]) -> HTML {
        var caption = "Response fields"
        var schema = response
        if case .object(let properties)? = response["properties"], let items = properties["data"]?["items"] {
            caption = "Fields of each item in data"
            schema = items
        }
        if case .string(let reference)? = schema["$ref"], let name = reference.split(separator: "/").last {
            schema = schemas[String(name)] ?? schema
        }
        guard case .object(let properties)? = schema["properties"] else { return .empty }
        let rows = properties.sorted { $0.key < $1.key }.map { name, property -> HTML in
            "<tr><td><code>\(name)</code></td><td>\(DocsController.inlineCode(describe(property)))</td></tr>"
        }
        return """
            <details><summary>\(caption)</summary><table><caption>\(caption)</caption><thead><tr><th scope="col">Field</th><th scope="col">Type</th></tr></thead>\
            <tbody>\(rows)</tbody></table></details>
            """
    }

    private static func operation(_ operation: OpenAPI.Operation, baseURL: String, schemas: [String: JSONValue]) -> HTML {
        let method = operation.method.uppercased()
        let samplePath = operation.path.replacingOccurrences(of: "{id}", with: "ID").replacingOccurrences(of: "{request_id}", with: "REQUEST_ID")
        let parameters = operation.parameters.compactMap { parameter -> HTML? in
            guard case .string(let name)? = parameter["name"] else { return nil }
            return "<tr><td><code>\(name)</code></td><td>\(DocsController.inlineCode(describe(parameter["schema"] ?? .null)))</td></tr>"
        }
        let body = operation.body.map { sample($0) }
        let bodyJSON = body.map { compact($0) }
        let fields: HTML =
            operation.body.map { schema in
                guard case .object(let properties)? = schema["properties"] else { return .empty }
                let required = requiredNames(schema)
                let rows = properties.sorted { $0.key < $1.key }.map { name, property -> HTML in
                    "<tr><td><code>\(name)</code>\(required.contains(name) ? " (required)" : "")</td><td>\(DocsController.inlineCode(describe(property)))</td></tr>"
                }
                return
                    "<table><caption>Body (JSON)</caption><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Type</th></tr></thead><tbody>\(rows)</tbody></table>"
            } ?? .empty
        let curlBody = bodyJSON.map { " \\\n  -H \"Content-Type: application/json\" \\\n  -d '\($0)'" } ?? ""
        let curlMethod = method == "GET" ? "" : " -X \(method)"
        let python = """
            import requests

            response = requests.\(operation.method)(
                "\(baseURL)\(samplePath)",
                headers={"Authorization": "Bearer \(DocsController.placeholderKey)"},\(bodyJSON.map { "\n    json=\(pythonLiteral($0))," } ?? "")
            )
            print(response.status_code, response.json())
            """
        let javascript = """
            const response = await fetch("\(baseURL)\(samplePath)", {
              method: "\(method)",
              headers: { Authorization: "Bearer \(DocsController.placeholderKey)"\(bodyJSON == nil ? "" : ", \"Content-Type\": \"application/json\"") },\(bodyJSON.map { "\n  body: JSON.stringify(\($0))," } ?? "")
            });
            console.log(response.status, await response.json());
            """
        return """
            <article aria-labelledby="\(operation.id)"><h3 id="\(operation.id)"><code>\(method) \(operation.path)</code> — \(DocsController.inlineCode(operation.summary))</h3>
            <p>\(operation.scopes.count == 1 ? "Scope" : "Scopes") \(operation.scopes.map { "<code>\($0)</code>" as HTML }). Answers \(operation.status) with \(operation.eventStream ? "a stream of server-sent events (text/event-stream)" : schemaName(operation.response)); errors are problem documents.</p>
            \(operation.eventStream ? "<p>\(DocsController.inlineCode(Self.text(operation.response["description"])))</p>" as HTML : .empty)
            \(parameters.isEmpty ? .empty : "<table><caption>Parameters</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Type</th></tr></thead><tbody>\(parameters)</tbody></table>" as HTML)
            \(fields)
            \(operation.eventStream ? .empty : responseFields(operation.response, schemas: schemas))
            <details><summary>curl</summary><pre>curl\(operation.eventStream ? " -N" : "")\(curlMethod) \(baseURL)\(samplePath) \\
              -H "Authorization: Bearer \(DocsController.placeholderKey)"\(curlBody)</pre></details>
            \(operation.eventStream ? .empty : "<details><summary>Python</summary><pre>\(python)</pre></details>" as HTML)
            \(operation.eventStream ? .empty : "<details><summary>JavaScript</summary><pre>\(javascript)</pre></details>" as HTML)
            </article>
            """
    }

    private static func anchor(_ tag: String) -> String { tag.lowercased().replacingOccurrences(of: " ", with: "-") }

    private static func requiredNames(_ schema: JSONValue) -> Set<String> {
        guard case .array(let names)? = schema["required"] else { return [] }
        return Set(names.compactMap { if case .string(let name) = $0 { name } else { nil } })
    }

    /// "string (date-time) or null", "one of: a, b", "array of string", a schema's name.
    static func describe(_ schema: JSONValue) -> String {
        if case .string(let reference)? = schema["$ref"] { return String(reference.split(separator: "/").last ?? "") }
        if case .array(let options)? = schema["anyOf"] { return options.map(describe).joined(separator: " or ") }
        var text: String
        switch schema["type"] {
        case .string(let type)?: text = type
        case .array(let types)?: text = types.compactMap { if case .string(let type) = $0 { type } else { nil } }.joined(separator: " or ")
        default: text = "any"
        }
        if case .array(let values)? = schema["enum"] {
            text = "one of " + values.compactMap { if case .string(let value) = $0 { value } else { nil } }.joined(separator: ", ")
        }
        if case .string(let format)? = schema["format"] { text += " (\(format))" }
        if let items = schema["items"] { text = "array of " + describe(items) }
        if case .string(let description)? = schema["description"] { text += " — " + description }
        return text
    }

    private static func schemaName(_ schema: JSONValue) -> String {
        if case .string(let reference)? = schema["$ref"] { return "a " + (reference.split(separator: "/").last.map(String.init) ?? "") }
        if schema["properties"]?["data"]?["items"] != nil { return "a list" }
        return "an object"
    }

    private static func text(_ value: JSONValue?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }

    /// A plausible body: the required fields (all fields when none is required), with sample values.
    static func sample(_ schema: JSONValue) -> JSONValue {
        guard case .object(let properties)? = schema["properties"] else { return [:] }
        let required = requiredNames(schema)
        var body: [String: JSONValue] = [:]
        for (name, property) in properties
        where required.isEmpty ? !["metadata", "allowed_ips", "expires_at", "status"].contains(name) : required.contains(name) {
            body[name] = sampleValue(name, property)
        }
        return .object(body)
    }

    private static func sampleValue(_ name: String, _ schema: JSONValue) -> JSONValue {
        switch name {
        case "email": return "ada@example.com"
        case "name": return "Ada Lovelace"
        case "url": return "https://example.com/webhooks"
        case "enabled_events": return ["customer.created", "customer.updated"]
        case "type": return "order.shipped"
        case "data": return ["order": "ord_123"]
        case "key": return .string(DocsController.placeholderKey)
        case "scopes": return ["customers:read"]
        case "kind": return "restricted"
        case "seconds": return 3_600
        case "overlap_seconds": return 3_600
        case "since": return "2026-11-01T00:00:00Z"
        case "until": return "2026-11-22T00:00:00Z"
        default: break
        }
        if case .array(let values)? = schema["enum"], let first = values.first { return first }
        switch schema["type"] {
        case .string("integer")?: return 1
        case .string("boolean")?: return true
        default: return .string(name == "ip" ? "203.0.113.7" : "…")
        }
    }

    private static func compact(_ value: JSONValue) -> String {
        String(decoding: (try? JSONCoding.encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    /// JSON text as a Python literal (true/false/null spelled the Python way).
    private static func pythonLiteral(_ json: String) -> String {
        json.replacingOccurrences(of: ":true", with: ":True").replacingOccurrences(of: ":false", with: ":False").replacingOccurrences(
            of: ":null",
            with: ":None"
        )
    }
}
