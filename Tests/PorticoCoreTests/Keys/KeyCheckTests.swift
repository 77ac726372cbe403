import Foundation
import Testing

@testable import PorticoCore

/// `portico key check`'s judgement and the published scanner patterns,
/// against keys made the way Portico makes them.
@Suite struct KeyCheckTests {
    static var issued: [ParsedAPIKey] {
        APIKeyKind.allCases.flatMap { kind in [true, false].map { APIKeyFormat.generate(kind: kind, livemode: $0) } }
            + [true, false].map { APIKeyFormat.generatePlatformKey(livemode: $0) }
    }

    @Test func everyIssuedKeyIsWellFormedAndEveryDamageIsNamed() {
        for key in Self.issued {
            #expect(KeyCheck(key.token) == .wellFormed(code: key.code, livemode: key.livemode), "\(key.token)")
        }
        let key = APIKeyFormat.generate(kind: .secret, livemode: true).token
        #expect(KeyCheck(key).description.contains("secret key, live mode"))
        let lastDigit = key.last == "a" ? "b" : "a"
        let damaged: [(String, String)] = [
            (String(key.dropLast()) + lastDigit, "checksum"),
            (String(key.dropLast()), "characters long"),
            (key + "x", "characters long"),
            ("xk_live_" + key.dropFirst(8), "key prefix"),
            ("sk_prod_" + key.dropFirst(8), "test_ or live_"),
            (String(key.prefix(20)) + "-" + key.dropFirst(21), "letters and digits"),
            ("", "key prefix"),
        ]
        for (text, reason) in damaged {
            guard case .malformed(let message) = KeyCheck(text) else {
                Issue.record("\(text) passed")
                continue
            }
            #expect(message.contains(reason), "\(text): \(message)")
        }
    }

    @Test func patternsFindEveryKindInTextAndNothingElse() throws {
        #expect(KeyPatterns.rules.count == 8)
        for key in Self.issued {
            let text = "config = {\"key\": \"\(key.token)\"}\n"
            let matching = try KeyPatterns.rules.filter { rule in
                let regex = try NSRegularExpression(pattern: rule.gitleaksRegex)
                guard let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return false }
                return (text as NSString).substring(with: match.range(at: 1)) == key.token
            }
            #expect(matching.map(\.prefix) == [key.prefix], "\(key.token)")
        }
        let secret = APIKeyFormat.generate(kind: .secret, livemode: true).token
        for near in ["x" + secret, secret + "9", String(secret.dropLast()), "sk_live_short"] {
            let found = try KeyPatterns.rules.contains { rule in
                try NSRegularExpression(pattern: rule.gitleaksRegex).firstMatch(in: near, range: NSRange(near.startIndex..., in: near)) != nil
            }
            #expect(!found, "\(near)")
        }
        #expect(KeyPatterns.gitleaksConfig.components(separatedBy: "[[rules]]").count == 9)
    }
}
