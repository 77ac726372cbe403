/// What `portico key check` says of a string: a well-formed key (its
/// kind and mode), or the first reason it is not one. Works on the text
/// alone, with no database: whether the key exists or is revoked is the
/// instance's to say (`POST /v1/keys/verify`).
package enum KeyCheck: Equatable, Sendable {
    case wellFormed(code: String, livemode: Bool)
    case malformed(String)

    package init(_ text: String) {
        let expected = 8 + APIKeyFormat.randomLength + APIKeyFormat.checksumLength
        let codes = ["sk": "secret", "pk": "publishable", "rk": "restricted", APIKeyFormat.platformCode: "platform"]
        let code = String(text.prefix(2))
        guard text.utf8.count >= 3, codes[code] != nil, text.dropFirst(2).hasPrefix("_") else {
            self = .malformed("it does not start with a key prefix (sk_, pk_, rk_ or tk_).")
            return
        }
        let mode = text.dropFirst(3).prefix(5)
        guard mode == "live_" || mode == "test_" else {
            self = .malformed("the mode after the prefix is not test_ or live_.")
            return
        }
        guard text.utf8.count == expected else {
            self = .malformed("it is \(text.utf8.count) characters long; a key is \(expected) (truncated, or something stuck to it?).")
            return
        }
        guard text.utf8.dropFirst(8).allSatisfy(Base62.isDigit) else {
            self = .malformed("after its prefix a key has only letters and digits.")
            return
        }
        guard let parsed = APIKeyFormat.parse(text) else {
            self = .malformed("its checksum does not match: it was mistyped, or it is not a key Portico made.")
            return
        }
        self = .wellFormed(code: parsed.code, livemode: parsed.livemode)
    }

    /// One line for a person: `secret key, live mode` or why it is not a key.
    package var description: String {
        switch self {
        case .wellFormed(let code, let livemode):
            let kind = ["sk": "secret key", "pk": "publishable key", "rk": "restricted key", "tk": "platform key"][code] ?? "key"
            return "a well-formed Portico \(kind), \(livemode ? "live" : "test") mode (checksum valid)"
        case .malformed(let reason):
            return "not a Portico key: \(reason)"
        }
    }
}
