import Foundation
import NIOCore
import PorticoCore
import Testing

@testable import PorticoApp

/// `JSONWriter` against Foundation's encoder in the canonical style, on random values.
@Suite struct JSONWriterTests {
    @Test func randomValuesAreWrittenAsFoundationsEncoderWritesThem() throws {
        var random = SplitMix64(seed: 17)
        for _ in 0..<3_000 {
            let value = JSONValue.random(depth: 0, using: &random)
            let written = JSONWriter.render(value)
            let encoded = try CanonicalJSON.encoder.encode(value)
            #expect(String(buffer: written) == String(decoding: encoded, as: UTF8.self))
            _ = try JSONSerialization.jsonObject(with: Data(written.readableBytesView), options: [.fragmentsAllowed])
            #expect(try StrictJSONParser.parse(Array(written.readableBytesView)) == value)
        }
    }

    @Test func everyByteThatNeedsAnEscapeGetsFoundationsEscape() throws {
        let text = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self) + "é😀\u{2028}\u{2029}/\\\""
        var json = JSONWriter()
        json.string(text)
        #expect(String(buffer: json.buffer) == String(decoding: try CanonicalJSON.encoder.encode(text), as: UTF8.self))
        #expect(String(buffer: json.buffer).contains(#"\u001f"#))
        #expect(String(buffer: json.buffer).contains("/"))
    }

    @Test func metadataIsStoredInTheCanonicalStyle() throws {
        var random = SplitMix64(seed: 5)
        for _ in 0..<500 {
            var map: [String: String] = [:]
            for _ in 0..<Int(random.next() % 6) { map[String.random(using: &random)] = String.random(using: &random) }
            #expect(StoredMetadata.encode(map) == String(decoding: try CanonicalJSON.encoder.encode(map), as: UTF8.self))
        }
    }

    @Test(arguments: [0, -0.0, 0.1, 1.5, -2.25, 1e-7, 123_456.789, 1e21, 9_007_199_254_740_993, .pi, -.greatestFiniteMagnitude, 5e-324])
    func numbersAreWrittenAsFoundationWritesDoubles(_ number: Double) throws {
        var json = JSONWriter()
        json.number(number)
        #expect(String(buffer: json.buffer) == String(decoding: try CanonicalJSON.encoder.encode(number), as: UTF8.self))
    }

    @Test func commasSeparateMembersAndElementsAtEveryDepth() {
        var json = JSONWriter()
        json.object { json in
            json.key("a")
            json.array([1, 2, 3]) { $0.integer($1) }
            json.key("b")
            json.object { json in
                json.field("c", true)
                json.field("d", nil as String?)
            }
            json.field("e", json: #"{"x":[]}"#)
        }
        #expect(String(buffer: json.buffer) == #"{"a":[1,2,3],"b":{"c":true,"d":null},"e":{"x":[]}}"#)
    }
}

// MARK: - Random values

/// A small seeded generator, so a failure is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    /// Up to 12 characters drawn from what JSON must escape and what it must not.
    static func random(using random: inout SplitMix64) -> String {
        let alphabet: [Character] = [
            "a", "b", "Z", "0", "_", " ", "/", "\\", "\"", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "\u{7F}",
            "é", "ß", "中", "😀", "\u{2028}", "\u{FEFF}", "<", "&", "'",
        ]
        return String((0..<Int(random.next() % 13)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }
}

extension JSONValue {
    static func random(depth: Int, using random: inout SplitMix64) -> JSONValue {
        switch random.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(random.next() % 2 == 0)
        case 2:
            switch random.next() % 4 {
            case 0: return .number(Double(Int64(bitPattern: random.next()) % 9_007_199_254_740_992))
            case 1: return .number(Double(Int64(bitPattern: random.next()) % 1_000))
            case 2: return .number(Double(Int64(bitPattern: random.next()) % 1_000_000) / 997)
            default: return .number(Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF) * (random.next() % 2 == 0 ? 1 : -1))
            }
        case 3: return .string(String.random(using: &random))
        case 4: return .array((0..<Int(random.next() % 5)).map { _ in JSONValue.random(depth: depth + 1, using: &random) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int(random.next() % 6) { fields[String.random(using: &random)] = JSONValue.random(depth: depth + 1, using: &random) }
            return .object(fields)
        }
    }

}
