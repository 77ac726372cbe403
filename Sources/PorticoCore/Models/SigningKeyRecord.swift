/// A key that signs the gateway's `Portico-Identity` tokens. The private key
/// is stored sealed (`SecretBox`, bound to the id); the id is the token's `kid`.
package struct SigningKeyRecord: Codable, Sendable, Equatable {
    package var id: String
    /// The JWS algorithm (`ES256`).
    package var algorithm: String
    /// The private key, sealed.
    package var privateKey: String
    package var createdAt: Int64
    /// Nil while the key signs; once a newer key took over, it stays published
    /// at `/.well-known/jwks.json` until this time, so tokens it signed still verify.
    package var retiresAt: Int64?

    package enum CodingKeys: String, CodingKey {
        case id, algorithm
        case privateKey = "private_key"
        case createdAt = "created_at"
        case retiresAt = "retires_at"
    }

    package init(id: String, algorithm: String, privateKey: String, createdAt: Int64, retiresAt: Int64? = nil) {
        self.id = id
        self.algorithm = algorithm
        self.privateKey = privateKey
        self.createdAt = createdAt
        self.retiresAt = retiresAt
    }
}
