import Synchronization

/// Prefixed, time-sortable object ids (`cus_0Ow3…`): 48 bits of milliseconds
/// then 80 random bits, as 22 base62 digits. Sorting by id sorts by creation,
/// which is what cursor pagination and "newest first" need without an index
/// on a timestamp.
package enum Identifier {
    /// Whether `text` has the shape of an id with `prefix` (`cus_` and 22 base62 digits):
    /// what a command that erases by id checks first, so a typo or an empty value never
    /// matches more than one thing.
    package static func isWellFormed(_ text: String, prefix: String) -> Bool {
        let digits = text.utf8.dropFirst(prefix.utf8.count + 1)
        return text.hasPrefix(prefix + "_") && digits.count == 22
            && digits.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }

    package static func make(_ prefix: String, at milliseconds: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = UInt128(generator.next() as UInt64) << 16 | UInt128(generator.next() as UInt16)
        let value = UInt128(UInt64(max(0, milliseconds)) & 0xFFFF_FFFF_FFFF) << 80 | random
        return prefix + "_" + Base62.encode(value, width: 22)
    }

    /// A `req_…` id: the same shape, but the 80 low bits come from a
    /// per-process random seed and a counter through a bijective mixer
    /// instead of two `getrandom` calls. Request ids need to be unique, not
    /// secret: within a process they never collide, across processes the seed
    /// makes a collision as unlikely as with random bits.
    package static func makeRequestID(at milliseconds: Int64) -> String {
        let sequence = requestSequence.add(1, ordering: .relaxed).oldValue
        let low = mix(requestSeed.0 &+ sequence)
        let high = UInt16(truncatingIfNeeded: mix(requestSeed.1 &+ sequence))
        let value = UInt128(UInt64(max(0, milliseconds)) & 0xFFFF_FFFF_FFFF) << 80 | UInt128(high) << 64 | UInt128(low)
        return "req_" + Base62.encode(value, width: 22)
    }

    private static let requestSequence = Atomic<UInt64>(0)
    private static let requestSeed: (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()

    /// SplitMix64's finalizer: a bijection on 64 bits that spreads a counter's bits.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Identifier {
    /// The smallest id with `prefix` made at `milliseconds`: ids made at or
    /// after that time sort at or above it, so a time range is an id range.
    package static func lowerBound(_ prefix: String, at milliseconds: Int64) -> String {
        prefix + "_" + Base62.encode(UInt128(UInt64(max(0, milliseconds)) & 0xFFFF_FFFF_FFFF) << 80, width: 22)
    }
}
