import Crypto
import Foundation
import JWTKit
import PorticoCore
import PorticoStore
import Synchronization

/// What a gateway upstream learns about a request it is sent, as the claims
/// of the `Portico-Identity` token: who called (organization, mode, key and
/// its scopes), which request and API version, and for which upstream (`aud`).
struct IdentityClaims: JWTPayload, Equatable {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var organization: String
    var mode: String
    var keyID: String
    var scopes: [String]
    var requestID: String
    var apiVersion: String

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, iat, exp, jti, organization, mode, scopes
        case keyID = "key_id"
        case requestID = "request_id"
        case apiVersion = "api_version"
    }

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
    }

    /// The claims as JSON, written directly: this runs for every proxied request,
    /// and Foundation's `JSONEncoder` cost more than the signature.
    var json: String {
        var text = "{\"iss\":\(Self.quoted(iss.value)),\"sub\":\(Self.quoted(sub.value)),\"aud\":\(Self.quoted(aud.value.first ?? ""))"
        text += ",\"iat\":\(Int64(iat.value.timeIntervalSince1970)),\"exp\":\(Int64(exp.value.timeIntervalSince1970))"
        text += ",\"jti\":\(Self.quoted(jti.value)),\"organization\":\(Self.quoted(organization)),\"mode\":\(Self.quoted(mode))"
        text += ",\"key_id\":\(Self.quoted(keyID)),\"scopes\":[\(scopes.map(Self.quoted).joined(separator: ","))]"
        text += ",\"request_id\":\(Self.quoted(requestID)),\"api_version\":\(Self.quoted(apiVersion))}"
        return text
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        // Ids, modes, versions and URLs need no escaping: the common case copies the text once.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + text + "\"" }
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// jwt-kit's encoder for identity tokens: the claims and the header written
/// directly (`IdentityClaims.json`), anything else by Foundation.
struct IdentityTokenEncoder: JWTJSONEncoder {
    func encode<T: Encodable>(_ value: T) throws -> Data {
        if let claims = value as? IdentityClaims { return Data(claims.json.utf8) }
        if let header = value as? JWTHeader, let alg = header.alg, let kid = header.kid, let typ = header.typ, header.fields.count == 3 {
            return Data("{\"alg\":\(IdentityClaims.quoted(alg)),\"kid\":\(IdentityClaims.quoted(kid)),\"typ\":\(IdentityClaims.quoted(typ))}".utf8)
        }
        return try Self.fallback.encode(value)
    }

    private static let fallback: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()
}

/// Signs `Portico-Identity` tokens and publishes their public keys.
///
/// Keys live in the database (sealed), so every instance on one database
/// signs with the same key and a key survives restarts. The first start
/// makes one; `portico gateway rotate-signing-key` adds a new signing key
/// and keeps the old one published for an overlap, so tokens signed just
/// before the rotation still verify. Instances pick up a rotation within
/// `refreshInterval` (the refresh runs as a periodic service).
final class IdentityTokens: Sendable {
    /// Tokens live this long: enough for a request's trip, too short to replay usefully.
    static let lifetime: TimeInterval = 60
    static let algorithm = "ES256"

    private struct Keys: Sendable {
        var collection: JWTKeyCollection
        var signing: JWKIdentifier?
        var jwks: String
        var ids: [String]
    }

    private let store: any GatewayKeyStore
    private let secrets: SecretBox
    private let issuer: BaseURL
    private let keys: Mutex<Keys>

    init(store: any GatewayKeyStore, secrets: SecretBox, issuer: BaseURL) {
        self.store = store
        self.secrets = secrets
        self.issuer = issuer
        keys = Mutex(Keys(collection: JWTKeyCollection(), signing: nil, jwks: #"{"keys":[]}"#, ids: []))
    }

    /// The JWKS document served at `/.well-known/jwks.json`.
    var jwks: String { keys.withLock { $0.jwks } }

    /// Makes the first signing key if the database has none, then loads the published ones.
    func prepare(now: Int64) async throws {
        try await refresh(now: now)
        guard keys.withLock({ $0.ids.isEmpty }) else { return }
        try await store.addSigningKey(makeKey(now: now), retireOthersAt: now, onlyIfNone: true)
        try await refresh(now: now)
    }

    /// Adds a new signing key; the one signing until now stays published for `overlap` seconds.
    func rotate(now: Int64, overlap: TimeInterval) async throws -> String {
        let key = makeKey(now: now)
        try await store.addSigningKey(key, retireOthersAt: now + Int64(overlap * 1_000), onlyIfNone: false)
        try await refresh(now: now)
        return key.id
    }

    /// Reloads the published keys when they changed (a rotation by the CLI or another instance).
    func refresh(now: Int64) async throws {
        let records = try await store.signingKeys(now: now)
        guard records.map(\.id) != keys.withLock({ $0.ids }) else { return }
        let collection = JWTKeyCollection()
        var published: [JSONValue] = []
        for record in records {
            guard let raw = Data(base64Encoded: try secrets.open(record.privateKey, for: record.id)) else { throw IdentityUnavailable() }
            let key = try ES256PrivateKey(backing: P256.Signing.PrivateKey(rawRepresentation: raw))
            await collection.add(
                ecdsa: key,
                kid: JWKIdentifier(string: record.id),
                serializer: DefaultJWTSerializer(jsonEncoder: IdentityTokenEncoder())
            )
            guard let parameters = key.parameters else { continue }
            published.append([
                "kty": "EC", "crv": "P-256", "alg": .string(Self.algorithm), "use": "sig",
                "kid": .string(record.id), "x": .string(parameters.x), "y": .string(parameters.y),
            ])
        }
        let signing = records.first(where: { $0.retiresAt == nil }).map { JWKIdentifier(string: $0.id) }
        let jwks = String(decoding: try JSONCoding.encoder.encode(JSONValue.object(["keys": .array(published)])), as: UTF8.self)
        keys.withLock { $0 = Keys(collection: collection, signing: signing, jwks: jwks, ids: records.map(\.id)) }
    }

    /// A signed token for one proxied request.
    func token(for principal: Principal, requestID: String, apiVersion: String, audience: String) async throws -> String {
        let (collection, kid) = keys.withLock { ($0.collection, $0.signing) }
        guard let kid else { throw IdentityUnavailable() }
        // Whole seconds: NumericDate allows fractions, but not every verifier does.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let claims = IdentityClaims(
            iss: IssuerClaim(value: issuer.value),
            sub: SubjectClaim(value: principal.keyID),
            aud: AudienceClaim(value: audience),
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(Self.lifetime)),
            jti: IDClaim(value: requestID),
            organization: principal.organizationID,
            mode: principal.livemode ? "live" : "test",
            keyID: principal.keyID,
            scopes: principal.scopes.listed,
            requestID: requestID,
            apiVersion: apiVersion
        )
        return try await collection.sign(claims, kid: kid)
    }

    private func makeKey(now: Int64) -> SigningKeyRecord {
        let id = Identifier.make("sigkey", at: now)
        let raw = P256.Signing.PrivateKey().rawRepresentation.base64EncodedString()
        return SigningKeyRecord(id: id, algorithm: Self.algorithm, privateKey: secrets.seal(raw, for: id), createdAt: now)
    }
}

/// No signing key is loaded (the database had none and making one failed); the request is answered 503.
struct IdentityUnavailable: Error {}
