import Foundation
import PorticoCore
import Testing

@testable import PorticoApp

struct ConfigLoaderTests {
    static let exampleURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config.example.json")

    static func write(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-config-\(UUID().uuidString).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func exampleListsEverySettingWithItsDefault() throws {
        let config = try ConfigLoader.load(file: Self.exampleURL.path, environment: [:])
        #expect(config == PorticoConfig())
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.exampleURL)) as? [String: [String: Any]] ?? [:]
        let names = json.flatMap { section, entries in entries.keys.map { "\(section).\($0)" } }
        #expect(Set(names) == Set(ConfigLoader.settingNames))
    }

    @Test func environmentOverridesTheFile() throws {
        let path = try Self.write(#"{"server": {"port": 9000}, "database": {"synchronous": "full"}}"#)
        let config = try ConfigLoader.load(file: path, environment: ["PORTICO_SERVER_PORT": "9100", "PATH": "/bin"])
        #expect(config.server.port == 9100)
        #expect(config.database.synchronous == "full")
    }

    @Test(arguments: [
        (#"{"server": {"prot": 1}}"#, "server.prot"),
        (#"{"sever": {}}"#, "sever"),
        (#"{"server": {"port": 70000}}"#, "server.port"),
        (#"{"server": {"port": "80"}}"#, "server.port"),
        (#"{"database": {"synchronous": "off"}}"#, "database.synchronous"),
        (#"{"logging": {"level": "loud"}}"#, "logging.level"),
        (#"{"server": {"public_url": "ftp://x"}}"#, "server.public_url"),
        ("not json", "not valid JSON"),
        (#"{"events": {"retention_days": 3}}"#, "it is now \"retention.events_days\""),
        (#"{"request_logs": {"retention_days": 3}}"#, "it is now \"retention.request_logs_days\""),
        (#"{"idempotency": {"prune_interval_seconds": 60}}"#, "daily retention job"),
        (#"{"retention": {"deliveries_days": 40}}"#, "retention.deliveries_days"),
        (#"{"server": {"tls_certificate": "/etc/portico/tls.crt"}}"#, "server.tls_key"),
        (#"{"backup": {"every_hours": 0}}"#, "backup.every_hours"),
    ])
    func invalidOrUnknownSettingsAreNamed(json: String, name: String) throws {
        let path = try Self.write(json)
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: path, environment: [:]) }
        #expect(error?.description.contains(name) == true, "\(error?.description ?? "") does not name \(name)")
    }

    @Test func unknownOrInvalidEnvironmentVariablesAreNamed() {
        let unknown = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: nil, environment: ["PORTICO_SERVER_PROT": "1"]) }
        #expect(unknown?.description.contains("PORTICO_SERVER_PROT") == true)
        let invalid = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: nil, environment: ["PORTICO_DATABASE_READERS": "many"]) }
        #expect(invalid?.description.contains("database.readers") == true)
        let retired = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: nil, environment: ["PORTICO_EVENTS_RETENTION_DAYS": "3"]) }
        #expect(retired?.description.contains("retention.events_days") == true)
    }

    @Test func missingFileIsAnError() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(file: "/nonexistent/portico.json", environment: [:]) }
    }
}

struct PlanConfigTests {
    @Test func aPlanIsMergedOverItsDefaultFieldByField() throws {
        let path = try ConfigLoaderTests.write(
            #"{"plans": {"free": {"live": {"per_minute": 250}}, "tiny": {"name": "Tiny", "currency": "EUR", "base_price": 900, "overage_per_1000": null, "live": {"per_second": 1}, "test": {}}}}"#
        )
        let config = try ConfigLoader.load(file: path, environment: [:])
        #expect(config.plans["free"]?.live.perMinute == 250)
        #expect(config.plans["free"]?.live.dailyQuota == 1_000)
        #expect(config.plans["tiny"]?.currency == "eur" && config.plans["tiny"]?.live.perSecond == 1 && config.plans["tiny"]?.live.perMinute == nil)
        let env = try ConfigLoader.load(
            file: nil,
            environment: ["PORTICO_PLANS": #"{"growth": {"base_price": 1}}"#, "PORTICO_BILLING_DEFAULT_PLAN": "growth"]
        )
        #expect(env.plans["growth"]?.basePrice == 1 && env.billing.defaultPlan == "growth")
        let routes = try ConfigLoader.load(file: nil, environment: ["PORTICO_RATE_LIMITS_ROUTES": #"{"POST /v1/keys/verify": {"per_minute": 5}}"#])
        #expect(routes.rateLimits.routes["POST /v1/keys/verify"] == RouteLimit(perSecond: nil, perMinute: 5))
    }

    @Test(arguments: [
        (#"{"plans": {"free": {"live": {"per_minut": 1}}}}"#, "plans.free.live.per_minut"),
        (#"{"plans": {"new": {"name": "New"}}}"#, "new plan \"plans.new\""),
        (#"{"plans": {"free": {"base_price": -1}}}"#, "plans.free.base_price"),
        (#"{"billing": {"default_plan": "gold"}}"#, "billing.default_plan"),
        (#"{"rate_limits": {"routes": {"/v1/customers": {}}}}"#, "rate_limits.routes"),
        (#"{"request_logs": {"partition_hours": 5}}"#, "request_logs.partition_hours"),
    ])
    func badPlansAndLimitsAreNamed(json: String, name: String) throws {
        let path = try ConfigLoaderTests.write(json)
        #expect {
            try ConfigLoader.load(file: path, environment: [:])
        } throws: { error in
            (error as? ConfigError)?.description.contains(name) == true
        }
    }
}
