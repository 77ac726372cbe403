import Foundation

/// A mailbox address Portico writes to or from: one `@`, a domain of
/// letters, digits, hyphens and dots, and nothing that could end an SMTP
/// command or a header line.
public struct MailAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let address: String

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        // A sender on a one-label domain (portico@localhost) is fine; recipients are checked as
        // EmailAddress where they are entered. What can never pass: anything that ends a line or
        // an SMTP path, a second address, a display name.
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, trimmed.count <= 254,
            parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !parts[1].contains(".."),
            parts[0].allSatisfy({ $0.isASCII && $0.asciiValue! > 0x20 && $0.asciiValue! < 0x7F && !"<>,;\"()\\[]:".contains($0) })
        else { return nil }
        address = trimmed
    }

    public var description: String { address }
    /// The part after `@`, for the Message-ID.
    public var domain: String { String(address.split(separator: "@").last ?? "localhost") }

    /// A Message-ID unique to one outbox row, on the sender's domain: a retry of the same row keeps it,
    /// so a receiving server that saw the first try can tell.
    public func messageID(for id: String) -> String { "<\(id)@\(domain)>" }
}

/// One mail as Portico sends it: plain text and (optionally) HTML alternatives,
/// rendered to RFC 5322 with CRLF line ends, base64 bodies and an RFC 2047
/// subject when it is not ASCII. Dot-stuffing belongs to the SMTP client.
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var subject: String
    public var text: String
    public var html: String?
    /// With angle brackets: `<id@domain>`.
    public var messageID: String
    /// Milliseconds since 1970 (the Date header).
    public var date: Int64

    public init(from: MailAddress, to: [MailAddress], subject: String, text: String, html: String?, messageID: String, date: Int64) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }

    /// The whole message: headers, a blank line, the body.
    public func rendered() -> String {
        var headers = [
            "From: \(from.address)",
            "To: \(to.map(\.address).joined(separator: ", "))",
            "Subject: \(Self.encodedHeader(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
        ]
        var body: [String]
        if let html {
            // Derived from the Message-ID: a boundary that no base64 line can contain (it has a '=' and '_').
            let boundary = "=_portico_" + String(messageID.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
            headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            body = ["This is a multi-part message in MIME format.", "--\(boundary)"]
            body += Self.part("text/plain", text) + ["--\(boundary)"] + Self.part("text/html", html) + ["--\(boundary)--"]
        } else {
            headers += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"]
            body = Self.base64Lines(text)
        }
        return (headers + [""] + body).joined(separator: "\r\n") + "\r\n"
    }

    private static func part(_ type: String, _ content: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""] + base64Lines(content)
    }

    /// Base64 in lines of 76 characters, as RFC 2045 requires; line ends normalised to CRLF first.
    static func base64Lines(_ text: String) -> [String] {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        let encoded = Data(normalised.utf8).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
    }

    /// A header value as is when it is printable ASCII, else as RFC 2047 encoded words
    /// (UTF-8, base64), split so no encoded word passes 75 characters. Line breaks never survive.
    static func encodedHeader(_ value: String) -> String {
        let flat = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) { return flat }
        var words: [String] = []
        var chunk = ""
        for character in flat {
            // 45 bytes of UTF-8 give 60 base64 characters, with "=?utf-8?B?" and "?=" 72.
            if Data((chunk + String(character)).utf8).count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?utf-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000))
    }
}
