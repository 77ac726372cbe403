import Foundation
import PorticoCore
import PorticoStore

/// The public JSON shape of a customer.
struct CustomerResource: JSONWritable, Sendable {
    var record: CustomerRecord

    init(_ record: CustomerRecord) {
        self.record = record
    }

    /// Every field is always present; absent values are `null`, as in Stripe.
    /// `metadata` is the stored JSON object, spliced as is.
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("created_at", time: record.createdAt)
            json.field("description", record.description)
            json.field("email", record.email)
            json.field("id", record.id)
            json.field("livemode", record.livemode)
            json.field("metadata", json: StoredMetadata.json(record.metadata))
            json.field("name", record.name)
            json.field("object", "customer")
            json.field("updated_at", time: record.updatedAt)
        }
    }
}

/// How a `metadata` map is kept in its TEXT column: a JSON object of
/// strings, written by `encode` in the API's JSON style, so a response can
/// splice it without parsing it.
enum StoredMetadata {
    static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static func encode(_ metadata: [String: String]) -> String {
        var json = JSONWriter(capacity: 256)
        json.value(metadata)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// The stored text as it goes into a response; a column never written (empty) is `{}`.
    static func json(_ text: String) -> String {
        text.isEmpty ? "{}" : text
    }
}

/// `{"id":…,"object":"customer","deleted":true}`, the answer to a delete.
struct DeletedResource: JSONWritable, Sendable {
    var id: String
    var object: String

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("deleted", true)
            json.field("id", id)
            json.field("object", object)
        }
    }
}
