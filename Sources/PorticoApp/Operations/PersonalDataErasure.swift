import Foundation
import PorticoCore
import PorticoStore

/// `portico erase`: a person's data, or a whole organization, removed
/// wherever it lives (`ErasureStore`), with an audit row of the erasure that
/// does not itself hold what was erased (the customer or organization id, never
/// the address). Run with no server on the database: a server's in-memory
/// caches would keep serving what was erased.
public struct PersonalDataErasure: Sendable {
    public enum Subject: Sendable {
        case customer(String)
        case email(String)
        case organization(String)
    }

    let store: any PorticoStorage
    let clock: any PorticoClock

    public init(runtime: PorticoRuntime) {
        self.store = runtime.store
        self.clock = runtime.clock
    }

    /// Erases `subject`; returns what was removed, by where it lived, and whether the WAL was emptied.
    public func erase(_ subject: Subject, by actor: AuditActor = .cli) async throws -> (removed: [String: Int], walEmptied: Bool) {
        let now = clock.nowMilliseconds
        let (storeSubject, targetType, targetID): (ErasureSubject, String, String) =
            switch subject {
            case .customer(let id): (.customer(id: id), "customer", id)
            case .email(let address): (.email(address), "email", "address erased")
            case .organization(let id): (.organization(id: id), "organization", id)
            }
        let audit = actor.entry("personal_data.erased", organizationID: nil, targetType: targetType, targetID: targetID, at: now)
        let report = try await store.erase(storeSubject, audit: audit)
        return (report.removed, report.walEmptied)
    }
}
