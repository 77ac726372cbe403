/// Base62 in ASCII order (0-9, A-Z, a-z), so fixed-width encodings of numbers
/// sort lexicographically in numeric order.
package enum Base62 {
    package static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    package static func isDigit(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }

    /// The numeric value of one digit (the caller has checked `isDigit`).
    package static func value(of byte: UInt8) -> UInt8 {
        switch byte {
        case 48...57: byte - 48
        case 65...90: byte - 55
        default: byte - 61
        }
    }

    /// `value` as exactly `width` digits, most significant first.
    package static func encode(_ value: UInt128, width: Int) -> String {
        var digits = [UInt8](repeating: alphabet[0], count: width)
        var remaining = value
        for index in stride(from: width - 1, through: 0, by: -1) {
            digits[index] = alphabet[Int(remaining % 62)]
            remaining /= 62
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// `count` digits drawn uniformly from a CSPRNG (no modulo bias).
    package static func random(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var digits = [UInt8]()
        digits.reserveCapacity(count)
        for _ in 0..<count {
            digits.append(alphabet[Int(generator.next(upperBound: UInt8(62)))])
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
