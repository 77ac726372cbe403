import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore

extension HTTPField.Name {
    static let porticoVersion = Self("Portico-Version")!
    static let deprecation = Self("Deprecation")!
    static let sunset = Self("Sunset")!
    static let link = Self("Link")!
}

/// Picks the API version of each authenticated `/v1` request (the
/// `Portico-Version` header, else the organization's pin), echoes it, marks
/// a deprecated version with `Deprecation` and `Sunset` (RFC 9745, RFC 8594),
/// and runs the version changes between it and the newest version over the
/// request and response. A request on the newest version costs two header
/// writes; only older versions pay for parsing, and only for responses that
/// contain an object a change touches.
struct APIVersionMiddleware: RouterMiddleware {
    typealias Context = PorticoRequestContext
    let baseURL: BaseURL

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.facts.principal else { return try await next(request, context) }
        let version: APIVersion
        if let requested = request.headers[.porticoVersion] {
            guard let named = APIVersions.named(requested) else {
                throw APIError(
                    .parameterInvalid,
                    "Portico-Version must be one of \(APIVersions.all.map(\.id).joined(separator: ", ")); see /docs/changelog.",
                    param: "Portico-Version"
                )
            }
            version = named
        } else {
            version = APIVersions.named(principal.apiVersion) ?? APIVersions.first
        }
        context.facts.apiVersion = version.id
        // A gateway route's shapes are its upstream's: the version is forwarded, not applied.
        let changes = context.facts.gateway == nil ? APIVersions.changes(after: version.id) : []
        var request = request
        if changes.contains(where: \.upgradesRequests) { try await upgrade(&request, context: context, changes: changes) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch var error as APIError {
            stamp(&error.headers, version)
            throw error
        }
        stamp(&response.headers, version)
        if !changes.isEmpty, response.headers[.contentType]?.hasPrefix("application/json") == true {
            try await downgrade(&response, changes: changes)
        }
        return response
    }

    private func stamp(_ headers: inout HTTPFields, _ version: APIVersion) {
        headers[.porticoVersion] = version.id
        if let deprecation = version.deprecationHeader {
            headers[.deprecation] = deprecation
            headers[.link] = "<\(baseURL.value)/docs/changelog>; rel=\"deprecation\"; type=\"text/html\""
        }
        if let sunset = version.sunsetHeader { headers[.sunset] = sunset }
    }

    private func upgrade(_ request: inout Request, context: Context, changes: [any VersionChange]) async throws {
        let buffer = try await RequestBody.collect(&request, context: context)
        request.body = .init(buffer: buffer)
        guard buffer.readableBytes > 0, case .object(var fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer)) else {
            return
        }
        let route = "\(request.method.rawValue) \(request.uri.path)"
        for change in changes.reversed() where change.upgradesRequests { change.upgradeRequest(&fields, route: route) }
        request.body = .init(buffer: JSONWriter.render(JSONValue.object(fields)))
    }

    private func downgrade(_ response: inout Response, changes: [any VersionChange]) async throws {
        guard let body = Self.downgraded(try await response.collectBody(), changes: changes) else { return }
        response.body = .init(byteBuffer: body)
        if response.headers[.contentLength] != nil { response.headers[.contentLength] = String(body.readableBytes) }
    }

    /// A JSON body with `changes` undone, or nil when none touches an object in it (the body goes out as is).
    static func downgraded(_ buffer: ByteBuffer, changes: [any VersionChange]) -> ByteBuffer? {
        let text = String(buffer: buffer)
        let relevant = changes.filter { change in change.objects.contains { text.contains("\"object\":\"\($0)\"") } }
        guard !relevant.isEmpty, var value = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer)) else { return nil }
        for change in relevant { apply(change, to: &value) }
        return JSONWriter.render(value)
    }

    /// Downgrades every object the change touches, wherever it is nested (a list's `data`, an event's `data.object`).
    static func apply(_ change: any VersionChange, to value: inout JSONValue) {
        switch value {
        case .object(var fields):
            for (key, child) in fields {
                var child = child
                apply(change, to: &child)
                fields[key] = child
            }
            if case .string(let type)? = fields["object"], change.objects.contains(type) { change.downgrade(&fields) }
            value = .object(fields)
        case .array(var items):
            for index in items.indices { apply(change, to: &items[index]) }
            value = .array(items)
        default: break
        }
    }
}
