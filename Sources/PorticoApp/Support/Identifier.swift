/// Prefixed, time-sortable object ids (`cus_0Ow3…`): 48 bits of milliseconds
/// then 80 random bits, as 22 base62 digits. Sorting by id sorts by creation,
/// which is what cursor pagination and "newest first" need without an index
/// on a timestamp.
enum Identifier {
    static func make(_ prefix: String, at milliseconds: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = UInt128(generator.next() as UInt64) << 16 | UInt128(generator.next() as UInt16)
        let value = UInt128(UInt64(max(0, milliseconds)) & 0xFFFF_FFFF_FFFF) << 80 | random
        return prefix + "_" + Base62.encode(value, width: 22)
    }
}
