import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import PorticoApp

/// `Portico-Identity`: verified from outside by PyJWT against the published
/// JWKS, and rotated with overlap.
struct GatewayIdentityTests {
    /// Verifies a token as an upstream in Python would: the key from the JWKS by `kid`, ES256 only,
    /// the audience and issuer checked. Prints the claims, or "invalid: …".
    static let verifier = """
        import json, sys, jwt
        url, token, audience = sys.argv[1:4]
        try:
            key = jwt.PyJWKClient(url + "/.well-known/jwks.json").get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["ES256"], audience=audience, issuer=url,
                                options={"require": ["exp", "iat", "aud", "iss", "sub"]})
            print(json.dumps(claims))
        except Exception as error:
            print("invalid: %s" % type(error).__name__)
        """

    @Test(.requires(.python3, .pythonModule("jwt"))) func pyJWTVerifiesTheIdentityTokenAgainstTheJWKS() async throws {
        try await GatewayFixture.run { portico, api, _, test in
            let response = try await api.send(.get, "/v1/orders/1", key: portico.testKey)
            let token = try #require(test.seen.first?.header("Portico-Identity"))
            let url = portico.runtime.baseURL.value
            let audience = test.base + "/test"

            let output = try await PorticoProcess.python(Self.verifier, [url, token, audience])
            let claims = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
            #expect(claims["organization"] as? String == portico.organizationID)
            #expect(claims["mode"] as? String == "test")
            #expect(claims["key_id"] as? String == test.seen.first?.header("Portico-Key-Id"))
            #expect(claims["sub"] as? String == test.seen.first?.header("Portico-Key-Id"))
            #expect(claims["request_id"] as? String == response.requestID)
            #expect(claims["api_version"] as? String == response.headers[HTTPField.Name("Portico-Version")!])
            #expect(claims["scopes"] as? [String] == ["*"])
            let issuedAt = try #require(claims["iat"] as? Int)
            let expires = try #require(claims["exp"] as? Int)
            #expect(expires - issuedAt <= 60)

            // Another audience (the live upstream), a changed payload, or a token signed by no published key: refused.
            let wrongAudience = try await PorticoProcess.python(Self.verifier, [url, token, test.base + "/live"])
            #expect(wrongAudience.hasPrefix("invalid: InvalidAudienceError"))
            var parts = token.split(separator: ".").map(String.init)
            parts[1] = parts[1].replacingOccurrences(of: parts[1].prefix(4), with: String(parts[1].prefix(4).reversed()))
            let tampered = try await PorticoProcess.python(Self.verifier, [url, parts.joined(separator: "."), audience])
            #expect(tampered.hasPrefix("invalid:"))
        }
    }

    @Test func rotationSignsWithTheNewKeyAndKeepsTheOldOnePublished() async throws {
        try await GatewayFixture.run { portico, api, _, test in
            let before = try Self.keyIDs(try await api.send(.get, "/.well-known/jwks.json"))
            #expect(before.count == 1)
            _ = try await api.send(.get, "/v1/orders/1", key: portico.testKey)

            let rotated = try await portico.runtime.rotateSigningKey(overlapSeconds: 3_600)
            let after = try Self.keyIDs(try await api.send(.get, "/.well-known/jwks.json"))
            #expect(Set(after) == Set(before + [rotated]))

            _ = try await api.send(.get, "/v1/orders/2", key: portico.testKey)
            let kids = try test.seen.map { try Self.kid(of: try #require($0.header("Portico-Identity"))) }
            #expect(kids == [before[0], rotated])

            // Once the overlap is over, the old key is no longer published.
            portico.clock.advance(by: 3_601)
            try await portico.runtime.identity.refresh(now: portico.runtime.clock.nowMilliseconds)
            #expect(try Self.keyIDs(try await api.send(.get, "/.well-known/jwks.json")) == [rotated])
        }
    }

    @Test func theSigningKeyIsMadeOnceAndKeptSealed() async throws {
        try await GatewayFixture.run { portico, api, _, _ in
            let jwks = try await api.send(.get, "/.well-known/jwks.json")
            #expect(jwks.headers[.cacheControl] == "public, max-age=300")
            let keys = try await portico.store.signingKeys(now: portico.runtime.clock.nowMilliseconds)
            #expect(keys.count == 1)
            #expect(keys.allSatisfy { $0.privateKey.hasPrefix("enc1:") })
            // A second start on the same database keeps the key.
            try await portico.runtime.identity.prepare(now: portico.runtime.clock.nowMilliseconds)
            #expect(try await portico.store.signingKeys(now: portico.runtime.clock.nowMilliseconds).map(\.id) == keys.map(\.id))
        }
    }

    @Test func theDirectlyWrittenClaimsSayWhatFoundationWould() throws {
        let when = Date(timeIntervalSince1970: 1_796_050_000)
        let claims = IdentityClaims(
            iss: .init(value: "http://127.0.0.1:8080"),
            sub: .init(value: "key_1"),
            aud: .init(value: "http://up/\"quoted\"\\path"),
            iat: .init(value: when),
            exp: .init(value: when.addingTimeInterval(60)),
            jti: .init(value: "req_1"),
            organization: "org_é\u{1}\n",
            mode: "test",
            keyID: "key_1",
            scopes: ["orders:read", "*"],
            requestID: "req_1",
            apiVersion: "2026-11-22"
        )
        let direct = try #require(try JSONSerialization.jsonObject(with: Data(claims.json.utf8)) as? NSDictionary)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970  // as jwt-kit's own encoder
        let foundation = try #require(try JSONSerialization.jsonObject(with: encoder.encode(claims)) as? NSDictionary)
        #expect(direct == foundation)
    }

    static func keyIDs(_ response: TestResponse) throws -> [String] {
        let keys = try #require(response.json["keys"] as? [[String: Any]])
        return keys.compactMap { $0["kid"] as? String }
    }

    static func kid(of token: String) throws -> String {
        var header = String(token.split(separator: ".")[0]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while header.count % 4 != 0 { header += "=" }
        let data = try #require(Data(base64Encoded: header))
        let fields = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(fields["alg"] as? String == "ES256")
        return try #require(fields["kid"] as? String)
    }
}
