import GRDB

/// A row of `organizations`: the tenant every other row belongs to.
package struct OrganizationRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    package static let databaseTableName = "organizations"

    package var id: String
    package var name: String
    package var plan: String
    package var createdAt: Int64

    package init(id: String, name: String, plan: String = "free", createdAt: Int64) {
        self.id = id
        self.name = name
        self.plan = plan
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, plan
        case createdAt = "created_at"
    }
}
