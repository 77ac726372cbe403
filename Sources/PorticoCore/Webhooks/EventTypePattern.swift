/// An entry of an endpoint's `enabled_events`: an exact type
/// (`customer.created`), a prefix wildcard over whole segments (`customer.*`
/// matches `customer.created` and `customer.tax_id.updated`, not `customers.x`),
/// or `*` for everything.
package struct EventTypePattern: Sendable, Hashable, CustomStringConvertible {
    package let description: String

    /// Event types: lowercase dot-delimited segments of `a-z`, `0-9` and `_`, at most 100 bytes.
    package static func isValidType(_ type: String) -> Bool {
        guard (1...100).contains(type.utf8.count) else { return false }
        let segments = type.split(separator: ".", omittingEmptySubsequences: false)
        return segments.count >= 2
            && segments.allSatisfy { segment in
                !segment.isEmpty && segment.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
            }
    }

    package init?(_ text: String) {
        if text == "*" {
            description = text
            return
        }
        if text.hasSuffix(".*") {
            let prefix = String(text.dropLast(2))
            // `customer.*` needs a valid first segment; reuse the type rule with a placeholder last segment.
            guard Self.isValidType(prefix + ".x") || Self.isValidType(prefix) else { return nil }
            description = text
            return
        }
        guard Self.isValidType(text) else { return nil }
        description = text
    }

    package func matches(_ type: String) -> Bool {
        if description == "*" { return true }
        if description.hasSuffix(".*") { return type.hasPrefix(description.dropLast()) }
        return type == description
    }
}

extension Array where Element == EventTypePattern {
    package func matches(_ type: String) -> Bool { contains { $0.matches(type) } }
}
