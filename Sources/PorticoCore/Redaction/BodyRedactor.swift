import Foundation

/// Prepares a captured body for storage: secrets replaced, then cut to size.
///
/// JSON bodies are walked: any field whose name contains a sensitive word
/// (`request_logs.sensitive_fields`, case-insensitive) has its value
/// replaced, and so does any string or number that looks like an API key, a
/// webhook secret, a bearer token or a card number (13–19 digits passing the
/// Luhn check). Other text gets the same value checks token by token. Bodies
/// that are not UTF-8 are described, never stored.
package struct BodyRedactor: Sendable {
    package static let mask = "[REDACTED]"
    package let sensitiveFields: [String]
    package let maxBytes: Int

    package init(sensitiveFields: [String], maxBytes: Int) {
        self.sensitiveFields = sensitiveFields.map { $0.lowercased() }
        self.maxBytes = maxBytes
    }

    /// The body as it may be stored, or nil when it is empty.
    package func redact(_ data: Data) -> String? {
        guard !data.isEmpty else { return nil }
        let text: String
        if let json = try? JSONDecoder().decode(JSONValue.self, from: data), let encoded = try? CanonicalJSON.encoder.encode(redact(json)) {
            text = String(decoding: encoded, as: UTF8.self)
        } else if let plain = String(data: data, encoding: .utf8) {
            text = redactText(plain)
        } else {
            return "[binary body of \(data.count) bytes]"
        }
        return cut(text)
    }

    package func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            var result: [String: JSONValue] = [:]
            for (name, field) in fields {
                result[name] = isSensitive(name: name) && field != .null ? .string(Self.mask) : redact(field)
            }
            return .object(result)
        case .array(let items):
            return .array(items.map(redact))
        case .string(let text):
            return .string(Self.isSecretValue(text) ? Self.mask : redactText(text))
        case .number(let number):
            return number.rounded() == number && Self.isCardNumber(String(format: "%.0f", number)) ? .string(Self.mask) : value
        case .null, .bool:
            return value
        }
    }

    func isSensitive(name: String) -> Bool {
        let lowered = name.lowercased()
        return sensitiveFields.contains { lowered.contains($0) }
    }

    /// Masks card numbers (digits with optional single spaces or dashes
    /// between) and secret-looking tokens in free text, keeping the rest.
    func redactText(_ text: String) -> String {
        tokens(Self.maskCardRuns(text))
    }

    private static let cardRun = try! NSRegularExpression(pattern: "(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")

    static func maskCardRuns(_ text: String) -> String {
        let whole = NSRange(text.startIndex..., in: text)
        var result = text
        for match in cardRun.matches(in: text, range: whole).reversed() {
            guard let range = Range(match.range, in: text), isCardNumber(String(text[range])) else { continue }
            result.replaceSubrange(Range(match.range, in: result)!, with: mask)
        }
        return result
    }

    private func tokens(_ text: String) -> String {
        var output = ""
        var token = ""
        func flush() {
            output += Self.isSecretValue(token) ? Self.mask : token
            token = ""
        }
        for character in text {
            if character.isWhitespace || ",;&=\"'<>()[]{}".contains(character) {
                flush()
                output.append(character)
            } else {
                token.append(character)
            }
        }
        flush()
        return output
    }

    private func cut(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > maxBytes else { return text }
        // A character split at the cut decodes as U+FFFD; drop it.
        var kept = String(decoding: utf8.prefix(maxBytes), as: UTF8.self)
        if kept.last == "\u{FFFD}" { kept.removeLast() }
        return kept + "…[cut, \(utf8.count) bytes in all]"
    }

    static func isSecretValue(_ text: String) -> Bool {
        APIKeyFormat.looksLikeKey(text) || text.hasPrefix(WebhookSecret.prefix) || text.lowercased().hasPrefix("bearer ") || isCardNumber(text)
    }

    /// 13–19 digits (spaces and dashes allowed between) that pass the Luhn check.
    static func isCardNumber(_ text: String) -> Bool {
        var digits: [Int] = []
        for character in text {
            if let digit = character.wholeNumberValue, character.isASCII {
                digits.append(digit)
            } else if character != " " && character != "-" {
                return false
            }
        }
        guard (13...19).contains(digits.count) else { return false }
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            let value = offset % 2 == 1 ? digit * 2 : digit
            sum += value > 9 ? value - 9 : value
        }
        return sum % 10 == 0
    }
}
