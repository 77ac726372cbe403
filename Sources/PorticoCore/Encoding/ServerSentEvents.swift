/// One server-sent event (the WHATWG `text/event-stream` format): what
/// `portico listen` and `portico logs tail` receive, written by the server
/// and read by the CLI with the same rules.
package struct ServerSentEvent: Sendable, Equatable {
    package var event: String?
    package var id: String?
    package var data: String

    package init(event: String? = nil, id: String? = nil, data: String) {
        self.event = event
        self.id = id
        self.data = data
    }

    /// The event as it goes on the wire: fields, each line of `data` on its own `data:` line, a blank line.
    /// Line breaks in `event` and `id` (which cannot carry them) are dropped.
    package var encoded: String {
        var text = ""
        if let event { text += "event: \(Self.oneLine(event))\n" }
        if let id { text += "id: \(Self.oneLine(id))\n" }
        for line in Self.lines(data) { text += "data: \(line)\n" }
        return text + "\n"
    }

    /// `text` cut at the event-stream format's line breaks (`\r\n`, `\r`, `\n`) and no others:
    /// U+2028 and its kind stay inside a line (JSON leaves them unescaped), and `\r\n`, one
    /// `Character` in Swift, is one break. Scalars, not Characters, so no grapheme rule interferes.
    static func lines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r":
                lines.append(String(current))
                current = String.UnicodeScalarView()
                afterCR = true
                continue
            case "\n":
                if !afterCR {
                    lines.append(String(current))
                    current = String.UnicodeScalarView()
                }
            default:
                current.append(scalar)
            }
            afterCR = false
        }
        lines.append(String(current))
        return lines
    }

    /// A comment line: keeps an idle connection (and its proxies) from timing out, and
    /// lets the server notice a client that went away.
    package static let keepAlive = ": keep-alive\n\n"

    private static func oneLine(_ text: String) -> String { lines(text).joined() }
}

/// Reads a `text/event-stream` in whatever chunks it arrives: comments are
/// skipped, `data` lines joined with line breaks, an event dispatched at each
/// blank line (one without data is dropped, as the specification says).
package struct ServerSentEventParser: Sendable {
    private var pending: [UInt8] = []
    private var event: String?
    private var id: String?
    private var data: [String] = []
    /// The longest line kept (a stream that never ends a line is cut off rather than buffered without end).
    package static let maxLineBytes = 4 << 20

    package init() {}

    package mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            guard byte == UInt8(ascii: "\n") else {
                if pending.count < Self.maxLineBytes { pending.append(byte) }
                continue
            }
            if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
            let line = String(decoding: pending, as: UTF8.self)
            pending.removeAll(keepingCapacity: true)
            if let dispatched = take(line) { events.append(dispatched) }
        }
        return events
    }

    private mutating func take(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer {
                event = nil
                data = []
            }
            guard !data.isEmpty else { return nil }
            return ServerSentEvent(event: event, id: id, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let field = String(parts[0])
        var value = parts.count > 1 ? String(parts[1]) : ""
        if value.hasPrefix(" ") { value.removeFirst() }
        switch field {
        case "event": event = value
        case "id": id = value
        case "data": data.append(value)
        default: break
        }
        return nil
    }
}
