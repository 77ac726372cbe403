import Foundation
import PorticoCore

@testable import PorticoApp

/// Checks a JSON value against a JSON Schema from the OpenAPI document: the
/// subset the document uses ($ref, type, properties, required,
/// additionalProperties, items, enum, const, anyOf, minimum/maximum,
/// maxLength, date-time). Returns every violation with its path, so a
/// failing test says which field is wrong.
struct SchemaValidator {
    let document: JSONValue

    func violations(of value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        guard case .object(let rules) = schema else { return [] }
        if case .string(let reference)? = rules["$ref"] { return violations(of: value, against: resolve(reference), at: path) }
        var problems: [String] = []
        if case .array(let options)? = rules["anyOf"] {
            if !options.contains(where: { violations(of: value, against: $0, at: path).isEmpty }) {
                problems.append("\(path): matches no anyOf branch")
            }
        }
        if let type = rules["type"] {
            let allowed: [String]
            switch type {
            case .string(let one): allowed = [one]
            case .array(let many): allowed = many.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: allowed = []
            }
            if !allowed.contains(where: { Self.matches(value, type: $0) }) {
                return ["\(path): expected \(allowed.joined(separator: " or ")), got \(value.typeName)"]
            }
        }
        if case .array(let values)? = rules["enum"], !values.contains(value) { problems.append("\(path): \(value) is not one of \(values)") }
        if let constant = rules["const"], constant != value { problems.append("\(path): expected \(constant)") }
        if case .number(let minimum)? = rules["minimum"], case .number(let number) = value, number < minimum {
            problems.append("\(path): below \(minimum)")
        }
        if case .number(let maximum)? = rules["maximum"], case .number(let number) = value, number > maximum {
            problems.append("\(path): above \(maximum)")
        }
        if case .string("date-time")? = rules["format"], case .string(let text) = value, RFC3339.date(text) == nil {
            problems.append("\(path): \(text) is not a date-time")
        }
        if case .object(let fields) = value {
            let properties: [String: JSONValue]
            if case .object(let declared)? = rules["properties"] { properties = declared } else { properties = [:] }
            if case .array(let required)? = rules["required"] {
                for case .string(let name) in required where fields[name] == nil { problems.append("\(path).\(name): required but missing") }
            }
            for (name, field) in fields {
                if let property = properties[name] {
                    problems += violations(of: field, against: property, at: "\(path).\(name)")
                } else if case .bool(false)? = rules["additionalProperties"] {
                    problems.append("\(path).\(name): not in the schema")
                } else if let extra = rules["additionalProperties"], case .object = extra {
                    problems += violations(of: field, against: extra, at: "\(path).\(name)")
                }
            }
        }
        if case .array(let items) = value, let itemSchema = rules["items"] {
            for (index, item) in items.enumerated() { problems += violations(of: item, against: itemSchema, at: "\(path)[\(index)]") }
        }
        return problems
    }

    /// The response schema of an operation for a status (falling back to `default`).
    func responseSchema(method: String, path: String, status: Int) -> JSONValue? {
        guard case .object(let paths)? = document["paths"], case .object(let item)? = paths[path],
            case .object(let operation)? = item[method.lowercased()],
            case .object(let responses)? = operation["responses"]
        else { return nil }
        guard var response = responses[String(status)] ?? responses["default"] else { return nil }
        if case .string(let reference)? = response["$ref"] { response = resolve(reference) }
        guard case .object(let content)? = response["content"], let media = content.values.first, let schema = media["schema"] else { return nil }
        return schema
    }

    private func resolve(_ reference: String) -> JSONValue {
        var node = document
        for part in reference.dropFirst(2).split(separator: "/") { node = node[String(part)] ?? .null }
        return node
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }
}
