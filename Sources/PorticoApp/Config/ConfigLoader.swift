import Foundation
import PorticoCore
import PorticoPostgres

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
        try validate(config)
        // `sqlite:PATH` is `database.path` said the other way: every file beside the database follows it.
        if case .sqlite(let path) = try config.databaseEngine { config.database.path = path }
        return config
    }

    /// A file holding only the gateway (`portico sandbox --gateway-config`):
    /// `{"gateway": {...}}`, or the section itself.
    public static func loadGateway(file: String, serverMaxBodyBytes: Int) throws -> GatewayConfig {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(description: "cannot read gateway config file \(file)")
        }
        guard let root = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let fields) = root else {
            throw ConfigError(description: "\(file) must hold a JSON object: {\"gateway\": {...}} or the gateway section itself")
        }
        let gateway = try GatewaySettings.parse(fields["gateway"] ?? root)
        _ = try GatewayDefinition(gateway, serverMaxBodyBytes: serverMaxBodyBytes)
        return gateway
    }

    /// The one place the SMTP password comes from.
    static let mailPasswordVariable = "PORTICO_MAIL_SMTP_PASSWORD"

    /// Checks that need more than one setting.
    static func validate(_ config: PorticoConfig) throws {
        if config.retention.deliveriesDays > config.retention.eventsDays {
            throw ConfigError(
                description:
                    "setting \"retention.deliveries_days\" (\(config.retention.deliveriesDays)) cannot exceed \"retention.events_days\" (\(config.retention.eventsDays)): deliveries go with their event"
            )
        }
        let engine: DatabaseEngine
        do {
            engine = try config.databaseEngine
        } catch let error as PostgresURL.ParseError {
            throw ConfigError(description: "setting \"database.url\": \(error.description)")
        }
        if case .postgres = engine, config.secrets.keyFile == nil {
            throw ConfigError(
                description:
                    "setting \"secrets.key_file\" is required with PostgreSQL: every instance must seal and open webhook secrets with the same key file"
            )
        }
        if (config.server.tlsCertificate == nil) != (config.server.tlsKey == nil) {
            throw ConfigError(
                description: "settings \"server.tls_certificate\" and \"server.tls_key\" go together: set both to serve HTTPS, or neither"
            )
        }
        guard MailAddress(config.mail.from) != nil else {
            throw ConfigError(description: "setting \"mail.from\" must be a plain email address; got \"\(config.mail.from)\"")
        }
        if config.mail.smtpUsername != nil, config.mail.smtpSecurity == "none" {
            throw ConfigError(
                description: "setting \"mail.smtp_username\" needs \"mail.smtp_security\" starttls or tls: credentials are never sent in the clear"
            )
        }
        guard config.plans[config.billing.defaultPlan] != nil else {
            throw ConfigError(
                description: "setting \"billing.default_plan\" names plan \"\(config.billing.defaultPlan)\", which is not defined in \"plans\""
            )
        }
        if let block = config.webhooks.allowedCidrs.first(where: { CIDR($0) == nil }) {
            throw ConfigError(description: "setting \"webhooks.allowed_cidrs\" has an invalid CIDR block \"\(block)\"")
        }
        if let route = config.rateLimits.routes.keys.sorted().first(where: { RouteLimitKey(route: $0) == nil }) {
            throw ConfigError(description: "setting \"rate_limits.routes\" has an invalid route \"\(route)\"; write it as \"METHOD /v1/path\"")
        }
        _ = try GatewayDefinition(config.gateway, serverMaxBodyBytes: config.server.maxBodyBytes)
        for (id, plan) in config.plans.sorted(by: { $0.key < $1.key }) {
            for (mode, limits) in [("live", plan.live), ("test", plan.test)] {
                if let metric = limits.metricQuotas.keys.sorted().first(where: { config.gateway.metrics[$0] == nil }) {
                    throw ConfigError(
                        description: "setting \"plans.\(id).\(mode).metric_quotas\" names \"\(metric)\", which is not declared in \"gateway.metrics\""
                    )
                }
            }
        }
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
            if section == "plans" {
                try PlanSettings.apply(value, source: source, to: &config.plans)
                continue
            }
            if section == "gateway" {
                config.gateway = try GatewaySettings.parse(value)
                continue
            }
            guard Setting.sections.contains(section) else {
                if case .object(let entries) = value,
                    let name = entries.keys.map({ "\(section).\($0)" }).sorted().first(where: { retired[$0] != nil })
                {
                    throw retiredError(name)
                }
                throw ConfigError(description: "unknown config section \"\(section)\" in \(source)")
            }
            guard case .object(let entries) = value else {
                throw ConfigError(description: "config section \"\(section)\" must be an object")
            }
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
                let name = "\(section).\(key)"
                if name == "mail.smtp_password" {
                    throw ConfigError(
                        description: "the SMTP password is read only from the environment (\(Self.mailPasswordVariable)), not from \(source)"
                    )
                }
                guard let setting = Setting.byName[name] else {
                    if retired[name] != nil { throw retiredError(name) }
                    throw ConfigError(description: "unknown setting \"\(name)\" in \(source)")
                }
                try setting.apply(.json(value), &config)
            }
        }
    }

    static func apply(environment: [String: String], to config: inout PorticoConfig) throws {
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("PORTICO_") {
            if variable == "PORTICO_CONFIG" { continue }
            if variable == PlanSettings.environmentName {
                try PlanSettings.apply(environmentJSON: value, to: &config.plans)
                continue
            }
            if variable == GatewaySettings.environmentName {
                try GatewaySettings.apply(environmentJSON: value, to: &config.gateway)
                continue
            }
            if variable == Self.mailPasswordVariable {
                config.mail.smtpPassword = value
                continue
            }
            guard let setting = Setting.byEnvironmentName[variable] else {
                if let name = retired.keys.first(where: { Setting.environmentName(of: $0) == variable }) { throw retiredError(name) }
                throw ConfigError(description: "unknown setting in environment variable \(variable)")
            }
            try setting.apply(.environment(value), &config)
        }
    }

    /// Settings that moved or went away, with what to do instead: an old config
    /// file stops the start with directions rather than a bare "unknown".
    static let retired: [String: String] = [
        "request_logs.retention_days": "it is now \"retention.request_logs_days\"",
        "events.retention_days": "it is now \"retention.events_days\"",
        "idempotency.prune_interval_seconds": "expired records are deleted by the daily retention job; remove it",
    ]

    private static func retiredError(_ name: String) -> ConfigError {
        ConfigError(description: "setting \"\(name)\" was retired: \(retired[name] ?? "remove it")")
    }

    /// Every setting's dotted name, in `config.example.json` order.
    public static var settingNames: [String] {
        Setting.all.map(\.name) + Plan.defaults.keys.sorted().map { "plans.\($0)" } + [
            "gateway.scopes", "gateway.metrics", "gateway.routes", "gateway.max_connections_per_upstream",
            "gateway.upstream_keepalive_seconds",
        ]
    }
}

/// One configurable value: its name, how to parse it and where it goes.
struct Setting: Sendable {
    enum Input {
        case json(JSONValue)
        case environment(String)
    }

    let name: String
    let apply: @Sendable (Input, inout PorticoConfig) throws -> Void

    var environmentName: String { Self.environmentName(of: name) }

    static func environmentName(of name: String) -> String {
        "PORTICO_" + name.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    static let all: [Setting] = [
        string("server.host", \.server.host),
        integer("server.port", \.server.port, 0...65_535),
        optionalString("server.public_url", \.server.publicURL, valid: { $0.hasPrefix("http://") || $0.hasPrefix("https://") }),
        integer("server.max_body_bytes", \.server.maxBodyBytes, 1_024...104_857_600),
        integer("server.shutdown_grace_seconds", \.server.shutdownGraceSeconds, 0...600),
        integer("server.representation_cache_entries", \.server.representationCacheEntries, 0...10_000_000),
        integer("server.idle_timeout_seconds", \.server.idleTimeoutSeconds, 1...86_400),
        integer("server.request_head_timeout_seconds", \.server.requestHeadTimeoutSeconds, 1...3_600),
        integer("server.body_timeout_seconds", \.server.bodyTimeoutSeconds, 1...86_400),
        integer("server.max_connections", \.server.maxConnections, 0...1_000_000),
        optionalString("server.tls_certificate", \.server.tlsCertificate, valid: { !$0.isEmpty }),
        optionalString("server.tls_key", \.server.tlsKey, valid: { !$0.isEmpty }),
        optionalString("backup.directory", \.backup.directory, valid: { !$0.isEmpty }),
        integer("backup.every_hours", \.backup.everyHours, 1...8_760),
        integer("backup.keep", \.backup.keep, 1...1_000),
        string("database.path", \.database.path),
        optionalString("database.url", \.database.url, valid: { !$0.isEmpty }),
        integer("database.max_connections", \.database.maxConnections, 2...1_000),
        integer("database.timeout_seconds", \.database.timeoutSeconds, 1...3_600),
        optionalString("secrets.key_file", \.secrets.keyFile, valid: { !$0.isEmpty }),
        choice("database.synchronous", \.database.synchronous, ["normal", "full"]),
        integer("database.busy_timeout_ms", \.database.busyTimeoutMs, 0...600_000),
        integer("database.readers", \.database.readers, 1...64),
        integer("keys.cache_refresh_ms", \.keys.cacheRefreshMs, 50...600_000),
        integer("keys.last_used_flush_ms", \.keys.lastUsedFlushMs, 100...3_600_000),
        integer("keys.default_roll_overlap_hours", \.keys.defaultRollOverlapHours, 0...720),
        integer("idempotency.ttl_hours", \.idempotency.ttlHours, 1...720),
        integer("accounts.password_hash_cost", \.accounts.passwordHashCost, 10...20),
        choice("logging.level", \.logging.level, ["trace", "debug", "info", "notice", "warning", "error", "critical"]),
        choice("logging.format", \.logging.format, ["json", "text"]),
        choice("request_logs.partition_hours", \.requestLogs.partitionHours, [1, 2, 3, 4, 6, 8, 12, 24]),
        integer("request_logs.partitions_ahead", \.requestLogs.partitionsAhead, 1...48),
        integer("request_logs.batch_size", \.requestLogs.batchSize, 1...100_000),
        integer("request_logs.flush_interval_ms", \.requestLogs.flushIntervalMs, 10...60_000),
        integer("request_logs.queue_capacity", \.requestLogs.queueCapacity, 100...10_000_000),
        integer("request_logs.body_capture_max_bytes", \.requestLogs.bodyCaptureMaxBytes, 256...1_048_576),
        integer("request_logs.spill_reserve_bytes", \.requestLogs.spillReserveBytes, 0...1_073_741_824),
        stringList("request_logs.sensitive_fields", \.requestLogs.sensitiveFields),
        optionalString("mail.smtp_host", \.mail.smtpHost, valid: { !$0.isEmpty && !$0.contains(where: \.isWhitespace) }),
        integer("mail.smtp_port", \.mail.smtpPort, 1...65_535),
        choice("mail.smtp_security", \.mail.smtpSecurity, SMTPSettings.Security.allCases.map(\.rawValue)),
        optionalString("mail.smtp_username", \.mail.smtpUsername, valid: { !$0.isEmpty }),
        optionalString("mail.smtp_ca_file", \.mail.smtpCAFile, valid: { !$0.isEmpty }),
        string("mail.from", \.mail.from),
        integer("mail.timeout_seconds", \.mail.timeoutSeconds, 1...600),
        integer("mail.max_attempts", \.mail.maxAttempts, 1...50),
        integer("rate_limits.ip_per_second", \.rateLimits.ipPerSecond, 0...10_000_000),
        integer("rate_limits.ip_per_minute", \.rateLimits.ipPerMinute, 0...100_000_000),
        integer("rate_limits.max_tracked_buckets", \.rateLimits.maxTrackedBuckets, 1_000...100_000_000),
        Setting(name: "rate_limits.routes") { input, config in config.rateLimits.routes = try PlanSettings.routes(input) },
        string("billing.default_plan", \.billing.defaultPlan),
        integer("billing.invoice_check_interval_seconds", \.billing.invoiceCheckIntervalSeconds, 10...86_400),
        integer("retention.request_logs_days", \.retention.requestLogsDays, 1...3_650),
        integer("retention.events_days", \.retention.eventsDays, 1...3_650),
        integer("retention.deliveries_days", \.retention.deliveriesDays, 1...3_650),
        integer("retention.audit_days", \.retention.auditDays, 1...36_500),
        integer("retention.mail_days", \.retention.mailDays, 1...3_650),
        integer("webhooks.timeout_seconds", \.webhooks.timeoutSeconds, 1...120),
        integer("webhooks.lease_margin_seconds", \.webhooks.leaseMarginSeconds, 1...3_600),
        integer("webhooks.max_concurrency", \.webhooks.maxConcurrency, 1...10_000),
        integer("webhooks.per_endpoint_concurrency", \.webhooks.perEndpointConcurrency, 1...1_000),
        integer("webhooks.response_excerpt_bytes", \.webhooks.responseExcerptBytes, 0...65_536),
        integer("webhooks.auto_disable_after_hours", \.webhooks.autoDisableAfterHours, 1...8_760),
        stringList("webhooks.allowed_cidrs", \.webhooks.allowedCidrs),
        integer("webhooks.rotation_overlap_hours", \.webhooks.rotationOverlapHours, 0...720),
        integer("webhooks.max_endpoints", \.webhooks.maxEndpoints, 1...10_000),
        choice("dashboard.signup", \.dashboard.signup, ["closed", "invite", "open"]),
        integer("dashboard.session_idle_minutes", \.dashboard.sessionIdleMinutes, 1...1_440),
        integer("dashboard.session_absolute_hours", \.dashboard.sessionAbsoluteHours, 1...720),
        integer("dashboard.login_attempts", \.dashboard.loginAttempts, 1...1_000),
        integer("dashboard.login_window_minutes", \.dashboard.loginWindowMinutes, 1...1_440),
        integer("dashboard.invitation_ttl_hours", \.dashboard.invitationTTLHours, 1...720),
        integer("dashboard.log_search_rows", \.dashboard.logSearchRows, 10...10_000_000),
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

    static func choice(_ name: String, _ path: any WritableKeyPath<PorticoConfig, Int> & Sendable, _ choices: [Int]) -> Setting {
        Setting(name: name) { input, config in
            let value: Int?
            switch input {
            case .json(let json): value = json.integer
            case .environment(let text): value = Int(text.trimmingCharacters(in: .whitespaces))
            }
            guard let value, choices.contains(value) else {
                throw ConfigError(description: "setting \"\(name)\" must be one of \(choices.map(String.init).joined(separator: ", "))")
            }
            config[keyPath: path] = value
        }
    }

    /// A list of strings: a JSON array, or comma-separated in the environment.
    static func stringList(_ name: String, _ path: any WritableKeyPath<PorticoConfig, [String]> & Sendable) -> Setting {
        Setting(name: name) { input, config in
            let values: [String]?
            switch input {
            case .json(.array(let items)):
                values =
                    items.map { if case .string(let text) = $0 { text } else { nil } }.allSatisfy { $0 != nil }
                    ? items.compactMap { if case .string(let text) = $0 { text } else { nil } } : nil
            case .json: values = nil
            case .environment(let text):
                values = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            guard let values else { throw ConfigError(description: "setting \"\(name)\" must be a list of strings") }
            config[keyPath: path] = values
        }
    }

    static func string(_ name: String, _ path: any WritableKeyPath<PorticoConfig, String> & Sendable) -> Setting {
        Setting(name: name) { input, config in
            config[keyPath: path] = try text(input, name)
        }
    }

    static func optionalString(
        _ name: String,
        _ path: any WritableKeyPath<PorticoConfig, String?> & Sendable,
        valid: @escaping @Sendable (String) -> Bool
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

    static func text(_ input: Input, _ name: String) throws -> String {
        switch input {
        case .environment(let text) where !text.isEmpty: return text
        case .json(.string(let text)) where !text.isEmpty: return text
        default: throw ConfigError(description: "setting \"\(name)\" must be a non-empty string")
        }
    }
}
