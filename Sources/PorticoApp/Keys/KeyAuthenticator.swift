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
        /// A usable platform key; the organization it acts for is named by the request.
        case platform(PlatformKeyRecord)
        /// Unknown, revoked, expired or malformed: one uniform answer.
        case invalid
        case addressNotAllowed(Principal)
    }

    private enum Entry: Sendable {
        case key(Principal)
        case platform(PlatformKeyRecord)
        case absent
    }

    private struct PlatformActing: Hashable {
        var keyID: String
        var organizationID: String
    }

    private struct State {
        var entries: [SHA256Digest: Entry] = [:]
        /// Platform keys' principals per organization they acted for (cleared with the entries).
        var acting: [PlatformActing: Principal] = [:]
        var absentCount = 0
        /// Bumped on every invalidation, so a lookup that raced one does not cache stale data.
        var generation: UInt64 = 0
        var revision: String?
        /// Cache misses that went to SQLite, exposed as a metric and asserted by tests.
        var databaseLookups = 0
    }

    static let maxAbsentEntries = 10_000

    private let store: any KeyStore & PlatformStore & AccountStore
    private let clock: any PorticoClock
    private let lastUsed: LastUsedTracker
    private let state = Mutex(State())

    init(store: any KeyStore & PlatformStore & AccountStore, clock: any PorticoClock, lastUsed: LastUsedTracker) {
        self.store = store
        self.clock = clock
        self.lastUsed = lastUsed
    }

    func authenticate(_ token: Substring, from address: IPAddress?) async throws -> Outcome {
        let now = clock.nowMilliseconds
        switch try await entry(for: token) {
        case .key(let principal):
            guard principal.isUsable(atMilliseconds: now) else { return .invalid }
            guard principal.allows(address) else { return .addressNotAllowed(principal) }
            lastUsed.touch(principal.keyID, at: now)
            return .authenticated(principal)
        case .platform(let key):
            return key.revokedAt == nil ? .platform(key) : .invalid
        case .absent:
            return .invalid
        }
    }

    /// A platform key's principal for the organization it names; nil when no such organization exists.
    func principal(platform key: PlatformKeyRecord, organizationID: String) async throws -> Principal? {
        let acting = PlatformActing(keyID: key.id, organizationID: organizationID)
        let (cached, generation) = state.withLock { ($0.acting[acting], $0.generation) }
        if let cached { return cached }
        guard let organization = try await store.organization(id: organizationID) else { return nil }
        let principal = Principal(platform: key, organization: organization)
        state.withLock { state in
            guard state.generation == generation else { return }
            // Bounded like unknown keys: a platform key names organizations, not attackers.
            if state.acting.count >= Self.maxAbsentEntries { state.acting.removeAll() }
            state.acting[acting] = principal
        }
        return principal
    }

    /// The key a token names, whatever its state (revoked and expired keys
    /// included), through the same cache; nil for malformed or unknown tokens.
    ///
    /// The cache is keyed by the hash of the presented bytes, so a known key
    /// costs one hash and one lookup; the format and checksum are checked
    /// only on a miss, before anything is cached or read.
    func principal(for token: Substring) async throws -> Principal? {
        if case .key(let principal) = try await entry(for: token) { return principal }
        return nil
    }

    private func entry(for token: Substring) async throws -> Entry {
        let hash =
            token.utf8.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
            ?? SHA256.hash(data: Array(token.utf8))
        let (cached, generation) = state.withLock { ($0.entries[hash], $0.generation) }
        if let cached { return cached }
        guard let parsed = APIKeyFormat.parse(token) else { return .absent }
        state.withLock { $0.databaseLookups += 1 }
        let entry: Entry
        if parsed.isPlatform {
            entry = try await store.platformKey(secretHash: Data(hash)).map(Entry.platform) ?? .absent
        } else {
            entry = try await store.apiKey(secretHash: Data(hash)).map { .key(Principal(record: $0.key, organization: $0.organization)) } ?? .absent
        }
        remember(hash, entry, generation: generation)
        return entry
    }

    /// How many authentications needed a database read (cache misses) so far.
    var databaseLookups: Int { state.withLock { $0.databaseLookups } }

    /// Forgets every cached key: called after this process changes a key.
    func invalidate() {
        state.withLock { state in
            state.entries.removeAll(keepingCapacity: true)
            state.acting.removeAll()
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

    private func remember(_ hash: SHA256Digest, _ entry: Entry, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if case .absent = entry {
                if state.absentCount >= Self.maxAbsentEntries {
                    state.entries = state.entries.filter { if case .absent = $0.value { false } else { true } }
                    state.absentCount = 0
                }
                state.absentCount += 1
            }
            state.entries[hash] = entry
        }
    }
}
