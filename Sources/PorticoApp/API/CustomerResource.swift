import Foundation
import PorticoCore
import PorticoStore

/// The public JSON shape of a customer.
struct CustomerResource: Encodable, Sendable {
    var id: String
    var name: String?
    var email: String?
    var description: String?
    var metadata: [String: String]
    var livemode: Bool
    var createdAt: Int64
    var updatedAt: Int64

    init(_ record: CustomerRecord) {
        id = record.id
        name = record.name
        email = record.email
        description = record.description
        metadata = StoredMetadata.decode(record.metadata)
        livemode = record.livemode
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, object, name, email, description, metadata, livemode
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Every field is always present; absent values are `null`, as in Stripe.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode("customer", forKey: .object)
        try container.encode(name, forKey: .name)
        try container.encode(email, forKey: .email)
        try container.encode(description, forKey: .description)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(livemode, forKey: .livemode)
        try container.encode(RFC3339.string(milliseconds: createdAt), forKey: .createdAt)
        try container.encode(RFC3339.string(milliseconds: updatedAt), forKey: .updatedAt)
    }
}

/// How a `metadata` map is kept in its TEXT column: a JSON object of strings.
enum StoredMetadata {
    static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    static func encode(_ metadata: [String: String]) throws -> String {
        String(decoding: try JSONCoding.encoder.encode(metadata), as: UTF8.self)
    }
}

/// `{"id":…,"object":"customer","deleted":true}`, the answer to a delete.
struct DeletedResource: Encodable, Sendable {
    var id: String
    var object: String
    let deleted = true
}
