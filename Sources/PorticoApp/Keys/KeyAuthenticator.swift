import Crypto
import Foundation
import Logging
import PorticoCore
import PorticoStore
import Synchronization

/// Resolves a presented key to a `Principal` without touching SQLite on the
/// hot path.
///
/// Keys are cached by SHA-256, valid or not: a hit costs one hash and a
/// dictionary lookup. Unknown hashes are cached too (bounded), which is safe
/// because a new key's 143 random bits cannot have been guessed earlier.
/// Changes made in this process (revoke, roll) clear the cache at once, so
/// they apply from the next request; changes made by another process (the
/// CLI) are noticed by `refreshIfChanged()`, polled every `keys.cache_refresh_ms`.
final class KeyAuthenticator: Sendable {
    enum Outcome: Sendable, Equatable {
        case authenticated(Principal)
        /// Unknown, revoked, expired or malformed: one uniform answer.
        case invalid
        case addressNotAllowed(Principal)
    }

    private enum Entry: Sendable {
        case key(Principal)
        case absent
    }

    private struct State {
        var entries: [SHA256Digest: Entry] = [:]
        var absentCount = 0
        /// Bumped on every invalidation, so a lookup that raced one does not cache stale data.
        var generation: UInt64 = 0
        var revision: String?
        /// Cache misses that went to SQLite, exposed as a metric and asserted by tests.
        var databaseLookups = 0
    }

    static let maxAbsentEntries = 10_000

    private let store: any KeyStore
    private let clock: any PorticoClock
    private let lastUsed: LastUsedTracker
    private let state = Mutex(State())

    init(store: any KeyStore, clock: any PorticoClock, lastUsed: LastUsedTracker) {
        self.store = store
        self.clock = clock
        self.lastUsed = lastUsed
    }

    func authenticate(_ token: Substring, from address: IPAddress?) async throws -> Outcome {
        let now = clock.nowMilliseconds
        guard let principal = try await principal(for: token), principal.isUsable(atMilliseconds: now) else { return .invalid }
        guard principal.allows(address) else { return .addressNotAllowed(principal) }
        lastUsed.touch(principal.keyID, at: now)
        return .authenticated(principal)
    }

    /// The key a token names, whatever its state (revoked and expired keys
    /// included), through the same cache; nil for malformed or unknown tokens.
    ///
    /// The cache is keyed by the hash of the presented bytes, so a known key
    /// costs one hash and one lookup; the format and checksum are checked
    /// only on a miss, before anything is cached or read.
    func principal(for token: Substring) async throws -> Principal? {
        let hash =
            token.utf8.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
            ?? SHA256.hash(data: Array(token.utf8))
        switch state.withLock({ ($0.entries[hash], $0.generation) }) {
        case (.key(let cached)?, _):
            return cached
        case (.absent?, _):
            return nil
        case (nil, let generation):
            guard APIKeyFormat.parse(token) != nil else { return nil }
            state.withLock { $0.databaseLookups += 1 }
            let principal = try await store.apiKey(secretHash: Data(hash)).map { Principal(record: $0.key, organization: $0.organization) }
            remember(hash, principal, generation: generation)
            return principal
        }
    }

    /// How many authentications needed a database read (cache misses) so far.
    var databaseLookups: Int { state.withLock { $0.databaseLookups } }

    /// Forgets every cached key: called after this process changes a key.
    func invalidate() {
        state.withLock { state in
            state.entries.removeAll(keepingCapacity: true)
            state.absentCount = 0
            state.generation &+= 1
        }
    }

    /// Clears the cache when the database's key revision moved (another process changed a key).
    /// The first call always clears: entries cached before any baseline was
    /// read may predate a change that the baseline already includes.
    func refreshIfChanged() async throws {
        let revision = try await store.apiKeysRevision()
        let changed = state.withLock { state -> Bool in
            defer { state.revision = revision }
            return state.revision != revision
        }
        if changed { invalidate() }
    }

    private func remember(_ hash: SHA256Digest, _ principal: Principal?, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if let principal {
                state.entries[hash] = .key(principal)
            } else {
                if state.absentCount >= Self.maxAbsentEntries {
                    state.entries = state.entries.filter { if case .key = $0.value { true } else { false } }
                    state.absentCount = 0
                }
                state.entries[hash] = .absent
                state.absentCount += 1
            }
        }
    }
}
