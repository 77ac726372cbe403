import Foundation

/// The text rules of erasure every engine applies alike: what an erased JSON
/// value becomes, how an id or address is looked for inside JSON, and how a
/// logged path loses an id.
package enum ErasureText {
    /// What replaces a JSON value (event data, audit details) that held erased data.
    package static let erasedJSON = #"{"erased":true}"#

    /// `value` as a JSON string literal's text, quotes included.
    package static func quoted(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: (try? encoder.encode(value)) ?? Data("\"\(value)\"".utf8), as: UTF8.self)
    }

    /// `path` with every whole segment equal to `id` replaced by `[erased]`.
    package static func erasingSegment(_ id: String, in path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { $0 == id ? "[erased]" : String($0) }.joined(separator: "/")
    }
}
