import PorticoCore

/// Readers of structured settings (`plans`, `gateway`, `rate_limits.routes`):
/// each names the setting at fault in its error, as every config error does.
enum ConfigFields {
    /// An object's fields; with `allowed`, any other field is an error naming it.
    static func object(_ value: JSONValue, _ name: String, allowed: Set<String>?) throws -> [String: JSONValue] {
        guard case .object(let fields) = value else { throw ConfigError(description: "setting \"\(name)\" must be an object") }
        if let allowed, let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ConfigError(description: "unknown setting \"\(name).\(unknown)\"")
        }
        return fields
    }

    static func string(_ value: JSONValue, _ name: String) throws -> String {
        guard case .string(let text) = value, !text.isEmpty else {
            throw ConfigError(description: "setting \"\(name)\" must be a non-empty string")
        }
        return text
    }
}
