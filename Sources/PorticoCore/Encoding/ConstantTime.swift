/// Comparison of secrets (signatures, password hashes, form tokens) whose
/// time does not depend on where the first difference is.
package enum ConstantTime {
    package static func equal<A: Sequence<UInt8>, B: Sequence<UInt8>>(_ a: A, _ b: B) -> Bool {
        let a = Array(a)
        let b = Array(b)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
