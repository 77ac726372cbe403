/// A piece of HTML, built by string interpolation in which every value is
/// escaped unless it is itself `HTML`:
///
///     let name = "<script>"
///     let row: HTML = "<td>\(name)</td>"          // <td>&lt;script&gt;</td>
///     let page: HTML = "<tr>\(row)</tr>"           // row inserted as markup
///
/// Escaping is the default and raw markup has to be asked for by type, so a
/// template cannot forget to escape a value. The pages are Swift functions
/// returning `HTML`: compiled into the binary, checked by the compiler.
struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation {
    private(set) var text: String

    init(stringLiteral literal: String) {
        text = literal
    }

    init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
    }

    /// Markup from a trusted source (a constant in this binary); never user data.
    static func trusted(_ markup: String) -> HTML {
        HTML(stringLiteral: markup)
    }

    static let empty: HTML = ""

    struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ html: HTML) { text += html.text }
        mutating func appendInterpolation(_ html: HTML?) { if let html { text += html.text } }
        mutating func appendInterpolation(_ parts: [HTML]) { for part in parts { text += part.text } }
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }
        mutating func appendInterpolation(_ value: Substring) { text += HTML.escape(String(value)) }
        /// Nothing for nil, so optional fields need no ceremony.
        mutating func appendInterpolation(_ value: String?) { if let value { text += HTML.escape(value) } }
        mutating func appendInterpolation<Value: CustomStringConvertible>(_ value: Value) { text += HTML.escape(value.description) }
    }

    /// Escapes the five characters that matter in text and in quoted attribute values.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}

extension Array where Element == HTML {
    func joined(separator: HTML = .empty) -> HTML {
        var text = ""
        for (index, part) in enumerated() {
            if index > 0 { text += separator.text }
            text += part.text
        }
        return .trusted(text)
    }
}
