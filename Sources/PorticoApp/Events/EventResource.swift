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
struct EventResource: JSONWritable, Sendable {
    var record: EventRecord

    init(_ record: EventRecord) {
        self.record = record
    }

    /// The stored `data` text is spliced as is: it was written in this style
    /// when the event was made, so neither a read nor a delivery attempt parses it.
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at", time: record.createdAt)
            json.field("data", json: record.data)
            json.field("id", record.id)
            json.field("livemode", record.livemode)
            json.field("object", "event")
            json.field("request_id", record.requestId)
            json.field("type", record.type)
        }
    }

    /// The event's JSON: the same bytes `GET /v1/events/{id}` sends, made for every delivery attempt.
    static func body(_ record: EventRecord) -> ByteBuffer {
        JSONWriter.render(EventResource(record), capacity: record.data.utf8.count + 256)
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
        about resource: some JSONWritable,
        previous: [String: JSONValue]? = nil,
        scope: TenantScope,
        requestID: String?,
        at now: Int64
    ) -> EventRecord {
        var json = JSONWriter()
        json.object { json in
            json.field("object", resource)
            if let previous {
                json.key("previous_attributes")
                json.value(JSONValue.object(previous))
            }
        }
        return EventRecord(
            id: Identifier.make("evt", at: now),
            scope: scope,
            type: type,
            data: String(decoding: json.bytes, as: UTF8.self),
            requestId: requestID,
            createdAt: now
        )
    }

    /// The fields of `after` that differ from `before`, with their old values
    /// (`updated_at` aside); nil when nothing changed.
    static func previousAttributes(before: some JSONWritable, after: some JSONWritable) -> [String: JSONValue]? {
        guard case .object(let old) = JSONValue.rendering(before), case .object(let new) = JSONValue.rendering(after) else { return nil }
        var changed: [String: JSONValue] = [:]
        for (key, value) in old where key != "updated_at" && new[key] != value { changed[key] = value }
        return changed.isEmpty ? nil : changed
    }
}

extension JSONValue {
    /// A resource's JSON, as a `JSONValue` (what an update changed).
    static func rendering(_ value: some JSONWritable) -> JSONValue {
        let buffer = JSONWriter.render(value)
        return (try? StrictJSONParser.parse(Array(buffer.readableBytesView))) ?? .null
    }
}
