import Crypto
import Foundation
import Testing

@testable import PorticoCore

/// Signing secrets sealed at rest open only for the endpoint they were sealed for.
struct SecretBoxTests {
    let box = SecretBox(key: SymmetricKey(data: Data(repeating: 7, count: 32)))

    @Test func aSealedSecretOpensForItsEndpointOnly() throws {
        let sealed = box.seal("whsec_abc", for: "we_1")
        #expect(SecretBox.isSealed(sealed) && !sealed.contains("whsec_abc"))
        #expect(try box.open(sealed, for: "we_1") == "whsec_abc")
        #expect(throws: (any Error).self) { try box.open(sealed, for: "we_2") }
        #expect(throws: (any Error).self) {
            try SecretBox(key: SymmetricKey(data: Data(repeating: 8, count: 32))).open(sealed, for: "we_1")
        }
    }

    @Test func aSecretFromBeforeSealingIsReadAsItIsAndDamageIsAnError() throws {
        #expect(try box.open("whsec_plain", for: "we_1") == "whsec_plain")
        #expect(throws: SecretBox.KeyFileError.self) { try box.open(SecretBox.prefix + "not base64!", for: "we_1") }
        // Two seals of one secret differ (a fresh nonce each time).
        #expect(box.seal("whsec_abc", for: "we_1") != box.seal("whsec_abc", for: "we_1"))
    }
}
