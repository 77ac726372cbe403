import Foundation
import PorticoCore
import PorticoStore

/// One change between two dated API versions, written against the newer
/// shape: handlers only ever produce the latest shape, and a request pinned
/// to an older version has each newer change undone on its way out (and its
/// request body brought up on the way in), newest change first, as Stripe
/// does. A change names the `object` types it touches, so a response
/// without one is passed through unparsed.
protocol VersionChange: Sendable {
    /// One line for the changelog.
    var summary: String { get }
    /// `object` values (`"key_verification"`) whose representations this change alters.
    var objects: Set<String> { get }
    /// Whether `upgradeRequest` does anything (the request body is only read and re-encoded when some change needs it).
    var upgradesRequests: Bool { get }
    /// Brings a request body written for the previous version to this version's shape.
    func upgradeRequest(_ body: inout [String: JSONValue], route: String)
    /// Turns one object of this version's shape back into the previous version's.
    func downgrade(_ object: inout [String: JSONValue])
    /// The same for the OpenAPI document's schemas (`components.schemas`, by name), so each
    /// dated version has a document describing exactly its shapes.
    func downgradeSchemas(_ schemas: inout [String: JSONValue])
}

extension VersionChange {
    var upgradesRequests: Bool { false }
    func upgradeRequest(_ body: inout [String: JSONValue], route: String) {}
    func downgradeSchemas(_ schemas: inout [String: JSONValue]) {}
}

/// A dated version: the changes it introduced, and when it stops being served as is.
struct APIVersion: Sendable {
    let id: String
    let changes: [any VersionChange]
    /// When the version was deprecated and when it may be removed, as Unix milliseconds.
    let deprecatedAt: Int64?
    let sunsetAt: Int64?
    /// The `Deprecation` (RFC 9745) and `Sunset` (RFC 8594, an HTTP date) values, formatted once.
    let deprecationHeader: String?
    let sunsetHeader: String?

    init(id: String, changes: [any VersionChange], deprecatedAt: Int64? = nil, sunsetAt: Int64? = nil) {
        self.id = id
        self.changes = changes
        self.deprecatedAt = deprecatedAt
        self.sunsetAt = sunsetAt
        deprecationHeader = deprecatedAt.map { "@\($0 / 1_000)" }
        sunsetHeader = sunsetAt.map(Self.httpDate)
    }

    /// RFC 9110 IMF-fixdate.
    private static func httpDate(milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1_000))
    }
}

/// Every version Portico serves, oldest first. An organization is pinned to
/// the newest version when it is created; organizations from before
/// versioning existed are on the first one (the shape they always had).
enum APIVersions {
    static let all: [APIVersion] = [
        APIVersion(
            id: "2026-11-01",
            changes: [],
            deprecatedAt: CivilTime.milliseconds(year: 2026, month: 11, day: 22),
            sunsetAt: CivilTime.milliseconds(year: 2027, month: 5, day: 22)
        ),
        APIVersion(id: "2026-11-22", changes: [KeyVerificationOrganizationID()]),
    ]

    static var current: APIVersion { all[all.count - 1] }
    static var first: APIVersion { all[0] }

    static func named(_ id: String) -> APIVersion? { all.first { $0.id == id } }

    /// The changes to undo for a request on `version`: every change of a later version, newest first.
    static func changes(after version: String) -> [any VersionChange] {
        guard let index = all.firstIndex(where: { $0.id == version }) else { return [] }
        return all[(index + 1)...].reversed().flatMap { $0.changes.reversed() }
    }
}

// MARK: - Changes

/// 2026-11-22: `key_verification.organization` is now `organization_id`,
/// like every other reference to another object (`key_id`, `endpoint_id`).
struct KeyVerificationOrganizationID: VersionChange {
    let summary = "`key_verification.organization` is renamed `organization_id`, like every other reference (`key_id`, `endpoint_id`)."
    let objects: Set<String> = ["key_verification"]

    func downgrade(_ object: inout [String: JSONValue]) {
        object["organization"] = object.removeValue(forKey: "organization_id") ?? .null
    }

    func downgradeSchemas(_ schemas: inout [String: JSONValue]) {
        guard case .object(var schema)? = schemas["KeyVerification"] else { return }
        if case .object(var properties)? = schema["properties"] {
            properties["organization"] = properties.removeValue(forKey: "organization_id")
            schema["properties"] = .object(properties)
        }
        if case .array(let required)? = schema["required"] {
            let names = required.compactMap { name -> String? in
                guard case .string(let text) = name else { return nil }
                return text == "organization_id" ? "organization" : text
            }
            schema["required"] = .array(names.sorted().map { .string($0) })
        }
        schemas["KeyVerification"] = .object(schema)
    }
}
