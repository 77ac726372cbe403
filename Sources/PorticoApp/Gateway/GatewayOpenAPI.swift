import Foundation
import PorticoCore

/// The gateway's part of `/v1/openapi.json`, the API reference and the
/// quickstart: each route's operations, taken from its upstream's OpenAPI
/// document (`openapi`) where it has one, or described from the route alone
/// where it has none, with what Portico adds to every operation (its bearer
/// security scheme, problem responses, rate-limit and request-id headers,
/// the scopes the route needs).
struct GatewayOpenAPI: Sendable {
    /// Operations in route order, then by path and method.
    let operations: [OpenAPI.Operation]
    /// The upstreams' components, renamed where a name was already taken.
    let components: [String: [String: JSONValue]]
    /// Tags the operations use that Portico's document does not have.
    let tags: [(String, String)]

    static let defaultTag = "Your API"
    private static let methods = ["get", "put", "post", "delete", "options", "head", "patch"]
    private static let componentSections = ["schemas", "parameters", "responses", "requestBodies", "headers", "examples"]

    /// No gateway routes: nothing to add (and Portico's own document is not built for it).
    static let none = GatewayOpenAPI()

    private init() {
        operations = []
        components = [:]
        tags = []
    }

    init(routes: [GatewayRoute]) {
        var operations: [OpenAPI.Operation] = []
        // Portico's own components, so an upstream's name that clashes with one is renamed.
        let own = Self.porticoComponents
        var components = own
        var tags: [(String, String)] = []
        var seenIDs = Set(OpenAPI.operations.map(\.id))
        for route in routes {
            var found: [OpenAPI.Operation]
            var routeTags: [(String, String)] = []
            if let document = route.openapi {
                let renamed = Self.merge(components: document, of: route, into: &components)
                found = Self.operations(in: renamed, of: route)
                if case .array(let declared)? = renamed["tags"] {
                    routeTags = declared.compactMap { tag in
                        guard case .string(let name)? = tag["name"] else { return nil }
                        if case .string(let description)? = tag["description"] { return (name, description) }
                        return (name, "")
                    }
                }
            } else {
                found = Self.described(route)
            }
            for index in found.indices {
                // Operation ids are unique in one document: a repeat gets the route's number.
                while !seenIDs.insert(found[index].id).inserted { found[index].id += "_route\(route.index)" }
            }
            for tag in Set(found.map(\.tag)) where !OpenAPI.tags.contains(where: { $0.0 == tag }) && !tags.contains(where: { $0.0 == tag }) {
                tags.append((tag, routeTags.first { $0.0 == tag }?.1 ?? "Served by the team's own API through Portico's gateway."))
            }
            operations += found
        }
        for (section, entries) in components { components[section] = entries.filter { own[section]?[$0.key] == nil } }
        self.operations = operations
        self.components = components.filter { !$0.value.isEmpty }
        self.tags = tags
    }

    /// Portico's document (`base`: a dated version's) with the gateway's operations, components and tags added.
    func document(base: JSONValue = OpenAPI.document) -> JSONValue {
        guard case .object(var document) = base else { return base }
        guard !operations.isEmpty else { return base }
        var paths: [String: JSONValue] = [:]
        if case .object(let existing)? = document["paths"] { paths = existing }
        for operation in operations {
            guard case .object(var item) = paths[operation.path] ?? [:] else { continue }
            item[operation.method] = operation.json
            paths[operation.path] = .object(item)
        }
        document["paths"] = .object(paths)
        if case .array(let existing)? = document["tags"] {
            document["tags"] = .array(existing + tags.map { ["name": .string($0.0), "description": .string($0.1)] })
        }
        guard case .object(var allComponents)? = document["components"] else { return .object(document) }
        for (section, entries) in components {
            var merged: [String: JSONValue] = [:]
            if case .object(let existing)? = allComponents[section] { merged = existing }
            merged.merge(entries) { mine, _ in mine }
            allComponents[section] = .object(merged)
        }
        var headers: [String: JSONValue] = [:]
        if case .object(let existing)? = allComponents["headers"] { headers = existing }
        headers.merge(Self.porticoHeaders) { mine, _ in mine }
        allComponents["headers"] = .object(headers)
        document["components"] = .object(allComponents)
        return .object(document)
    }

    /// The components of Portico's own document, by section.
    private static let porticoComponents: [String: [String: JSONValue]] = {
        guard case .object(let sections)? = OpenAPI.document["components"] else { return [:] }
        return sections.reduce(into: [:]) { result, section in
            if case .object(let entries) = section.value { result[section.key] = entries }
        }
    }()

    /// The headers Portico adds to every gateway response.
    static let porticoHeaders: [String: JSONValue] = [
        "Request-Id": ["description": "The request's id (req_…), also sent to the upstream.", "schema": ["type": "string"]],
        "RateLimit": ["description": "Room left under each limit (IETF httpapi draft syntax).", "schema": ["type": "string"]],
        "RateLimit-Policy": ["description": "The limits that apply (IETF httpapi draft syntax).", "schema": ["type": "string"]],
        "Retry-After": ["description": "On a 429: seconds to wait.", "schema": ["type": "integer"]],
    ]

    /// An upstream operation as Portico serves it: its own description plus
    /// Portico's security, problem responses, headers and required scopes.
    static func augment(_ operation: JSONValue, method: String, route: GatewayRoute) -> JSONValue {
        guard case .object(var fields) = operation else { return operation }
        let scopes = route.scopes
        let needs = scopes.map { "`\($0)`" }.joined(separator: ", ")
        var description = ""
        if case .string(let own)? = fields["description"] { description = own + "\n\n" }
        fields["description"] = .string(description + "Through Portico's gateway; needs \(needs).")
        fields["security"] = [["bearerAuth": []]]
        fields["x-portico-scopes"] = .array(scopes.map { .string($0.name) })
        fields["x-portico-route"] = .string(route.template.text)
        var responses: [String: JSONValue] = [:]
        if case .object(let own)? = fields["responses"] { responses = own }
        for (status, response) in responses where status.hasPrefix("2") {
            guard case .object(var success) = response else { continue }
            var headers: [String: JSONValue] = [:]
            if case .object(let own)? = success["headers"] { headers = own }
            for name in ["Request-Id", "RateLimit", "RateLimit-Policy"] where headers[name] == nil {
                headers[name] = ["$ref": .string("#/components/headers/\(name)")]
            }
            success["headers"] = .object(headers)
            responses[status] = .object(success)
        }
        if responses["429"] == nil {
            responses["429"] = [
                "description": "A rate limit or quota refused the request (problem document).",
                "headers": ["Retry-After": ["$ref": "#/components/headers/Retry-After"]],
                "content": ["application/problem+json": ["schema": OpenAPI.ref("Problem")]],
            ]
        }
        if responses["default"] == nil { responses["default"] = ["$ref": "#/components/responses/Problem"] }
        fields["responses"] = .object(responses)
        if method == "post" {
            var parameters: [JSONValue] = []
            if case .array(let own)? = fields["parameters"] { parameters = own }
            if !parameters.contains(where: { $0["name"] == "Idempotency-Key" }) { parameters.append(OpenAPI.idempotencyKey) }
            fields["parameters"] = .array(parameters)
        }
        return .object(fields)
    }

    // MARK: Reading an upstream's document

    /// Adds the document's components (renamed on a clash) and returns the document with its references rewritten.
    private static func merge(components: JSONValue, of route: GatewayRoute, into merged: inout [String: [String: JSONValue]]) -> JSONValue {
        guard case .object(let own)? = components["components"] else { return components }
        var renames: [String: String] = [:]
        for section in componentSections {
            guard case .object(let entries)? = own[section] else { continue }
            for (name, value) in entries.sorted(by: { $0.key < $1.key }) {
                let existing = merged[section]?[name]
                if existing == nil || existing == value { continue }
                renames["#/components/\(section)/\(name)"] = "#/components/\(section)/Route\(route.index)\(name)"
            }
        }
        let rewritten = rewrite(components, renames)
        guard case .object(let renamedOwn)? = rewritten["components"] else { return rewritten }
        for section in componentSections {
            guard case .object(let entries)? = renamedOwn[section] else { continue }
            for (name, value) in entries {
                let reference = "#/components/\(section)/\(name)"
                let finalName = renames[reference].map { String($0.split(separator: "/").last ?? "") } ?? name
                merged[section, default: [:]][finalName] = value
            }
        }
        return rewritten
    }

    private static func rewrite(_ value: JSONValue, _ renames: [String: String]) -> JSONValue {
        guard !renames.isEmpty else { return value }
        switch value {
        case .object(let fields):
            return .object(
                fields.reduce(into: [:]) { result, field in
                    if field.key == "$ref", case .string(let target) = field.value, let renamed = renames[target] {
                        result[field.key] = .string(renamed)
                    } else {
                        result[field.key] = rewrite(field.value, renames)
                    }
                }
            )
        case .array(let items): return .array(items.map { rewrite($0, renames) })
        default: return value
        }
    }

    /// The document's operations that this route serves (path under its template, method it allows).
    private static func operations(in document: JSONValue, of route: GatewayRoute) -> [OpenAPI.Operation] {
        guard case .object(let paths)? = document["paths"] else { return [] }
        let allowed = Set(route.methods.map { $0.rawValue.lowercased() })
        var operations: [OpenAPI.Operation] = []
        for (upstreamPath, item) in paths.sorted(by: { $0.key < $1.key }) {
            let path = route.stripPrefix + (upstreamPath.hasPrefix("/") ? upstreamPath : "/" + upstreamPath)
            guard route.template.matches(path) else { continue }
            var shared: [JSONValue] = []
            if case .array(let parameters)? = item["parameters"] { shared = parameters }
            for method in methods where allowed.contains(method) {
                guard case .object(var fields)? = item[method] else { continue }
                if !shared.isEmpty {
                    var own: [JSONValue] = []
                    if case .array(let parameters)? = fields["parameters"] { own = parameters }
                    fields["parameters"] = .array(shared.filter { parameter in !own.contains { $0["name"] == parameter["name"] } } + own)
                }
                operations.append(operation(.object(fields), method: method, path: path, route: route))
            }
        }
        return operations
    }

    private static func operation(_ fields: JSONValue, method: String, path: String, route: GatewayRoute) -> OpenAPI.Operation {
        let generated = method + path.split(separator: "/").map { $0.filter { $0.isLetter || $0.isNumber }.capitalized }.joined()
        var id = generated
        if case .string(let own)? = fields["operationId"] { id = own }
        var tag = defaultTag
        if case .array(let tags)? = fields["tags"], case .string(let first)? = tags.first { tag = first }
        var summary = "\(method.uppercased()) \(path)"
        if case .string(let own)? = fields["summary"] { summary = own }
        var parameters: [JSONValue] = []
        if case .array(let own)? = fields["parameters"] { parameters = own }
        let body = fields["requestBody"]?["content"]?["application/json"]?["schema"]
        var status = "200"
        var response: JSONValue = [:]
        if case .object(let responses)? = fields["responses"], let success = responses.keys.sorted().first(where: { $0.hasPrefix("2") }) {
            status = success
            response = responses[success]?["content"]?["application/json"]?["schema"] ?? [:]
        }
        var operation = OpenAPI.Operation(
            method: method,
            path: path,
            id: id,
            tag: tag,
            summary: summary,
            scope: route.scopes[0],
            parameters: parameters,
            body: body,
            status: status,
            response: response
        )
        operation.gateway = OpenAPI.Operation.Gateway(document: fields, route: route)
        return operation
    }

    /// A route with no document, described from its configuration: each method on its path template.
    private static func described(_ route: GatewayRoute) -> [OpenAPI.Operation] {
        var path = route.template.text
        var parameters: [JSONValue] = route.template.segments.compactMap { segment in
            guard case .parameter(let name) = segment else { return nil }
            return OpenAPI.parameter(name, in: "path", OpenAPI.string(), required: true)
        }
        if route.template.isPrefix {
            path = String(path.dropLast(2)) + "/{path}"
            parameters.append(OpenAPI.parameter("path", in: "path", OpenAPI.string(description: "Any path below the route"), required: true))
        }
        return route.methods.map { method in
            let name = method.rawValue.lowercased()
            var fields: [String: JSONValue] = [
                "summary": .string("\(method.rawValue) \(route.template.text)"),
                "parameters": .array(parameters),
                "responses": ["200": ["description": "The upstream's answer, passed through unchanged."]],
            ]
            if ["post", "put", "patch"].contains(name) {
                fields["requestBody"] = ["content": ["application/json": ["schema": [:]]], "required": false]
            }
            return operation(.object(fields), method: name, path: path, route: route)
        }
    }
}
