/// One `/v1` request as the log keeps it. `id` is assigned by the store when
/// the batch commits: `(createdAt << 12) | sequence`, increasing in commit
/// order, so rows and indexes are appended and a time range is an id range.
///
/// `Codable` for the request-log spill file (rows are read and bound by hand, not through Codable).
package struct RequestLogEntry: Sendable, Equatable, Codable {
    package var id: Int64
    package var createdAt: Int64
    package var requestId: String
    package var organizationId: String?
    package var livemode: Bool?
    package var keyId: String?
    package var method: String
    package var path: String
    package var route: String?
    package var status: Int
    package var durationMicroseconds: Int64
    package var ip: String?
    package var userAgent: String?
    package var requestBody: String?
    package var responseBody: String?

    /// `id` is assigned when the row is committed (0 until then).
    package init(
        id: Int64 = 0,
        createdAt: Int64,
        requestId: String,
        organizationId: String?,
        livemode: Bool?,
        keyId: String?,
        method: String,
        path: String,
        route: String?,
        status: Int,
        durationMicroseconds: Int64,
        ip: String?,
        userAgent: String?,
        requestBody: String? = nil,
        responseBody: String? = nil
    ) {
        self.id = id
        self.createdAt = createdAt
        self.requestId = requestId
        self.organizationId = organizationId
        self.livemode = livemode
        self.keyId = keyId
        self.method = method
        self.path = path
        self.route = route
        self.status = status
        self.durationMicroseconds = durationMicroseconds
        self.ip = ip
        self.userAgent = userAgent
        self.requestBody = requestBody
        self.responseBody = responseBody
    }
}

/// An amount of one metric for one tenant, key and hour, added to `usage_buckets`.
package struct UsageIncrement: Sendable, Hashable {
    package var organizationId: String
    package var livemode: Bool
    package var hourStart: Int64
    package var metric: String
    /// '' when not tied to a key.
    package var keyId: String

    package init(organizationId: String, livemode: Bool, hourStart: Int64, metric: String, keyId: String) {
        self.organizationId = organizationId
        self.livemode = livemode
        self.hourStart = hourStart
        self.metric = metric
        self.keyId = keyId
    }
}

/// One request counted in `request_stats`: tenant, hour, status class and latency bucket.
package struct RequestStatIncrement: Sendable, Hashable {
    package var organizationId: String
    package var livemode: Bool
    package var hourStart: Int64
    /// `status / 100`: 2 for 2xx.
    package var statusClass: Int
    package var latencyBucket: Int

    package init(organizationId: String, livemode: Bool, hourStart: Int64, statusClass: Int, latencyBucket: Int) {
        self.organizationId = organizationId
        self.livemode = livemode
        self.hourStart = hourStart
        self.statusClass = statusClass
        self.latencyBucket = latencyBucket
    }
}

/// One request counted in `route_stats`, platform-wide: "METHOD route", hour, status class and latency bucket.
package struct RouteStatIncrement: Sendable, Hashable {
    package var hourStart: Int64
    package var route: String
    package var statusClass: Int
    package var latencyBucket: Int

    package init(hourStart: Int64, route: String, statusClass: Int, latencyBucket: Int) {
        self.hourStart = hourStart
        self.route = route
        self.statusClass = statusClass
        self.latencyBucket = latencyBucket
    }
}

/// A tenant's request counts over a time range, by status class and latency bucket.
package struct RequestStatCount: Sendable, Equatable {
    package var statusClass: Int
    package var latencyBucket: Int
    package var count: Int64

    package init(statusClass: Int, latencyBucket: Int, count: Int64) {
        self.statusClass = statusClass
        self.latencyBucket = latencyBucket
        self.count = count
    }
}

/// Which rows of a tenant's request logs a list wants.
package struct RequestLogFilter: Sendable, Equatable {
    package var status: Int?
    /// 1 to 5: `2xx` is 2.
    package var statusClass: Int?
    package var method: String?
    package var pathPrefix: String?
    package var keyId: String?
    /// Inclusive lower bound, milliseconds.
    package var since: Int64?
    /// Exclusive upper bound, milliseconds.
    package var until: Int64?

    package init(
        status: Int? = nil,
        statusClass: Int? = nil,
        method: String? = nil,
        pathPrefix: String? = nil,
        keyId: String? = nil,
        since: Int64? = nil,
        until: Int64? = nil
    ) {
        self.status = status
        self.statusClass = statusClass
        self.method = method
        self.pathPrefix = pathPrefix
        self.keyId = keyId
        self.since = since
        self.until = until
    }
}
