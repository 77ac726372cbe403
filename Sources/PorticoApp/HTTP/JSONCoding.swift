import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore

/// JSON responses in the one style of the API (`CanonicalJSON`).
enum JSONCoding {
    static let encoder = CanonicalJSON.encoder

    /// A JSON response from an `Encodable` value.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        response(body: try body(value), status: status)
    }

    /// A value's JSON as a buffer, ready to send or to cache.
    static func body(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(bytes: try encoder.encode(value))
    }

    /// A JSON response from already-encoded bytes.
    static func response(body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
}

/// `{"object":"list","data":[…],"has_more":…}`, the shape of every list.
struct ListEnvelope<Item: Encodable>: Encodable {
    let object = "list"
    var data: [Item]
    var hasMore: Bool
    var url: String

    enum CodingKeys: String, CodingKey {
        case object, data, url
        case hasMore = "has_more"
    }
}

/// An optional property that encodes as an explicit `null` when absent
/// (synthesized `Encodable` would leave the key out). The API's objects
/// always carry every field, as Stripe's do.
@propertyWrapper
struct NullEncoded<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension NullEncoded: Sendable where Value: Sendable {}
