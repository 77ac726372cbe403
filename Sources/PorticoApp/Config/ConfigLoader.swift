import Foundation

/// A setting that could not be accepted; start-up stops with this message.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

/// Builds a `PorticoConfig` from defaults, then a JSON file, then `PORTICO_*`
/// environment variables (later wins). Unknown or invalid settings are errors
/// that name the setting: a typo must never be silently ignored.
public enum ConfigLoader {
    public static func load(file: String?, environment: [String: String]) throws -> PorticoConfig {
        var config = PorticoConfig()
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigError(description: "cannot read config file \(file)")
            }
            try apply(json: data, source: file, to: &config)
        }
        try apply(environment: environment, to: &config)
        return config
    }

    static func apply(json data: Data, source: String, to config: inout PorticoConfig) throws {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigError(description: "\(source) is not valid JSON")
        }
        guard case .object(let sections) = root else {
            throw ConfigError(description: "\(source) must hold a JSON object of sections")
        }
        for (section, value) in sections.sorted(by: { $0.key < $1.key }) {
            guard Setting.sections.contains(section) else {
                throw ConfigError(description: "unknown config section \"\(section)\" in \(source)")
            }
            guard case .object(let entries) = value else {
                throw ConfigError(description: "config section \"\(section)\" must be an object")
            }
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
                let name = "\(section).\(key)"
                guard let setting = Setting.byName[name] else {
                    throw ConfigError(description: "unknown setting \"\(name)\" in \(source)")
                }
                try setting.apply(.json(value), &config)
            }
        }
    }

    static func apply(environment: [String: String], to config: inout PorticoConfig) throws {
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("PORTICO_") {
            if variable == "PORTICO_CONFIG" { continue }
            guard let setting = Setting.byEnvironmentName[variable] else {
                throw ConfigError(description: "unknown setting in environment variable \(variable)")
            }
            try setting.apply(.environment(value), &config)
        }
    }

    /// Every setting's dotted name, in `config.example.json` order.
    public static var settingNames: [String] { Setting.all.map(\.name) }
}

/// One configurable value: its name, how to parse it and where it goes.
struct Setting: Sendable {
    enum Input {
        case json(JSONValue)
        case environment(String)
    }

    let name: String
    let apply: @Sendable (Input, inout PorticoConfig) throws -> Void

    var environmentName: String {
        "PORTICO_" + name.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    static let all: [Setting] = [
        string("server.host", \.server.host),
        integer("server.port", \.server.port, 0...65_535),
        optionalString("server.public_url", \.server.publicURL, valid: { $0.hasPrefix("http://") || $0.hasPrefix("https://") }),
        integer("server.max_body_bytes", \.server.maxBodyBytes, 1_024...104_857_600),
        integer("server.shutdown_grace_seconds", \.server.shutdownGraceSeconds, 0...600),
        integer("server.representation_cache_entries", \.server.representationCacheEntries, 0...10_000_000),
        string("database.path", \.database.path),
        choice("database.synchronous", \.database.synchronous, ["normal", "full"]),
        integer("database.busy_timeout_ms", \.database.busyTimeoutMs, 0...600_000),
        integer("database.readers", \.database.readers, 1...64),
        integer("keys.cache_refresh_ms", \.keys.cacheRefreshMs, 50...600_000),
        integer("keys.last_used_flush_ms", \.keys.lastUsedFlushMs, 100...3_600_000),
        integer("keys.default_roll_overlap_hours", \.keys.defaultRollOverlapHours, 0...720),
        integer("idempotency.ttl_hours", \.idempotency.ttlHours, 1...720),
        integer("idempotency.prune_interval_seconds", \.idempotency.pruneIntervalSeconds, 1...86_400),
        integer("accounts.password_hash_cost", \.accounts.passwordHashCost, 10...20),
        choice("logging.level", \.logging.level, ["trace", "debug", "info", "notice", "warning", "error", "critical"]),
        choice("logging.format", \.logging.format, ["json", "text"]),
    ]

    static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    static let byEnvironmentName = Dictionary(uniqueKeysWithValues: all.map { ($0.environmentName, $0) })
    static let sections = Set(all.map { String($0.name.split(separator: ".")[0]) })

    // MARK: Kinds of setting

    static func integer(_ name: String, _ path: any WritableKeyPath<PorticoConfig, Int> & Sendable, _ range: ClosedRange<Int>) -> Setting {
        Setting(name: name) { input, config in
            let value: Int?
            switch input {
            case .json(let json): value = json.integer
            case .environment(let text): value = Int(text.trimmingCharacters(in: .whitespaces))
            }
            guard let value, range.contains(value) else {
                throw ConfigError(description: "setting \"\(name)\" must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            config[keyPath: path] = value
        }
    }

    static func string(_ name: String, _ path: any WritableKeyPath<PorticoConfig, String> & Sendable) -> Setting {
        Setting(name: name) { input, config in
            config[keyPath: path] = try text(input, name)
        }
    }

    static func optionalString(
        _ name: String, _ path: any WritableKeyPath<PorticoConfig, String?> & Sendable, valid: @escaping @Sendable (String) -> Bool
    ) -> Setting {
        Setting(name: name) { input, config in
            if case .json(.null) = input {
                config[keyPath: path] = nil
                return
            }
            let value = try text(input, name)
            guard valid(value) else { throw ConfigError(description: "setting \"\(name)\" has an invalid value \"\(value)\"") }
            config[keyPath: path] = value
        }
    }

    static func choice(_ name: String, _ path: any WritableKeyPath<PorticoConfig, String> & Sendable, _ choices: [String]) -> Setting {
        Setting(name: name) { input, config in
            let value = try text(input, name).lowercased()
            guard choices.contains(value) else {
                throw ConfigError(description: "setting \"\(name)\" must be one of \(choices.joined(separator: ", ")); got \"\(value)\"")
            }
            config[keyPath: path] = value
        }
    }

    private static func text(_ input: Input, _ name: String) throws -> String {
        switch input {
        case .environment(let text) where !text.isEmpty: return text
        case .json(.string(let text)) where !text.isEmpty: return text
        default: throw ConfigError(description: "setting \"\(name)\" must be a non-empty string")
        }
    }
}
