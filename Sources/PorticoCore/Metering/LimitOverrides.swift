import Foundation

/// Staff overrides of one organization's live limits, as enterprise
/// contracts need (stored as JSON in `organizations.custom_limits`). A nil
/// figure keeps the plan's; test mode always keeps the plan's.
public struct LimitOverrides: Codable, Sendable, Equatable {
    /// Per-key requests per second (the burst bucket).
    public var perSecond: Int?
    /// Per-key requests per minute.
    public var perMinute: Int?
    /// Live requests per calendar month (the quota; also what the base price includes).
    public var monthlyQuota: Int?

    /// The largest figure accepted: beyond it a limit means nothing, and sums must not overflow.
    public static let range = 1...1_000_000_000

    public init(perSecond: Int? = nil, perMinute: Int? = nil, monthlyQuota: Int? = nil) {
        self.perSecond = perSecond
        self.perMinute = perMinute
        self.monthlyQuota = monthlyQuota
    }

    /// Nothing overridden.
    public var isEmpty: Bool { perSecond == nil && perMinute == nil && monthlyQuota == nil }

    /// Whether every given figure is within `range`.
    public var isValid: Bool { [perSecond, perMinute, monthlyQuota].allSatisfy { $0.map(Self.range.contains) ?? true } }

    enum CodingKeys: String, CodingKey {
        case perSecond = "per_second"
        case perMinute = "per_minute"
        case monthlyQuota = "monthly_quota"
    }

    /// The stored form; nil when nothing is overridden.
    public var stored: String? {
        guard !isEmpty, let data = try? JSONEncoder.sortedKeys.encode(self) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads the stored form; nil for nil, empty or unreadable JSON (the plan's limits apply).
    public init?(stored: String?) {
        guard let stored, let value = try? JSONDecoder().decode(Self.self, from: Data(stored.utf8)), !value.isEmpty else { return nil }
        self = value
    }
}

extension JSONEncoder {
    fileprivate static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}

extension Plan {
    /// This plan with `overrides` applied to its live limits.
    public func overriding(_ overrides: LimitOverrides?) -> Plan {
        guard let overrides else { return self }
        var plan = self
        if let value = overrides.perSecond { plan.live.perSecond = value }
        if let value = overrides.perMinute { plan.live.perMinute = value }
        if let value = overrides.monthlyQuota { plan.live.monthlyQuota = value }
        return plan
    }
}
