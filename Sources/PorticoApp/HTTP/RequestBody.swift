import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore

/// A JSON object request body, read field by field so every mistake is
/// reported with the `param` at fault and unknown fields are refused.
struct RequestBody: Sendable {
    private(set) var fields: [String: JSONValue]

    init(fields: [String: JSONValue]) {
        self.fields = fields
    }

    /// Reads and parses the body: 415 unless JSON, 413 past the size limit,
    /// 400 unless a well-formed JSON object. An empty body is an empty object.
    static func decode(_ request: Request, context: PorticoRequestContext) async throws -> RequestBody {
        var request = request
        let buffer = try await collect(&request, context: context)
        if buffer.readableBytes == 0 { return RequestBody(fields: [:]) }
        try requireJSONContentType(request)
        return try parse(Data(buffer: buffer))
    }

    static func collect(_ request: inout Request, context: PorticoRequestContext) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > context.maxBodyBytes {
            throw tooLarge(context)
        }
        do {
            return try await request.collectBody(upTo: context.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // Hummingbird's HTTPError, or NIO's NIOTooManyBytesError for a chunked body past the limit.
            throw tooLarge(context)
        } catch {
            // Reading the body failed: the client went away (or the connection timed out) mid-body.
            // Recorded as 499, not as a server error; nobody is left to receive it.
            throw APIError(.clientClosedRequest, "The client closed the connection before the request body was complete.")
        }
    }

    static func requireJSONContentType(_ request: Request) throws {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else {
            throw APIError(
                .unsupportedMediaType,
                "Request bodies must be JSON; send Content-Type: application/json (got \(type.map { "'\($0)'" } ?? "none"))."
            )
        }
    }

    /// Strict: a repeated member name, a NUL in a string, an integer beyond
    /// ±2^53 or invalid UTF-8 is a 400 naming where (see `StrictJSONParser`).
    static func parse(_ data: Data) throws -> RequestBody {
        let value: JSONValue
        do {
            value = try StrictJSONParser.parse(Array(data))
        } catch {
            throw APIError(.invalidJSON, error.message, param: error.path)
        }
        guard case .object(let fields) = value else {
            throw APIError(.invalidJSON, "The request body must be a JSON object, not \(value.typeName).")
        }
        return RequestBody(fields: fields)
    }

    static func tooLarge(_ context: PorticoRequestContext) -> APIError {
        APIError(.requestTooLarge, "The request body exceeds the limit of \(context.maxBodyBytes) bytes.")
    }

    // MARK: Field access

    /// Refuses any field not in `allowed`, naming the first one (in sorted order).
    func allowOnly(_ allowed: Set<String>) throws {
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(.parameterUnknown, "Received unknown parameter: \(unknown).", param: unknown)
        }
    }

    /// A field's update: absent (leave alone), null (clear) or a value.
    enum Update<Value: Sendable>: Sendable {
        case absent
        case clear
        case set(Value)
    }

    /// An optional string of at most `maxLength` characters.
    func string(_ name: String, maxLength: Int, validate: ((String) -> Bool)? = nil, expected: String? = nil) throws -> Update<String> {
        switch fields[name] {
        case nil: return .absent
        case .null: return .clear
        case .string(let value):
            guard value.count <= maxLength else {
                throw APIError.invalid(name, "\(name) must be at most \(maxLength) characters.")
            }
            if let validate, !validate(value) {
                throw APIError.invalid(name, "\(name) must be \(expected ?? "valid").")
            }
            return .set(value)
        case let other?:
            throw APIError.invalid(name, "\(name) must be a string, not \(other.typeName).")
        }
    }

    /// A time: an RFC 3339 string or Unix seconds, as in query strings; nil when absent or null.
    func time(_ name: String) throws -> Int64? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let text)?: return try QueryValue.time(text, name)
        case let value?:
            guard let seconds = value.integer else {
                throw APIError.invalid(name, "\(name) must be an RFC 3339 time (2026-11-22T10:00:00Z) or Unix seconds.")
            }
            return try QueryValue.time(String(seconds), name)
        }
    }

    /// A string-to-string map with bounded size (Stripe's metadata rules). A
    /// null value for a key means "remove this key" when updating.
    func metadata(_ name: String, maxKeys: Int = 50, maxKeyLength: Int = 40, maxValueLength: Int = 500) throws -> Update<[String: String?]> {
        switch fields[name] {
        case nil: return .absent
        case .null: return .clear
        case .object(let entries):
            guard entries.count <= maxKeys else {
                throw APIError.invalid(name, "\(name) can have at most \(maxKeys) keys.")
            }
            var result: [String: String?] = [:]
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
                let param = "\(name)[\(key)]"
                guard !key.isEmpty, key.count <= maxKeyLength else {
                    throw APIError.invalid(param, "\(name) keys must be 1 to \(maxKeyLength) characters.")
                }
                switch value {
                case .string(let text) where text.count <= maxValueLength:
                    result[key] = .some(text)
                case .string:
                    throw APIError.invalid(param, "\(name) values must be at most \(maxValueLength) characters.")
                case .null:
                    result[key] = .some(nil)
                default:
                    throw APIError.invalid(param, "\(name) values must be strings, not \(value.typeName).")
                }
            }
            return .set(result)
        case let other?:
            throw APIError.invalid(name, "\(name) must be an object of strings, not \(other.typeName).")
        }
    }
}
