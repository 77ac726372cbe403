import NIOCore
import PorticoCore
import PorticoStore
import Testing

@testable import PorticoApp

struct RepresentationCacheTests {
    static let scope = TenantScope(organizationId: "org_1", livemode: false)

    static func key(_ id: String) -> RepresentationCache.Key { .init(scope: scope, id: id) }

    @Test func holdsAtMostItsCapacityEvictingTheOldest() {
        let cache = RepresentationCache(capacity: 3)
        for index in 0..<5 {
            let (_, generation) = cache.lookup(Self.key("\(index)"))
            cache.insert(Self.key("\(index)"), ByteBuffer(string: "\(index)"), readAt: generation)
        }
        #expect(cache.sizes.entries == 3)
        #expect(cache.lookup(Self.key("0")).0 == nil)
        #expect(cache.lookup(Self.key("4")).0 == ByteBuffer(string: "4"))
    }

    @Test func aReadThatRacedAWriteIsNotCached() {
        let cache = RepresentationCache(capacity: 10)
        let (_, generation) = cache.lookup(Self.key("a"))
        cache.invalidate(Self.key("a"))  // a PATCH committed while the GET was reading
        cache.insert(Self.key("a"), ByteBuffer(string: "stale"), readAt: generation)
        #expect(cache.lookup(Self.key("a")).0 == nil)
    }

    @Test func tenantsNeverShareEntries() {
        let cache = RepresentationCache(capacity: 10)
        let (_, generation) = cache.lookup(Self.key("a"))
        cache.insert(Self.key("a"), ByteBuffer(string: "mine"), readAt: generation)
        let live = RepresentationCache.Key(scope: TenantScope(organizationId: "org_1", livemode: true), id: "a")
        let other = RepresentationCache.Key(scope: TenantScope(organizationId: "org_2", livemode: false), id: "a")
        #expect(cache.lookup(live).0 == nil)
        #expect(cache.lookup(other).0 == nil)
    }

    @Test func churnOnOneObjectKeepsBookkeepingBounded() {
        let cache = RepresentationCache(capacity: 4)
        for _ in 0..<10_000 {
            let (_, generation) = cache.lookup(Self.key("hot"))
            cache.insert(Self.key("hot"), ByteBuffer(string: "x"), readAt: generation)
            cache.invalidate(Self.key("hot"))
        }
        #expect(cache.sizes.order <= 2 * 4 + 16 + 1)
    }

    @Test func capacityZeroDisablesCaching() {
        let cache = RepresentationCache(capacity: 0)
        let (_, generation) = cache.lookup(Self.key("a"))
        cache.insert(Self.key("a"), ByteBuffer(string: "x"), readAt: generation)
        #expect(cache.lookup(Self.key("a")).0 == nil)
    }
}
