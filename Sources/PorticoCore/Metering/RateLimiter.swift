import Synchronization

/// One limit as clients see it in `RateLimit-Policy`: a name, how many
/// requests, over how many seconds.
///
/// A class: every request's limit states point at the policies built when
/// configuration loaded (or once per quota period), so a state costs one
/// reference, and the header text is rendered once per policy, not per request.
package final class LimitPolicy: Sendable, Equatable {
    /// What a limit counts, which names it: `ip-burst`, `key-minute`, `daily-quota`…
    package enum Kind: Sendable, Equatable {
        /// A rate limit on who (`Subject`) over a one-second or one-minute window.
        case rate(Subject, Window)
        /// A tenant's request quota for a UTC day or calendar month.
        case quota(QuotaPeriod)
        /// A tenant's quota of another usage metric (a gateway's `tokens`).
        case metricQuota(String, QuotaPeriod)

        package var name: String {
            switch self {
            case .rate(let subject, let window): "\(subject.rawValue)-\(window.rawValue)"
            case .quota(.day): "daily-quota"
            case .quota(.month): "monthly-quota"
            case .metricQuota(let metric, .day): "\(metric)-daily-quota"
            case .metricQuota(let metric, .month): "\(metric)-monthly-quota"
            }
        }
    }

    /// Who a rate limit counts by.
    package enum Subject: String, Sendable {
        case ip
        case key
        case organization
        case route
    }

    package enum Window: String, Sendable {
        case burst
        case minute

        package var seconds: Int { self == .burst ? 1 : 60 }
    }

    package let kind: Kind
    package let name: String
    package let quota: Int
    package let windowSeconds: Int
    /// This policy as an item of the `RateLimit-Policy` header, `"name";q=10;w=1`.
    package let headerItem: String
    /// The start of this policy's item in the `RateLimit` header, `"name";r=`.
    package let rateLimitItemPrefix: String
    /// The per-client-IP limits (`ip-burst`, `ip-minute`).
    package let isClientIP: Bool
    /// A quota rather than a rate limit, for metrics and the 429 body.
    package let isQuota: Bool

    /// A rate limit: `quota` requests per window.
    package convenience init(_ subject: Subject, _ window: Window, quota: Int) {
        self.init(.rate(subject, window), quota: quota, windowSeconds: window.seconds)
    }

    package init(_ kind: Kind, quota: Int, windowSeconds: Int) {
        self.kind = kind
        let name = kind.name
        self.name = name
        self.quota = quota
        self.windowSeconds = windowSeconds
        headerItem = "\"\(name)\";q=\(quota);w=\(windowSeconds)"
        rateLimitItemPrefix = "\"\(name)\";r="
        if case .rate(.ip, _) = kind { isClientIP = true } else { isClientIP = false }
        switch kind {
        case .quota, .metricQuota: isQuota = true
        case .rate: isQuota = false
        }
    }

    package static func == (a: LimitPolicy, b: LimitPolicy) -> Bool {
        a === b || (a.name == b.name && a.quota == b.quota && a.windowSeconds == b.windowSeconds)
    }
}

/// A limit's state after a request was counted (or refused): what the
/// `RateLimit` header reports for it.
package struct LimitState: Sendable, Equatable {
    package var policy: LimitPolicy
    package var remaining: Int
    /// Seconds until the limit has fully recovered (its `t`).
    package var resetSeconds: Int
    /// When this limit refused the request: seconds until one more would pass.
    package var retryAfterSeconds: Int?

    package var refused: Bool { retryAfterSeconds != nil }
    package var isQuota: Bool { policy.isQuota }

    package init(policy: LimitPolicy, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int? = nil) {
        self.policy = policy
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// Who a bucket counts for.
package enum LimitSubject: Hashable, Sendable {
    /// An IPv4 address, or an IPv6 address masked to its /64 (`IPAddress.rateLimitSubject`).
    case ip(IPAddress)
    case key(String)
    case organization(String, livemode: Bool)
    case route(String, livemode: Bool, route: String)
}

/// A subject with its hash worked out once. The request path's key and
/// organization subjects are built when a key is cached (`Principal`), so
/// finding their buckets hashes no strings; an ad-hoc subject is hashed once
/// here rather than once for its shard and again for its bucket.
package struct LimitKey: Hashable, Sendable {
    package let subject: LimitSubject
    let hash: Int

    package init(_ subject: LimitSubject) {
        self.subject = subject
        hash = subject.hashValue
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    package static func == (a: LimitKey, b: LimitKey) -> Bool { a.hash == b.hash && a.subject == b.subject }
}

/// In-memory rate limiting: a token bucket (burst, refilled continuously) and
/// a sliding 60-second window counted in one-second slots, per subject.
///
/// Each subject's check-and-count happens under one lock, so concurrent
/// requests can never both take the last unit: on one node the limits are
/// exact. Subjects are spread over 16 independently locked shards so the
/// lock is rarely contended. Memory is bounded: a bucket that has fully
/// recovered is indistinguishable from a new one and is evicted first, and
/// past `maxTracked` the least recently used are evicted.
package final class RateLimiter: Sendable {
    private struct Bucket {
        var capacity: Double = 0
        var tokens: Double = 0
        var refilledAt: Int64 = 0
        var slots = InlineArray<60, UInt32>(repeating: 0)
        /// Bit `i` set when `slots[i]` is not zero: finds the oldest counted second without a scan.
        var occupied: UInt64 = 0
        var windowTotal = 0
        /// The second (since the epoch) the newest slot stands for.
        var windowSecond: Int64 = 0
        var touchedAt: Int64 = 0

        /// Sets the bucket's size (a plan may change between requests); a new bucket starts full.
        mutating func configure(capacity: Int) {
            let rate = Double(capacity)
            guard self.capacity != rate else { return }
            tokens = refilledAt == 0 ? rate : min(tokens, rate)
            self.capacity = rate
        }

        /// Refills tokens and slides the window to `now`.
        mutating func advance(to now: Int64) {
            if capacity > 0 {
                let elapsed = Double(max(0, now - refilledAt)) / 1_000
                tokens = min(capacity, tokens + elapsed * capacity)
            }
            refilledAt = max(refilledAt, now)
            let second = now / 1_000
            if second > windowSecond {
                let steps = min(60, second - windowSecond)
                for offset in 1...steps {
                    let slot = Int((windowSecond + offset) % 60)
                    windowTotal -= Int(slots[slot])
                    slots[slot] = 0
                    occupied &= ~(1 << UInt64(slot))
                }
                windowSecond = second
            }
            touchedAt = max(touchedAt, now)
        }

        /// Seconds until the oldest counted request leaves the window.
        func secondsUntilWindowFrees(now: Int64) -> Int {
            guard occupied != 0 else { return 0 }
            // Rotate the occupied bits so the oldest slot (59 s old) is bit 0; the
            // first set bit is then how many seconds younger the oldest counted one is.
            let oldest = UInt64((now / 1_000 + 1) % 60)
            let all: UInt64 = (1 << 60) - 1
            let rotated = oldest == 0 ? occupied : ((occupied >> oldest) | (occupied << (60 - oldest))) & all
            return rotated.trailingZeroBitCount + 1
        }

        mutating func countInWindow() {
            let slot = Int(windowSecond % 60)
            slots[slot] += 1
            occupied |= 1 << UInt64(slot)
            windowTotal += 1
        }

        var isIdle: Bool { windowTotal == 0 && tokens >= capacity }

        mutating func giveBack(burst: Bool, minute: Bool, now: Int64) {
            advance(to: now)
            if burst { tokens = min(capacity, tokens + 1) }
            let slot = Int(windowSecond % 60)
            if minute, slots[slot] > 0 {
                slots[slot] -= 1
                if slots[slot] == 0 { occupied &= ~(1 << UInt64(slot)) }
                windowTotal -= 1
            }
        }
    }

    private final class Shard: Sendable {
        let buckets = Mutex<[LimitKey: Bucket]>([:])
    }

    private static let shardCount = 16
    private let shards: [Shard]
    private let maxPerShard: Int

    package init(maxTracked: Int) {
        shards = (0..<Self.shardCount).map { _ in Shard() }
        maxPerShard = max(16, maxTracked / Self.shardCount)
    }

    /// Counts one request against a subject's burst and minute limits, unless
    /// either is exhausted; returns each limit's state (refused ones carry `retryAfterSeconds`).
    func acquire(
        _ subject: LimitSubject,
        burst: LimitPolicy?,
        minute: LimitPolicy?,
        now: Int64,
        consume: Bool = true
    ) -> [LimitState] {
        var states: [LimitState] = []
        acquire(LimitKey(subject), burst: burst, minute: minute, now: now, consume: consume, into: &states)
        return states
    }

    /// `acquire`, appending the states to `states` (the request path collects
    /// every limit into one array); returns whether the request was counted.
    @discardableResult
    package func acquire(
        _ subject: LimitKey,
        burst: LimitPolicy?,
        minute: LimitPolicy?,
        now: Int64,
        consume: Bool = true,
        into states: inout [LimitState]
    ) -> Bool {
        guard burst != nil || minute != nil else { return true }
        return shard(for: subject).buckets.withLock { buckets in
            if buckets.count >= maxPerShard, buckets[subject] == nil { Self.evict(&buckets, now: now) }
            // Mutated in place through the dictionary's accessor: a copy out and
            // back would copy the 60-slot window on every request.
            return Self.take(&buckets[subject, default: Bucket()], burst: burst, minute: minute, now: now, consume: consume, into: &states)
        }
    }

    private static func take(
        _ bucket: inout Bucket,
        burst: LimitPolicy?,
        minute: LimitPolicy?,
        now: Int64,
        consume: Bool,
        into states: inout [LimitState]
    ) -> Bool {
        if let burst { bucket.configure(capacity: burst.quota) }
        bucket.advance(to: now)
        let burstOK = burst.map { _ in bucket.tokens >= 1 } ?? true
        let minuteOK = minute.map { bucket.windowTotal < $0.quota } ?? true
        if consume, burstOK, minuteOK {
            if burst != nil { bucket.tokens -= 1 }
            if minute != nil { bucket.countInWindow() }
        }
        if let burst {
            let rate = Double(burst.quota)
            states.append(
                LimitState(
                    policy: burst,
                    remaining: Int(bucket.tokens.rounded(.down)),
                    resetSeconds: rate > 0 ? Int(((rate - bucket.tokens) / rate).rounded(.up)) : 1,
                    retryAfterSeconds: burstOK ? nil : max(1, rate > 0 ? Int(((1 - bucket.tokens) / rate).rounded(.up)) : 1)
                )
            )
        }
        if let minute {
            let frees = bucket.secondsUntilWindowFrees(now: now)
            states.append(
                LimitState(
                    policy: minute,
                    remaining: max(0, minute.quota - bucket.windowTotal),
                    resetSeconds: frees,
                    retryAfterSeconds: minuteOK ? nil : max(1, frees)
                )
            )
        }
        return burstOK && minuteOK
    }

    /// Gives back one request counted by `acquire` (a later limit refused it).
    package func refund(_ subject: LimitKey, burst: Bool, minute: Bool, now: Int64) {
        shard(for: subject).buckets.withLock { buckets in
            guard buckets[subject] != nil else { return }
            buckets[subject]!.giveBack(burst: burst, minute: minute, now: now)
        }
    }

    /// Drops every bucket that has fully recovered; returns how many remain.
    @discardableResult
    package func evictIdle(now: Int64) -> Int {
        shards.reduce(0) { count, shard in
            count
                + shard.buckets.withLock { buckets in
                    buckets = buckets.filter { _, bucket in
                        var bucket = bucket
                        bucket.advance(to: now)
                        return !bucket.isIdle
                    }
                    return buckets.count
                }
        }
    }

    /// Buckets held in memory (a metric, and what the bound applies to).
    var trackedCount: Int { shards.reduce(0) { $0 + $1.buckets.withLock { $0.count } } }

    private func shard(for subject: LimitKey) -> Shard {
        shards[Int(UInt(bitPattern: subject.hash) % UInt(Self.shardCount))]
    }

    /// Makes room in a full shard: idle buckets first, then the least recently used tenth.
    private static func evict(_ buckets: inout [LimitKey: Bucket], now: Int64) {
        let before = buckets.count
        buckets = buckets.filter { _, bucket in
            var bucket = bucket
            bucket.advance(to: now)
            return !bucket.isIdle
        }
        guard buckets.count >= before else { return }
        let victims = buckets.sorted { $0.value.touchedAt < $1.value.touchedAt }.prefix(max(1, before / 10)).map(\.key)
        for subject in victims { buckets.removeValue(forKey: subject) }
    }
}
