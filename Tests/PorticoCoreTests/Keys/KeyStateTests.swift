import Testing

@testable import PorticoCore

/// A key's state from its dates: the rule every caller applies.
struct KeyStateTests {
    @Test(
        arguments: [
            // revokedAt, expiresAt, rolledTo, state
            (nil, nil, nil, KeyState.active(expiresAt: nil)),
            (nil, 2_000, nil, .active(expiresAt: 2_000)),
            (nil, 1_000, nil, .expired),  // expires at its expiry exactly
            (nil, 999, nil, .expired),
            (nil, 2_000, "key_new", .rolled(expiresAt: 2_000)),
            (nil, 1_000, "key_new", .expired),
            (500, nil, nil, .revoked),
            (500, 2_000, "key_new", .revoked),  // revocation wins over everything
        ] as [(Int64?, Int64?, String?, KeyState)]
    )
    func theStateFollowsTheDates(revokedAt: Int64?, expiresAt: Int64?, rolledTo: String?, state: KeyState) {
        #expect(KeyState(revokedAt: revokedAt, expiresAt: expiresAt, rolledToID: rolledTo, now: 1_000) == state)
    }

    @Test func onlyActiveAndRolledKeysAreUsableAndTheAPICallsBothActive() {
        #expect(KeyState.active(expiresAt: nil).isUsable && KeyState.rolled(expiresAt: 5).isUsable)
        #expect(!KeyState.expired.isUsable && !KeyState.revoked.isUsable)
        #expect(
            [KeyState.active(expiresAt: 5), .rolled(expiresAt: 5), .expired, .revoked].map(\.apiStatus) == ["active", "active", "expired", "revoked"]
        )
        #expect(KeyState.rolled(expiresAt: 5).expiresAt == 5 && KeyState.expired.expiresAt == nil)
    }
}
