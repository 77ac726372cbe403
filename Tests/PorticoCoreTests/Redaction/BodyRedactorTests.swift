import Foundation
import Testing

@testable import PorticoCore

/// Captured bodies are redacted and cut before they are stored.
struct BodyRedactorTests {
    @Test func capturedBodiesAreCut() {
        let redactor = BodyRedactor(sensitiveFields: ["password"], maxBytes: 256)
        let long = String(repeating: "é", count: 400)
        let text = redactor.redact(Data(#"{"note":"\#(long)"}"#.utf8))!
        #expect(text.utf8.count < 320 && text.contains("[cut, "))
        #expect(redactor.redact(Data([0xFF, 0xFE, 0x00])) == "[binary body of 3 bytes]")
        #expect(redactor.redactText("pay with 4000-0566-5566-5556 now") == "pay with [REDACTED] now")
        #expect(redactor.redactText("order 1234567890123 shipped") == "order 1234567890123 shipped")  // fails Luhn
    }
}
