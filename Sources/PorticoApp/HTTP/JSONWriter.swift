import NIOCore
import PorticoCore

/// A value that writes its own JSON: every API resource, so a response is
/// rendered straight into the bytes that are sent, with no `Encodable`
/// machinery in between (issue 17 measured Foundation's encoder at a fifth of
/// a list request's cost).
protocol JSONWritable {
    func write(to json: inout JSONWriter)
    /// The bytes to reserve for rendering it whole (a guess; the writer grows past it).
    var renderCapacity: Int { get }
}

extension JSONWritable {
    var renderCapacity: Int { 1_024 }
}

/// Writes JSON in Portico's one style (`CanonicalJSON`), byte for byte what
/// Foundation's `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes`
/// writes for the same values:
///
/// - compact; object keys in UTF-8 byte order. A resource writes its fields
///   in that order itself (`ResourceRenderingTests` holds every resource to the old
///   encoder's output); dictionaries are sorted here.
/// - strings escape `"`, `\` and the C0 controls only (`\b \f \n \r \t`,
///   else `\u00xx`); everything else, `/` and non-ASCII included, is written as is.
/// - integers in decimal; other numbers as Swift's shortest round-trip
///   `description` without a trailing `.0`.
/// - stored JSON (event data, metadata) is spliced in as the bytes it is: it
///   was written by this style when it was stored, so it is never parsed again.
///
/// Commas are the writer's business: `needsComma` is set after each complete
/// value and cleared when a container opens or a key is written.
struct JSONWriter {
    /// The bytes so far. An array, not the `ByteBuffer` they end in: appending a
    /// byte to an array is inlined, where each `ByteBuffer` write checks
    /// uniqueness and capacity (a fifth of a list's rendering, measured).
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 1_024) {
        bytes.reserveCapacity(capacity)
    }

    /// The JSON written, as a buffer to send.
    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    /// The JSON of one value, ready to send or to store.
    static func render(_ value: some JSONWritable, capacity: Int = 1_024) -> ByteBuffer {
        written(value, capacity: capacity).buffer
    }

    /// The same, as text (stored event data, metadata).
    static func text(_ value: some JSONWritable) -> String {
        String(decoding: written(value).bytes, as: UTF8.self)
    }

    private static func written(_ value: some JSONWritable, capacity: Int = 1_024) -> JSONWriter {
        var json = JSONWriter(capacity: capacity)
        value.write(to: &json)
        return json
    }

    // MARK: Containers

    mutating func object(_ fields: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        fields(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<Items: Sequence>(_ items: Items, _ element: (inout JSONWriter, Items.Element) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
        for item in items { element(&self, item) }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A key the caller spells: ASCII that needs no escaping, written in sorted order.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A key from data (a metadata key, a field of posted JSON), escaped.
    mutating func key(_ name: String) {
        separate()
        writeEscaped(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Scalars

    mutating func string(_ value: String) {
        separate()
        writeEscaped(value)
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        writeStatic(value ? "true" : "false")
        needsComma = true
    }

    mutating func null() {
        separate()
        writeStatic("null")
        needsComma = true
    }

    mutating func integer(_ value: some BinaryInteger) {
        separate()
        if let small = Int64(exactly: value) {
            Self.appendDecimal(small, to: &bytes)
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
        needsComma = true
    }

    /// Foundation's rule for a `Double`: the shortest round-trip digits, `1.0` as `1`.
    /// JSON has no NaN or infinity (Foundation threw; no resource can hold one): `null`.
    mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        let text = value.description
        bytes.append(contentsOf: (text.hasSuffix(".0") ? String(text.dropLast(2)) : text).utf8)
        needsComma = true
    }

    /// An RFC 3339 UTC time, the API's one date format.
    mutating func time(milliseconds: Int64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        RFC3339.append(milliseconds: milliseconds, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// JSON that is already in this style (stored when written): spliced, not parsed.
    mutating func json(_ text: String) {
        separate()
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    mutating func value(_ value: some JSONWritable) {
        value.write(to: &self)
    }

    /// An arbitrary value; object members in key order, numbers as `JSONValue` encodes them.
    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number):
            if let integer = value.integer { self.integer(integer) } else { self.number(number) }
        case .string(let text): string(text)
        case .array(let items): array(items) { $0.value($1) }
        case .object(let fields):
            object { json in
                for (name, member) in Self.sorted(fields) {
                    json.key(name)
                    json.value(member)
                }
            }
        }
    }

    /// A map of strings (metadata) with its keys in order.
    mutating func value(_ map: [String: String]) {
        object { json in
            for (name, member) in Self.sorted(map) {
                json.key(name)
                json.string(member)
            }
        }
    }

    /// Members in the canonical order: by the keys' UTF-8 bytes, as Foundation sorts on Linux.
    private static func sorted<Value>(_ fields: [String: Value]) -> [(key: String, value: Value)] {
        fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    // MARK: Fields

    mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    /// `null` when absent: the API's objects always carry every field.
    mutating func field(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    mutating func field(_ name: StaticString, _ value: some BinaryInteger) {
        key(name)
        integer(value)
    }

    mutating func field<Integer: BinaryInteger>(_ name: StaticString, _ value: Integer?) {
        key(name)
        if let value { integer(value) } else { null() }
    }

    mutating func field(_ name: StaticString, _ values: [String]) {
        key(name)
        array(values) { $0.string($1) }
    }

    mutating func field(_ name: StaticString, time milliseconds: Int64) {
        key(name)
        time(milliseconds: milliseconds)
    }

    mutating func field(_ name: StaticString, time milliseconds: Int64?) {
        key(name)
        if let milliseconds { time(milliseconds: milliseconds) } else { null() }
    }

    mutating func field(_ name: StaticString, json text: String) {
        key(name)
        json(text)
    }

    mutating func field(_ name: StaticString, _ value: some JSONWritable) {
        key(name)
        value.write(to: &self)
    }

    // MARK: Bytes

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func writeStatic(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Decimal digits without going through `String`.
    private static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 20 digits at most, written backwards
        withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: scratch[index...])
        }
    }

    /// A quoted string with Foundation's escapes; runs of bytes that need none are copied whole.
    private mutating func writeEscaped(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if index > start { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): writeStatic("\\\"")
                case UInt8(ascii: "\\"): writeStatic("\\\\")
                case 0x08: writeStatic("\\b")
                case 0x0C: writeStatic("\\f")
                case 0x0A: writeStatic("\\n")
                case 0x0D: writeStatic("\\r")
                case 0x09: writeStatic("\\t")
                default:
                    writeStatic("\\u00")
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0F)])
                }
            }
            if utf8.count > start { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

extension JSONValue: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.value(self)
    }
}
