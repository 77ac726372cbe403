import Foundation
import Testing

@testable import PorticoCore

struct APIKeyFormatTests {
    @Test(arguments: APIKeyKind.allCases, [false, true])
    func generatedKeysParseBackWithTheirKindAndMode(kind: APIKeyKind, livemode: Bool) throws {
        let key = APIKeyFormat.generate(kind: kind, livemode: livemode)
        #expect(key.token.hasPrefix("\(kind.prefixCode)_\(livemode ? "live" : "test")_"))
        #expect(key.token.count == 8 + 24 + 6)
        let parsed = try #require(APIKeyFormat.parse(key.token))
        #expect(parsed == key)
        #expect(parsed.last4 == String(key.token.suffix(4)))
    }

    @Test func randomPartCarriesAtLeast128Bits() {
        // 24 base62 digits: log2(62^24) ≈ 142.9 bits.
        #expect(Double(APIKeyFormat.randomLength) * log2(62.0) >= 128)
        let keys = Set((0..<1_000).map { _ in APIKeyFormat.generate(kind: .secret, livemode: false).token })
        #expect(keys.count == 1_000)
    }

    @Test func everySingleCharacterTypoFailsTheChecksum() {
        let token = APIKeyFormat.generate(kind: .secret, livemode: false).token
        let characters = Array(token)
        for index in 8..<characters.count {
            for replacement in ["a", "Z", "0", "9"] where String(characters[index]) != replacement {
                var typo = characters
                typo[index] = Character(replacement)
                #expect(APIKeyFormat.parse(String(typo)) == nil, "typo at \(index) accepted")
            }
        }
    }

    @Test func adjacentTranspositionsFailTheChecksum() {
        let token = APIKeyFormat.generate(kind: .restricted, livemode: true).token
        var characters = Array(token)
        for index in 8..<(characters.count - 1) where characters[index] != characters[index + 1] {
            characters.swapAt(index, index + 1)
            #expect(APIKeyFormat.parse(String(characters)) == nil)
            characters.swapAt(index, index + 1)
        }
    }

    @Test(arguments: [
        "", "sk_test_", "sk_prod_abcdefghijklmnopqrstuvwxABCDEF", "xk_test_abcdefghijklmnopqrstuvwxABCDEF", "sk_test_abc!efghijklmnopqrstuvwxABCDEF",
    ])
    func malformedKeysAreRejected(token: String) {
        #expect(APIKeyFormat.parse(token) == nil)
    }

    @Test func modeChangeInvalidatesChecksum() {
        let token = APIKeyFormat.generate(kind: .secret, livemode: false).token
        #expect(APIKeyFormat.parse(token.replacingOccurrences(of: "_test_", with: "_live_")) == nil)
    }
}

struct BearerHeaderTests {
    @Test(
        arguments: [
            ("Bearer sk_test_abc", "sk_test_abc"),
            ("bearer sk_test_abc", "sk_test_abc"),
            ("BEARER   sk_test_abc  ", "sk_test_abc"),
            ("Basic dXNlcjpwYXNz", nil),
            ("Bearer", nil),
            ("Bearersk_test_abc", nil),
        ] as [(String, String?)]
    )
    func parsesTheCredential(header: String, expected: String?) {
        #expect(APIKeyFormat.bearerToken(header).map(String.init) == expected)
    }
}
