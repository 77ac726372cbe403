import Foundation

/// The one JSON style Portico writes: compact, keys sorted (so responses are
/// byte-stable, which idempotent replay and caches rely on), no escaped slashes.
package enum CanonicalJSON {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
