import Foundation
import Testing

@testable import PorticoCore

struct MailMessageTests {
    static let message = MailMessage(
        from: MailAddress("portico@example.com")!,
        to: [MailAddress("ada@example.org")!],
        subject: "Your invitation",
        text: "Hello,\nfollow https://portico.example.com/x?t=1\n.\n",
        html: "<p>Hello</p>",
        messageID: MailAddress("portico@example.com")!.messageID(for: "mail_1"),
        date: 1_764_547_200_000
    )

    @Test func addressesThatCouldBreakACommandOrHeaderAreRefused() {
        #expect(MailAddress("ada@example.org")?.address == "ada@example.org")
        #expect(MailAddress("portico@localhost") != nil)
        for bad in [
            "ada@example.org\r\nRCPT TO:<x@y.z>", "Ada <ada@example.org>", "ada@example.org,b@c.d", "no-at-sign", "a b@c.d", "ä@b.cd", "a@b..c",
            "a@-x_y.z",
        ] {
            #expect(MailAddress(bad) == nil, "\(bad)")
        }
        #expect(MailAddress("ops@mail.example.com")?.messageID(for: "mail_9") == "<mail_9@mail.example.com>")
    }

    @Test func renderedMailHasCRLFLinesBase64PartsAndTheHeadersItNeeds() throws {
        let rendered = Self.message.rendered()
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare LF")
        #expect(rendered.contains("\r\nSubject: Your invitation\r\n"))
        #expect(rendered.contains("\r\nDate: Mon, 01 Dec 2025 00:00:00 +0000\r\n"))
        #expect(rendered.contains("Message-ID: <mail_1@example.com>"))
        #expect(rendered.contains("Content-Type: multipart/alternative; boundary="))
        #expect(rendered.split(separator: "\r\n").allSatisfy { $0.count <= 78 })
        let parts = rendered.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").dropFirst()
        #expect(parts.count == 2)
        let decoded = parts.map { part in
            String(
                decoding: Data(base64Encoded: part.components(separatedBy: "\r\n").prefix { !$0.isEmpty && !$0.hasPrefix("--") }.joined())!,
                as: UTF8.self
            )
        }
        #expect(decoded == ["Hello,\r\nfollow https://portico.example.com/x?t=1\r\n.\r\n", "<p>Hello</p>"])
    }

    @Test func aSubjectWithLineBreaksOrNonASCIIIsEncodedNotInjected() {
        #expect(MailMessage.encodedHeader("Hi\r\nBcc: victim@example.com") == "Hi  Bcc: victim@example.com")
        let encoded = MailMessage.encodedHeader("Réinitialisation du mot de passe — Portico, un long sujet qui dépasse une ligne")
        #expect(encoded.hasPrefix("=?utf-8?B?") && encoded.contains("\r\n =?utf-8?B?"))
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.allSatisfy { $0.count <= 75 })
        let decoded = words.map { String(decoding: Data(base64Encoded: String($0.dropFirst(10).dropLast(2)))!, as: UTF8.self) }.joined()
        #expect(decoded == "Réinitialisation du mot de passe — Portico, un long sujet qui dépasse une ligne")
    }
}
