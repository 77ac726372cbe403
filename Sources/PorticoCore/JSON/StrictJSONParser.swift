/// An RFC 8259 parser for request bodies that refuses what Foundation's
/// decoder lets through silently: a member name given twice (Foundation
/// keeps one), a string holding U+0000 (SQLite text would cut it there), an
/// integer beyond ±2^53 (a Double would round it), invalid UTF-8, and
/// nesting deeper than `maxDepth` (a stack-exhaustion attack). Each refusal
/// names where in the document it happened. Foundation has no strict mode
/// and no Swift package here offers one, hence this file.
package struct StrictJSONParser {
    package struct Failure: Error, Equatable {
        /// What is wrong, as a sentence for a problem's `detail`.
        package var message: String
        /// Where: `name`, `metadata[plan]`, `items[2]` (nil at the top level).
        package var path: String?
    }

    static let maxDepth = 64
    /// 2^53: the largest integer every JSON implementation reads exactly.
    static let maxExactInteger: Int64 = 9_007_199_254_740_992

    private let bytes: [UInt8]
    private var index = 0
    private var path: [String] = []

    package static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var parser = StrictJSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("Unexpected text after the JSON value.") }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func failure(_ message: String) -> Failure {
        Failure(
            message: message,
            path: path.isEmpty ? nil : path.enumerated().map { $0.offset == 0 || $0.element.hasPrefix("[") ? $0.element : "[\($0.element)]" }.joined()
        )
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func expect(_ literal: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard index + text.count <= bytes.count, bytes[index..<(index + text.count)].elementsEqual(text) else {
            throw failure("The request body is not valid JSON.")
        }
        index += text.count
        return value
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maxDepth else { throw failure("The request body nests deeper than \(Self.maxDepth) levels.") }
        switch current {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case let byte? where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte): return try number()
        default: throw failure("The request body is not valid JSON.")
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("The request body is not valid JSON (expected a member name).") }
            let name = try string()
            path.append(name)
            guard members[name] == nil else { throw failure("The member '\(name)' appears more than once.") }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("The request body is not valid JSON (expected ':').") }
            index += 1
            skipWhitespace()
            members[name] = try value(depth: depth + 1)
            path.removeLast()
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default: throw failure("The request body is not valid JSON (expected ',' or '}').")
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            path.append("[\(items.count)]")
            items.append(try value(depth: depth + 1))
            path.removeLast()
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(items)
            default: throw failure("The request body is not valid JSON (expected ',' or ']').")
            }
        }
    }

    private mutating func string() throws(Failure) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flush(_ parser: StrictJSONParser, upTo end: Int) throws(Failure) {
            guard runStart < end else { return }
            guard let text = String(validating: parser.bytes[runStart..<end], as: UTF8.self) else {
                throw parser.failure("The request body is not valid UTF-8.")
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                try flush(self, upTo: index)
                index += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flush(self, upTo: index)
                index += 1
                scalars.append(try escape())
                runStart = index
            case 0x00..<0x20:
                throw failure("The request body is not valid JSON (a control character must be escaped).")
            default:
                index += 1
            }
        }
        throw failure("The request body is not valid JSON (an unterminated string).")
    }

    private mutating func escape() throws(Failure) -> Unicode.Scalar {
        guard let byte = current else { throw failure("The request body is not valid JSON.") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code) {
                guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("The request body is not valid JSON (a lone surrogate escape).")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("The request body is not valid JSON (a lone surrogate escape).") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard code != 0 else { throw failure("Strings must not contain the NUL character (\\u0000).") }
            guard let scalar = Unicode.Scalar(code) else { throw failure("The request body is not valid JSON (a lone surrogate escape).") }
            return scalar
        default: throw failure("The request body is not valid JSON (an unknown escape).")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("The request body is not valid JSON.") }
        var code: UInt32 = 0
        for byte in bytes[index..<(index + 4)] {
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x37)
            case 0x61...0x66: digit = UInt32(byte - 0x57)
            default: throw failure("The request body is not valid JSON (a bad \\u escape).")
            }
            code = code << 4 | digit
        }
        index += 4
        return code
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        var isInteger = true
        if current == UInt8(ascii: "-") { index += 1 }
        func digits(_ parser: inout StrictJSONParser) -> Int {
            let from = parser.index
            while let byte = parser.current, (0x30...0x39).contains(byte) { parser.index += 1 }
            return parser.index - from
        }
        let integerDigits = digits(&self)
        guard integerDigits > 0, !(integerDigits > 1 && bytes[index - integerDigits] == 0x30) else {
            throw failure("The request body is not valid JSON (a malformed number).")
        }
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard digits(&self) > 0 else { throw failure("The request body is not valid JSON (a malformed number).") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw failure("The request body is not valid JSON (a malformed number).") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger {
            guard let exact = Int64(text), exact.magnitude <= UInt64(Self.maxExactInteger) else {
                throw failure("The integer \(text) is outside ±2^53 and would not be kept exactly; send it as a string.")
            }
            return .number(Double(exact))
        }
        guard let value = Double(text), value.isFinite else { throw failure("The number \(text) is out of range.") }
        return .number(value)
    }
}
