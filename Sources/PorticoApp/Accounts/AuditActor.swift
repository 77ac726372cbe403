import Foundation
import PorticoCore
import PorticoStore

/// Who performed an audited action, and from where.
public struct AuditActor: Sendable {
    public var type: String
    public var id: String?
    public var ip: String?
    public var requestID: String?

    public static let cli = AuditActor(type: "cli", id: ProcessInfo.processInfo.userName, ip: nil, requestID: nil)
    public static let system = AuditActor(type: "system", id: nil, ip: nil, requestID: nil)

    /// An audit row for `action` on a target, stamped with this actor.
    func entry(
        _ action: String,
        organizationID: String?,
        targetType: String,
        targetID: String,
        details: [String: String] = [:],
        at milliseconds: Int64
    ) -> AuditEntryRecord {
        let detailsJSON = (try? JSONCoding.encoder.encode(details)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return AuditEntryRecord(
            id: Identifier.make("aud", at: milliseconds),
            organizationId: organizationID,
            actorType: type,
            actorId: id,
            action: action,
            targetType: targetType,
            targetId: targetID,
            ip: ip,
            requestId: requestID,
            details: detailsJSON,
            createdAt: milliseconds
        )
    }
}

extension AuditActor {
    /// The API key behind an API request (in an extension, so the memberwise initializer stays).
    /// A platform key is an `api_key` actor too; its id (`pkey_…`) tells it apart.
    init(_ caller: Principal, _ context: PorticoRequestContext) {
        self.init(type: "api_key", id: caller.keyID, ip: context.clientIP?.description, requestID: context.requestID)
    }
}
