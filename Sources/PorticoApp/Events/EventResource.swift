import Foundation
import NIOCore
import PorticoCore
import PorticoStore

/// The public JSON shape of an event, also the body of every webhook delivery:
///
///     {"created_at":"…","data":{…},"id":"evt_…","livemode":false,"object":"event","request_id":"req_…","type":"customer.created"}
///
/// Events Portico emits for a resource carry `data.object` (the resource as
/// the API shows it) and, for `*.updated`, `data.previous_attributes`;
/// events posted with `POST /v1/events` carry the `data` object as sent.
struct EventResource: Encodable, Sendable {
    var id: String
    let object = "event"
    var type: String
    var data: JSONValue
    var livemode: Bool
    @NullEncoded var requestID: String?
    var createdAt: String

    init(_ record: EventRecord) {
        id = record.id
        type = record.type
        data = (try? JSONDecoder().decode(JSONValue.self, from: Data(record.data.utf8))) ?? .object([:])
        livemode = record.livemode
        requestID = record.requestId
        createdAt = RFC3339.string(milliseconds: record.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, object, type, data, livemode
        case requestID = "request_id"
        case createdAt = "created_at"
    }
}

extension EventResource {
    /// The event's JSON, composed around the stored `data` text without
    /// decoding it: the same bytes `GET /v1/events/{id}` sends (keys sorted,
    /// compact), made cheaply for every delivery attempt. Every other field
    /// is Portico-made ASCII that needs no escaping (ids, validated types,
    /// RFC 3339 times).
    static func body(_ record: EventRecord) -> ByteBuffer {
        var text = #"{"created_at":""# + RFC3339.string(milliseconds: record.createdAt) + #"","data":"#
        text += record.data
        text += #","id":""# + record.id + #"","livemode":"# + (record.livemode ? "true" : "false")
        text += #","object":"event","request_id":"# + (record.requestId.map { "\"\($0)\"" } ?? "null")
        text += #","type":""# + record.type + #""}"#
        return ByteBuffer(string: text)
    }
}

/// Builds the events Portico itself emits.
enum Events {
    /// Namespaces only Portico emits; `POST /v1/events` refuses them so a
    /// receiver can trust that a `customer.deleted` really happened.
    static let reservedPrefixes = ["customer.", "webhook_delivery.", "webhook_endpoint.", "api_key.", "usage.", "portico."]

    static func isReserved(_ type: String) -> Bool { reservedPrefixes.contains { type.hasPrefix($0) } }

    /// An event whose `data.object` is `resource` (as the API renders it) and,
    /// when given, `data.previous_attributes`.
    static func make(
        _ type: String,
        about resource: some Encodable,
        previous: [String: JSONValue]? = nil,
        scope: TenantScope,
        requestID: String?,
        at now: Int64
    ) throws -> EventRecord {
        var data = #"{"object":"# + String(decoding: try JSONCoding.encoder.encode(resource), as: UTF8.self)
        if let previous {
            data += #","previous_attributes":"# + String(decoding: try JSONCoding.encoder.encode(previous), as: UTF8.self)
        }
        data += "}"
        return EventRecord(id: Identifier.make("evt", at: now), scope: scope, type: type, data: data, requestId: requestID, createdAt: now)
    }

    /// The fields of `after` that differ from `before`, with their old values
    /// (`updated_at` aside); nil when nothing changed.
    static func previousAttributes(before: some Encodable, after: some Encodable) throws -> [String: JSONValue]? {
        guard case .object(let old) = try JSONValue.encoding(before), case .object(let new) = try JSONValue.encoding(after) else { return nil }
        var changed: [String: JSONValue] = [:]
        for (key, value) in old where key != "updated_at" && new[key] != value { changed[key] = value }
        return changed.isEmpty ? nil : changed
    }
}

extension JSONValue {
    /// A value's JSON, as a `JSONValue`.
    static func encoding(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try JSONCoding.encoder.encode(value))
    }
}
