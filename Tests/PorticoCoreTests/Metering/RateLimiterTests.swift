import Testing

@testable import PorticoCore

/// The token bucket and sliding minute window under an injected clock.
struct RateLimiterTests {
    @Test func tokenBucketAndWindowAreExactUnderAnInjectedClock() {
        let limiter = RateLimiter(maxTracked: 1_000)
        let burst = LimitPolicy(.key, .burst, quota: 5)
        let minute = LimitPolicy(.key, .minute, quota: 8)
        let start: Int64 = 1_800_000_000_000
        func take(_ at: Int64) -> Bool { !limiter.acquire(.key("k"), burst: burst, minute: minute, now: at).contains(where: \.refused) }
        #expect((0..<7).map { _ in take(start) } == [true, true, true, true, true, false, false])
        let refused = limiter.acquire(.key("k"), burst: burst, minute: minute, now: start)
        #expect(refused.first?.retryAfterSeconds == 1)
        #expect(take(start + 200))  // one token back after 1/5 s
        #expect(!take(start + 200))
        #expect(take(start + 1_000) && take(start + 1_000))  // 8 in the window now
        #expect(!take(start + 5_000))  // burst has room; the minute window does not
        #expect(limiter.acquire(.key("k"), burst: burst, minute: minute, now: start + 5_000).last?.retryAfterSeconds == 55)
        #expect(take(start + 60_000))  // the first second's five left the window
        // Refunds give the unit back.
        limiter.refund(LimitKey(.key("k")), burst: true, minute: true, now: start + 60_000)
        // 8 − (2 at +1 s)
        #expect(limiter.acquire(.key("k"), burst: burst, minute: minute, now: start + 60_000, consume: false).last?.remaining == 6)
    }

    @Test func memoryStaysBoundedAndIdleBucketsGo() {
        let limiter = RateLimiter(maxTracked: 1_600)
        let minute = LimitPolicy(.key, .minute, quota: 100)
        let start: Int64 = 1_800_000_000_000
        for index in 0..<20_000 {
            _ = limiter.acquire(.ip(IPAddress(bytes: [10, 0, UInt8(index / 256), UInt8(index % 256)])), burst: nil, minute: minute, now: start)
        }
        #expect(limiter.trackedCount <= 1_600)
        #expect(limiter.evictIdle(now: start + 61_000) == 0)
    }

    /// The minute window's `t` is the time until its oldest counted second leaves,
    /// across the wrap of its 60 one-second slots, and a refund that empties a
    /// second stops that second from counting as the oldest.
    @Test func theWindowResetFollowsTheOldestCountedSecond() {
        let limiter = RateLimiter(maxTracked: 1_000)
        let minute = LimitPolicy(.key, .minute, quota: 100)
        let start: Int64 = 1_800_000_030_000  // half-way through the slots: the window wraps below
        func reset(at second: Int64, consume: Bool = true) -> Int? {
            limiter.acquire(.key("k"), burst: nil, minute: minute, now: start + second * 1_000, consume: consume).first?.resetSeconds
        }
        #expect(reset(at: 0) == 60)
        #expect(reset(at: 10) == 50)  // the request at 0 leaves at 60
        #expect(reset(at: 45) == 15)
        _ = reset(at: 50)
        limiter.refund(LimitKey(.key("k")), burst: false, minute: true, now: start + 50_000)  // second 50 is empty again
        #expect(reset(at: 61, consume: false) == 9)  // 0 has left; 10 is the oldest
        #expect(reset(at: 71, consume: false) == 34)  // 45 is next; 50 was refunded
        #expect(reset(at: 106, consume: false) == 0)  // everything has left
    }
}

/// Every limit is named from its kind, and only its kind says what it is.
struct LimitPolicyKindTests {
    @Test func namesFollowTheKind() {
        let rates: [(LimitPolicy.Subject, LimitPolicy.Window, String)] = [
            (.ip, .burst, "ip-burst"), (.ip, .minute, "ip-minute"), (.key, .burst, "key-burst"), (.key, .minute, "key-minute"),
            (.organization, .minute, "organization-minute"), (.route, .burst, "route-burst"), (.route, .minute, "route-minute"),
        ]
        for (subject, window, name) in rates {
            let policy = LimitPolicy(subject, window, quota: 5)
            #expect(policy.name == name && policy.windowSeconds == window.seconds && !policy.isQuota)
            #expect(policy.isClientIP == (subject == .ip))
            #expect(policy.headerItem == "\"\(name)\";q=5;w=\(window.seconds)")
        }
        #expect(LimitPolicy(.quota(.day), quota: 10, windowSeconds: 86_400).name == "daily-quota")
        #expect(LimitPolicy(.quota(.month), quota: 10, windowSeconds: 2_592_000).isQuota)
    }
}
