import Foundation
import PostgresNIO

/// Reads and writes the Core's `Codable` records as rows, by their coding
/// keys (the column names), as GRDB does for the SQLite engine: one record
/// type, two engines, no second list of columns to keep in step.
///
/// Keys are snake-cased (`requestId` → `request_id`), as GRDB's
/// `convertToSnakeCase` does for the records that spell their keys in Swift's
/// case; keys already written as columns pass unchanged.
///
/// Only what the records hold is supported: text, integers, booleans,
/// doubles, bytes (`Data` ⇄ BYTEA), optionals of them, and enums with a raw
/// value of one of them.
enum RowCoding {
    /// Decodes `T` from the row by column name.
    static func decode<T: Decodable>(_ type: T.Type, from row: PostgresRow) throws -> T {
        try T(from: RowDecoder(row: row.makeRandomAccess()))
    }

    /// The column a coding key names.
    static func column(_ key: some CodingKey) -> String {
        let name = key.stringValue
        guard name.contains(where: \.isUppercase) else { return name }
        var column = ""
        for character in name {
            if character.isUppercase {
                column.append("_")
                column.append(contentsOf: character.lowercased())
            } else {
                column.append(character)
            }
        }
        return column
    }

    /// The record's columns and their values, in its coding keys' order.
    static func encode<T: Encodable>(_ record: T) throws -> (columns: [String], bindings: PostgresBindings) {
        let encoder = RowEncoder()
        try record.encode(to: encoder)
        return (encoder.storage.columns, encoder.storage.bindings)
    }
}

// MARK: - Decoding

private struct RowDecoder: Decoder {
    let row: PostgresRandomAccessRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RowContainer(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "a row decodes only as a keyed record"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "a row decodes only as a keyed record"))
    }
}

private struct RowContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: PostgresRandomAccessRow
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { row.contains(RowCoding.column(key)) }

    func decodeNil(forKey key: Key) throws -> Bool {
        let column = RowCoding.column(key)
        guard row.contains(column) else { return true }
        return row[column].bytes == nil
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let column = RowCoding.column(key)
        guard row.contains(column) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "no column \(column) in the row"))
        }
        return try CellDecoder(cell: row[column]).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "columns hold no nested records"))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "columns hold no arrays"))
    }

    func superDecoder() throws -> any Decoder { RowDecoder(row: row) }
    func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }
}

/// One column's value, as a primitive or as a raw-value enum's single value.
private struct CellDecoder: Decoder, SingleValueDecodingContainer {
    let cell: PostgresCell
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try cell.decode(String.self) as! T
        case is Int64.Type: return try cell.decode(Int64.self) as! T
        case is Int.Type: return try cell.decode(Int.self) as! T
        case is Bool.Type: return try cell.decode(Bool.self) as! T
        case is Double.Type: return try cell.decode(Double.self) as! T
        case is Data.Type: return try cell.decode(Data.self) as! T
        default: return try T(from: self)
        }
    }

    func decodeNil() -> Bool { cell.bytes == nil }
    func decode(_ type: Bool.Type) throws -> Bool { try cell.decode(Bool.self) }
    func decode(_ type: String.Type) throws -> String { try cell.decode(String.self) }
    func decode(_ type: Double.Type) throws -> Double { try cell.decode(Double.self) }
    func decode(_ type: Int.Type) throws -> Int { try cell.decode(Int.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try cell.decode(Int64.self) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw DecodingError.typeMismatch(type, .init(codingPath: [], debugDescription: "a column holds no nested record"))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "a column holds no array"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }
}

// MARK: - Encoding

private final class RowStorage {
    var columns: [String] = []
    var bindings = PostgresBindings()
}

private struct RowEncoder: Encoder {
    let storage = RowStorage()
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(RowEncodingContainer(storage: storage))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { fatalError("a record encodes as a keyed row") }
    func singleValueContainer() -> any SingleValueEncodingContainer { fatalError("a record encodes as a keyed row") }
}

/// Every optional is written, nil as NULL: an UPDATE built from a record must
/// clear what the record cleared (Swift's default `encodeIfPresent` would
/// leave the column out).
private struct RowEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let storage: RowStorage
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws {
        storage.columns.append(RowCoding.column(key))
        storage.bindings.appendNull()
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        storage.columns.append(RowCoding.column(key))
        try CellEncoder.bind(value, into: storage)
    }

    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeIfPresent(value as Bool?, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeIfPresent(value as String?, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeIfPresent(value as Double?, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeIfPresent(value as Int?, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeIfPresent(value as Int64?, key) }

    private mutating func encodeIfPresent<T: Encodable>(_ value: T?, _ key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        fatalError("columns hold no nested records")
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { fatalError("columns hold no arrays") }
    mutating func superEncoder() -> any Encoder { RowEncoder() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { RowEncoder() }
}

/// One value as one binding: a primitive directly, anything else (a raw-value
/// enum) through its single value.
private final class CellEncoder: Encoder, SingleValueEncodingContainer {
    let storage: RowStorage
    var appended = 0
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(storage: RowStorage) { self.storage = storage }

    static func bind<T: Encodable>(_ value: T, into storage: RowStorage) throws {
        switch value {
        case let value as String: storage.bindings.append(value)
        case let value as Int64: storage.bindings.append(value)
        case let value as Int: storage.bindings.append(Int64(value))
        case let value as Bool: storage.bindings.append(value)
        case let value as Double: storage.bindings.append(value)
        case let value as Data: try storage.bindings.append(value)
        default:
            let encoder = CellEncoder(storage: storage)
            try value.encode(to: encoder)
            guard encoder.appended == 1 else {
                throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(T.self) is not one column's value"))
            }
        }
    }

    func encodeNil() throws {
        storage.bindings.appendNull()
        appended += 1
    }

    func encode<T: Encodable>(_ value: T) throws {
        try Self.bind(value, into: storage)
        appended += 1
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { fatalError("a column holds no nested record") }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { fatalError("a column holds no array") }
    func singleValueContainer() -> any SingleValueEncodingContainer { self }
}
