/// A gateway route's path, as written in config: literal segments, `{name}`
/// segments that match any one segment, and an optional trailing `/*` that
/// matches the path itself and everything below it (`/v1/files/*`).
///
/// Portico's own routes are templates of the same kind (OpenAPI's
/// `/v1/customers/{id}`), so "would this gateway route shadow one of
/// Portico's?" is `overlaps`, decided on the templates alone.
package struct PathTemplate: Sendable, Equatable, CustomStringConvertible {
    package enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    /// Why a template was refused, for the config error that names it.
    package struct Invalid: Error, Equatable, CustomStringConvertible {
        package let description: String
    }

    package let segments: [Segment]
    /// A trailing `/*`: the template matches its own path and any path below it.
    package let isPrefix: Bool
    /// The template as written.
    package let text: String

    package var description: String { text }

    package init(_ text: String) throws(Invalid) {
        guard text.hasPrefix("/") else { throw Invalid(description: "must start with /") }
        var parts = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        isPrefix = parts.last == "*"
        if isPrefix { parts.removeLast() }
        var names = Set<String>()
        var segments: [Segment] = []
        for part in parts {
            if part.hasPrefix("{"), part.hasSuffix("}"), part.count > 2 {
                let name = String(part.dropFirst().dropLast())
                guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    throw Invalid(description: "parameter {\(name)} may hold only letters, digits and _")
                }
                guard names.insert(name).inserted else { throw Invalid(description: "names parameter {\(name)} twice") }
                segments.append(.parameter(name))
            } else {
                guard !part.isEmpty else { throw Invalid(description: "has an empty segment") }
                guard part != ".", part != "..", part.allSatisfy(Self.isLiteralCharacter) else {
                    throw Invalid(description: "segment \"\(part)\" may hold only letters, digits and - . _ ~ (or be {name}, or a trailing *)")
                }
                segments.append(.literal(part))
            }
        }
        guard !segments.isEmpty else { throw Invalid(description: "has no segments") }
        self.segments = segments
        self.text = text
    }

    /// The literal segments the template starts with, as a path (`/v1/orders` for `/v1/orders/{id}`).
    package var literalPrefix: String {
        var path = ""
        for segment in segments {
            guard case .literal(let text) = segment else { break }
            path += "/" + text
        }
        return path
    }

    /// Whether a request path (without its query) matches. Empty segments
    /// (`//`, a trailing `/`) never match a segment.
    package func matches(_ path: String) -> Bool {
        guard path.utf8.first == UInt8(ascii: "/") else { return false }
        var index = 0
        for part in path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            guard index < segments.count else { return isPrefix && !part.isEmpty }
            switch segments[index] {
            case .literal(let literal):
                guard part.elementsEqual(literal.utf8) else { return false }
            case .parameter:
                guard !part.isEmpty else { return false }
            }
            index += 1
        }
        return index == segments.count
    }

    /// Whether some path matches both templates (a parameter matches any one
    /// segment, a prefix template any number of further segments).
    package func overlaps(_ other: PathTemplate) -> Bool {
        for (mine, theirs) in zip(segments, other.segments) {
            if case .literal(let a) = mine, case .literal(let b) = theirs, a != b { return false }
        }
        if segments.count == other.segments.count { return true }
        return segments.count < other.segments.count ? isPrefix : other.isPrefix
    }

    /// RFC 3986 unreserved characters: a literal segment is matched byte for byte, so nothing that percent-encoding could disguise.
    private static func isLiteralCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-._~".contains(character))
    }
}

extension PathTemplate {
    /// Whether a request path holds a `.` or `..` segment, written plainly or
    /// percent-encoded (`%2e%2E`), or a backslash or encoded slash: the upstream would
    /// resolve it to a path outside the route that let the request through.
    package static func escapesRoute(_ path: String) -> Bool {
        for part in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            var dots = 0
            var other = false
            var bytes = part[...]
            while let byte = bytes.first {
                if byte == UInt8(ascii: "%"), bytes.count >= 3 {
                    let code = String(decoding: bytes.dropFirst().prefix(2), as: UTF8.self).lowercased()
                    if code == "2f" || code == "5c" { return true }
                    if code == "2e" { dots += 1 } else { other = true }
                    bytes = bytes.dropFirst(3)
                } else {
                    if byte == UInt8(ascii: "\\") { return true }
                    if byte == UInt8(ascii: ".") { dots += 1 } else { other = true }
                    bytes = bytes.dropFirst()
                }
            }
            if !other, dots == 1 || dots == 2 { return true }
        }
        return false
    }
}
