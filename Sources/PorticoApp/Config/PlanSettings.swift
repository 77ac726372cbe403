import Foundation
import PorticoCore

/// Reads the structured settings: `plans` (an object of plan objects) and
/// `rate_limits.routes`. A plan named like a default is merged field by field
/// over that default, so `{"plans": {"free": {"live": {"per_minute": 200}}}}`
/// changes one number; a new plan name must give every field. Unknown fields
/// are errors, as everywhere in config.
enum PlanSettings {
    /// The whole `plans` section as one JSON value in the environment.
    static let environmentName = "PORTICO_PLANS"

    static func apply(environmentJSON text: String, to plans: inout [String: Plan]) throws {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw ConfigError(description: "\(environmentName) must hold a JSON object of plans")
        }
        try apply(value, source: environmentName, to: &plans)
    }

    static func apply(_ value: JSONValue, source: String, to plans: inout [String: Plan]) throws {
        guard case .object(let entries) = value else {
            throw ConfigError(description: "config section \"plans\" in \(source) must be an object of plans")
        }
        for (id, body) in entries.sorted(by: { $0.key < $1.key }) {
            guard id.range(of: "^[a-z0-9_-]{1,40}$", options: .regularExpression) != nil else {
                throw ConfigError(description: "plan name \"\(id)\" must be 1 to 40 of a-z, 0-9, _ and -")
            }
            plans[id] = try plan(body, base: plans[id], name: "plans.\(id)")
        }
    }

    private static let planFields: Set<String> = ["name", "currency", "base_price", "overage_per_1000", "live", "test"]
    private static let limitFields: Set<String> = [
        "per_second", "per_minute", "organization_per_minute", "daily_quota", "monthly_quota", "metric_quotas",
    ]

    static func plan(_ value: JSONValue, base: Plan?, name: String) throws -> Plan {
        let fields = try ConfigFields.object(value, name, allowed: planFields)
        if base == nil, let missing = planFields.sorted().first(where: { fields[$0] == nil }) {
            throw ConfigError(description: "new plan \"\(name)\" must set \"\(missing)\"")
        }
        let emptyLimits = Plan.Limits(perSecond: nil, perMinute: nil, organizationPerMinute: nil)
        var plan = base ?? Plan(name: "", currency: "usd", basePrice: 0, overagePer1000: nil, live: emptyLimits, test: emptyLimits)
        if let text = fields["name"] { plan.name = try ConfigFields.string(text, "\(name).name") }
        if let text = fields["currency"] {
            let currency = try ConfigFields.string(text, "\(name).currency").lowercased()
            guard currency.range(of: "^[a-z]{3}$", options: .regularExpression) != nil else {
                throw ConfigError(description: "setting \"\(name).currency\" must be a three-letter ISO 4217 code")
            }
            plan.currency = currency
        }
        if let price = fields["base_price"] { plan.basePrice = try count(price, "\(name).base_price") ?? 0 }
        if let price = fields["overage_per_1000"] { plan.overagePer1000 = try count(price, "\(name).overage_per_1000") }
        if let live = fields["live"] { plan.live = try limits(live, base: plan.live, name: "\(name).live") }
        if let test = fields["test"] { plan.test = try limits(test, base: plan.test, name: "\(name).test") }
        return plan
    }

    private static func limits(_ value: JSONValue, base: Plan.Limits, name: String) throws -> Plan.Limits {
        let fields = try ConfigFields.object(value, name, allowed: limitFields)
        var limits = base
        if let value = fields["per_second"] { limits.perSecond = try count(value, "\(name).per_second") }
        if let value = fields["per_minute"] { limits.perMinute = try count(value, "\(name).per_minute") }
        if let value = fields["organization_per_minute"] { limits.organizationPerMinute = try count(value, "\(name).organization_per_minute") }
        if let value = fields["daily_quota"] { limits.dailyQuota = try count(value, "\(name).daily_quota") }
        if let value = fields["monthly_quota"] { limits.monthlyQuota = try count(value, "\(name).monthly_quota") }
        if let value = fields["metric_quotas"] {
            // Metric names are checked against `gateway.metrics` once the whole config is read.
            limits.metricQuotas = try ConfigFields.object(value, "\(name).metric_quotas", allowed: nil).reduce(into: [:]) { quotas, entry in
                quotas[entry.key] = try count(entry.value, "\(name).metric_quotas.\(entry.key)")
            }.compactMapValues { $0 }
        }
        return limits
    }

    /// `rate_limits.routes`: `{"POST /v1/keys/verify": {"per_second": 50, "per_minute": 1000}}`.
    static func routes(_ input: Setting.Input) throws -> [String: RouteLimit] {
        let name = "rate_limits.routes"
        let value: JSONValue
        switch input {
        case .json(let json): value = json
        case .environment(let text):
            guard let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
                throw ConfigError(description: "setting \"\(name)\" must be a JSON object")
            }
            value = parsed
        }
        var routes: [String: RouteLimit] = [:]
        for (route, body) in try ConfigFields.object(value, name, allowed: nil).sorted(by: { $0.key < $1.key }) {
            let fields = try ConfigFields.object(body, "\(name).\(route)", allowed: ["per_second", "per_minute"])
            routes[route] = RouteLimit(
                perSecond: try fields["per_second"].flatMap { try count($0, "\(name).\(route).per_second") },
                perMinute: try fields["per_minute"].flatMap { try count($0, "\(name).\(route).per_minute") }
            )
        }
        return routes
    }

    // MARK: Field readers

    /// A non-negative integer, or nil for JSON null (unlimited / none).
    private static func count(_ value: JSONValue, _ name: String) throws -> Int? {
        if case .null = value { return nil }
        guard let number = value.integer, number >= 0 else {
            throw ConfigError(description: "setting \"\(name)\" must be a non-negative integer or null")
        }
        return number
    }
}
