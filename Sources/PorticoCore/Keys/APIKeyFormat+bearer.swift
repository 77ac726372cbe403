extension APIKeyFormat {
    /// The credential of a `Bearer` header (scheme case-insensitive, spaces
    /// trimmed), scanning UTF-8 bytes: this runs on every request.
    package static func bearerToken(_ header: String) -> Substring? {
        let utf8 = header.utf8
        let space = UInt8(ascii: " ")
        guard utf8.count > 7, utf8.prefix(6).elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }),
            utf8.dropFirst(6).first == space
        else { return nil }
        var start = utf8.index(utf8.startIndex, offsetBy: 7)
        var end = utf8.endIndex
        while start < end, utf8[start] == space { start = utf8.index(after: start) }
        while end > start, utf8[utf8.index(before: end)] == space { end = utf8.index(before: end) }
        return header[start..<end]
    }
}
