import Foundation
import HTTPTypes
import Hummingbird
import PorticoCore
import PorticoStore

/// `/v1/customers`, the sample business resource.
///
///     POST   /v1/customers          customers:write
///     GET    /v1/customers          customers:read   (limit, starting_after, ending_before, email)
///     GET    /v1/customers/{id}     customers:read
///     PATCH  /v1/customers/{id}     customers:write
///     DELETE /v1/customers/{id}     customers:write
///
/// Every query is scoped by the key's organization and mode, so another
/// tenant's id is indistinguishable from an unknown one.
struct CustomersController: Sendable {
    typealias Context = PorticoRequestContext
    let store: any CustomerStore
    let clock: any PorticoClock
    let cache: RepresentationCache

    static let writableFields: Set<String> = ["name", "email", "description", "metadata"]

    func register(_ routes: APIRoutes) {
        routes.on(.post, "customers", scope: .customersWrite, handler: create)
        routes.on(.get, "customers", scope: .customersRead, query: .checkedByHandler, handler: list)
        routes.on(.get, "customers/:id", scope: .customersRead, handler: retrieve)
        routes.on(.patch, "customers/:id", scope: .customersWrite, handler: update)
        routes.on(.delete, "customers/:id", scope: .customersWrite, handler: delete)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let input = try CustomerInput(body: try await RequestBody.decode(request, context: context))
        let now = clock.nowMilliseconds
        var metadata: [String: String] = [:]
        input.metadata.apply(to: &metadata)
        let record = CustomerRecord(
            id: Identifier.make("cus", at: now),
            organizationId: scope.organizationId,
            livemode: scope.livemode,
            name: input.name.value(or: nil),
            email: input.email.value(or: nil),
            description: input.description.value(or: nil),
            metadata: StoredMetadata.encode(metadata),
            createdAt: now,
            updatedAt: now
        )
        let resource = CustomerResource(record)
        let event = Events.make("customer.created", about: resource, scope: scope, requestID: context.requestID, at: now)
        return try await context.respond { completion in
            try await store.insertCustomer(record, event: event, completing: completion)
        } render: { _ in
            resource
        }
    }

    @Sendable func retrieve(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        let key = RepresentationCache.Key(scope: scope, id: id)
        let (cached, generation) = cache.lookup(key)
        if let cached { return JSONCoding.response(body: cached) }
        guard let record = try await store.customer(id: id, scope: scope) else { throw APIError.notFound("customer", id: id) }
        let body = JSONWriter.render(CustomerResource(record))
        cache.insert(key, body, readAt: generation)
        return JSONCoding.response(body: body)
    }

    @Sendable func update(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        let input = try CustomerInput(body: try await RequestBody.decode(request, context: context))
        let now = clock.nowMilliseconds
        let updated = try await store.updateCustomer(id: id, scope: scope) { customer in
            input.name.apply(to: &customer.name)
            input.email.apply(to: &customer.email)
            input.description.apply(to: &customer.description)
            var metadata = StoredMetadata.decode(customer.metadata)
            input.metadata.apply(to: &metadata)
            customer.metadata = StoredMetadata.encode(metadata)
            customer.updatedAt = max(now, customer.createdAt)
        } event: { [requestID = context.requestID] before, after in
            let resource = CustomerResource(after)
            guard let previous = Events.previousAttributes(before: CustomerResource(before), after: resource) else { return nil }
            return Events.make("customer.updated", about: resource, previous: previous, scope: scope, requestID: requestID, at: now)
        }
        cache.invalidate(RepresentationCache.Key(scope: scope, id: id))
        guard let updated else { throw APIError.notFound("customer", id: id) }
        return JSONCoding.response(CustomerResource(updated))
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let id = try context.parameters.require("id")
        let now = clock.nowMilliseconds
        let deleted = try await store.deleteCustomer(id: id, scope: scope) { [requestID = context.requestID] customer in
            Events.make("customer.deleted", about: CustomerResource(customer), scope: scope, requestID: requestID, at: now)
        }
        cache.invalidate(RepresentationCache.Key(scope: scope, id: id))
        guard deleted else { throw APIError.notFound("customer", id: id) }
        return JSONCoding.response(DeletedResource(id: id, object: "customer"))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let scope = try context.requirePrincipal().tenant
        let query = try ListQuery(request.uri, extra: ["email"])
        let page = try await store.customers(scope: scope, email: query.extra["email"], page: query.page)
        return JSONCoding.response(
            ListEnvelope(data: page.items.lazy.map(CustomerResource.init), hasMore: page.hasMore, url: "/v1/customers")
        )
    }
}

/// The validated fields of a create or update body.
struct CustomerInput: Sendable {
    var name: RequestBody.Update<String>
    var email: RequestBody.Update<String>
    var description: RequestBody.Update<String>
    var metadata: RequestBody.Update<[String: String?]>

    /// Fields a client may never set, refused with a message that says so.
    static let serverOwnedFields: Set<String> = ["id", "object", "livemode", "organization", "organization_id", "created_at", "updated_at"]

    init(body: RequestBody) throws {
        if let owned = body.fields.keys.sorted().first(where: Self.serverOwnedFields.contains) {
            throw APIError(.parameterUnknown, "'\(owned)' is set by Portico and cannot be provided.", param: owned)
        }
        try body.allowOnly(CustomersController.writableFields)
        name = try body.string("name", maxLength: 256)
        email = try body.string("email", maxLength: 512, validate: EmailAddress.isPlausible, expected: "an email address")
        description = try body.string("description", maxLength: 1_000)
        metadata = try body.metadata("metadata")
    }
}

extension RequestBody.Update {
    func value(or fallback: Value?) -> Value? {
        switch self {
        case .absent, .clear: fallback
        case .set(let value): value
        }
    }

    func apply(to target: inout Value?) {
        switch self {
        case .absent: break
        case .clear: target = nil
        case .set(let value): target = value
        }
    }
}

extension RequestBody.Update where Value == [String: String?] {
    /// Merges a metadata update: null clears all, a null value removes one key.
    func apply(to metadata: inout [String: String]) {
        switch self {
        case .absent: break
        case .clear: metadata = [:]
        case .set(let changes):
            for (key, value) in changes { metadata[key] = value }
        }
    }
}
