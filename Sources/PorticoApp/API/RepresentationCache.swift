import NIOCore
import PorticoCore
import PorticoStore
import Synchronization

/// Rendered JSON of recently read objects, so a repeated `GET /v1/…/{id}`
/// costs neither a SQLite round trip nor JSON encoding.
///
/// Safe because every write to these objects goes through this process: a
/// write invalidates its entry *after* committing and bumps a generation, and
/// a read only fills the cache if no write happened since it started, so a
/// stale rendering can never be cached. Bounded: the oldest entries are
/// evicted first (FIFO) past `capacity`; capacity 0 disables caching.
final class RepresentationCache: Sendable {
    struct Key: Hashable, Sendable {
        var scope: TenantScope
        var id: String
    }

    private struct State {
        var entries: [Key: ByteBuffer] = [:]
        var order: [Key] = []
        var head = 0
        var generation: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The cached rendering and, on a miss, the generation to pass to `insert`.
    func lookup(_ key: Key) -> (ByteBuffer?, generation: UInt64) {
        state.withLock { ($0.entries[key], $0.generation) }
    }

    /// Caches a rendering read at `generation`, unless a write happened since.
    func insert(_ key: Key, _ body: ByteBuffer, readAt generation: UInt64) {
        guard capacity > 0 else { return }
        state.withLock { state in
            guard state.generation == generation, state.entries.updateValue(body, forKey: key) == nil else { return }
            state.order.append(key)
            while state.entries.count > capacity, state.head < state.order.count {
                state.entries.removeValue(forKey: state.order[state.head])
                state.head += 1
            }
            // Invalidated keys linger in `order`; compact it so churn on a few
            // objects cannot grow it without bound.
            if state.order.count - state.head > 2 * capacity + 16 || state.head > capacity {
                state.order = Self.compacted(state.order[state.head...], live: state.entries)
                state.head = 0
            }
        }
    }

    /// The live keys of `order`, each once at its latest position, oldest first.
    private static func compacted(_ order: ArraySlice<Key>, live: [Key: ByteBuffer]) -> [Key] {
        var seen = Set<Key>()
        var result: [Key] = []
        for key in order.reversed() where live[key] != nil && seen.insert(key).inserted {
            result.append(key)
        }
        return result.reversed()
    }

    /// Entries and bookkeeping size, for tests of the bounds.
    var sizes: (entries: Int, order: Int) {
        state.withLock { ($0.entries.count, $0.order.count - $0.head) }
    }

    /// Forgets an object after a committed write (update or delete).
    func invalidate(_ key: Key) {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeValue(forKey: key)
        }
    }
}
