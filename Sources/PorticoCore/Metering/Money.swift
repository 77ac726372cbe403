import Foundation

/// Amounts are integer minor units with an ISO 4217 currency (as invoices
/// store them); this only renders them for people.
package enum Money {
    /// Currencies whose minor unit is the unit itself (ISO 4217 exponent 0).
    static let zeroDecimal: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    ]

    /// 4900, "USD" → "49.00 USD"; 500, "JPY" → "500 JPY".
    package static func format(_ minorUnits: Int64, _ currency: String) -> String {
        let code = currency.uppercased()
        if zeroDecimal.contains(code) { return "\(minorUnits) \(code)" }
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        return "\(sign)\(magnitude / 100).\(String(format: "%02d", Int(magnitude % 100))) \(code)"
    }
}
