/// A row of `customers`, the sample business resource.
package struct CustomerRecord: Codable, Sendable, Equatable {
    package var id: String
    package var organizationId: String
    package var livemode: Bool
    package var name: String?
    package var email: String?
    package var description: String?
    /// A JSON object of string values.
    package var metadata: String
    package var createdAt: Int64
    package var updatedAt: Int64

    package init(
        id: String,
        organizationId: String,
        livemode: Bool,
        name: String?,
        email: String?,
        description: String?,
        metadata: String,
        createdAt: Int64,
        updatedAt: Int64
    ) {
        self.id = id
        self.organizationId = organizationId
        self.livemode = livemode
        self.name = name
        self.email = email
        self.description = description
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    package enum CodingKeys: String, CodingKey {
        case id
        case organizationId = "organization_id"
        case livemode, name, email, description, metadata
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
