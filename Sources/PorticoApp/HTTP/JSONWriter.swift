import NIOCore
import PorticoCore

/// A value that writes its own JSON: every API resource, so a response is
/// rendered straight into the `ByteBuffer` that is sent, with no `Encodable`
/// machinery in between (issue 17 measured Foundation's encoder at a fifth of
/// a list request's cost).
protocol JSONWritable {
    func write(to json: inout JSONWriter)
}

/// Writes JSON in Portico's one style (`CanonicalJSON`), byte for byte what
/// Foundation's `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes`
/// writes for the same values:
///
/// - compact; object keys in UTF-8 byte order. A resource writes its fields
///   in that order itself (`JSONWriterTests` holds every resource to the old
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
    private(set) var buffer: ByteBuffer
    private var needsComma = false

    init(capacity: Int = 1_024) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// The JSON of one value, ready to send or to store.
    static func render(_ value: some JSONWritable, capacity: Int = 1_024) -> ByteBuffer {
        var json = JSONWriter(capacity: capacity)
        value.write(to: &json)
        return json.buffer
    }

    /// The same, as text (stored event data).
    static func text(_ value: some JSONWritable) -> String {
        String(buffer: render(value))
    }

    // MARK: Containers

    mutating func object(_ fields: (inout JSONWriter) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        needsComma = false
        fields(&self)
        buffer.writeInteger(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func array<Items: Sequence>(_ items: Items, _ element: (inout JSONWriter, Items.Element) -> Void) {
        separate()
        buffer.writeInteger(UInt8(ascii: "["))
        needsComma = false
        for item in items { element(&self, item) }
        buffer.writeInteger(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A key the caller spells: ASCII that needs no escaping, written in sorted order.
    mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeInteger(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A key from data (a metadata key, a field of posted JSON), escaped.
    mutating func key(_ name: String) {
        separate()
        writeEscaped(name)
        buffer.writeInteger(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Scalars

    mutating func string(_ value: String) {
        separate()
        writeEscaped(value)
        needsComma = true
    }

    /// A string known to need no escaping (Portico's ids, validated event types, times).
    mutating func plainString(_ value: String) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeString(value)
        buffer.writeInteger(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "true" : "false")
        needsComma = true
    }

    mutating func null() {
        separate()
        buffer.writeStaticString("null")
        needsComma = true
    }

    mutating func integer(_ value: some BinaryInteger) {
        separate()
        buffer.writeString(String(value))
        needsComma = true
    }

    /// Foundation's rule for a `Double`: the shortest round-trip digits, `1.0` as `1`.
    mutating func number(_ value: Double) {
        precondition(value.isFinite, "JSON has no \(value)")
        separate()
        let text = value.description
        buffer.writeString(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
        needsComma = true
    }

    /// An RFC 3339 UTC time, the API's one date format.
    mutating func time(milliseconds: Int64) {
        plainString(RFC3339.string(milliseconds: milliseconds))
    }

    /// JSON that is already in this style (stored when written): spliced, not parsed.
    mutating func json(_ text: String) {
        separate()
        buffer.writeString(text)
        needsComma = true
    }

    mutating func json(_ bytes: ByteBuffer) {
        separate()
        buffer.writeImmutableBuffer(bytes)
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

    mutating func field(_ name: StaticString, plain value: String?) {
        key(name)
        if let value { plainString(value) } else { null() }
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
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
    }

    /// A quoted string with Foundation's escapes; runs of bytes that need none are copied whole.
    private mutating func writeEscaped(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if index > start { buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index])) }
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                default:
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(Self.hexDigits[Int(byte >> 4)])
                    buffer.writeInteger(Self.hexDigits[Int(byte & 0x0F)])
                }
            }
            if bytes.count > start { buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...])) }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

extension JSONValue: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.value(self)
    }
}
