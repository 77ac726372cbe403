import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore

/// JSON responses in the one style of the API (`CanonicalJSON`).
enum JSONCoding {
    /// Foundation's encoder in that style: what `JSONWriter` reproduces, still used for JSON
    /// outside the API's responses (the docs' examples, the gateway's key set).
    static let encoder = CanonicalJSON.encoder

    /// A JSON response from a resource, written straight into the buffer that is sent.
    static func response(_ value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        response(body: JSONWriter.render(value, capacity: value.renderCapacity), status: status)
    }

    /// A JSON response from already-encoded bytes.
    static func response(body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
}

/// `{"object":"list","data":[…],"has_more":…}`, the shape of every list.
///
/// `data` is any collection of resources, so a page's records can be wrapped
/// lazily (`page.items.lazy.map(EventResource.init)`) instead of copied into a
/// second array.
struct ListEnvelope<Items: Collection>: JSONWritable where Items.Element: JSONWritable {
    var data: Items
    var hasMore: Bool
    var url: String

    /// Room for a page at once (about a kilobyte an item): growing the bytes
    /// by doubling copied a ten-item list four times over.
    var renderCapacity: Int { min(64 * 1_024, 256 + data.count * 1_024) }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("data")
            json.array(data) { $0.value($1) }
            json.field("has_more", hasMore)
            json.field("object", "list")
            json.field("url", url)
        }
    }
}
