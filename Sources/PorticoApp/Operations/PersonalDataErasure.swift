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

    /// A subject that could match more than the one person or organization meant.
    public struct InvalidSubject: Error, CustomStringConvertible {
        public var description: String
    }

    /// One `@` between a non-empty local part and a domain with a dot, no spaces: any
    /// address the API may have stored (internationalized ones included), never a
    /// fragment that would match many.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && !text.trimmingCharacters(in: .whitespaces).contains(where: \.isWhitespace)
    }

    /// Erases `subject`; returns what was removed, by where it lived, and whether the WAL was emptied.
    public func erase(_ subject: Subject, by actor: AuditActor = .cli) async throws -> (removed: [String: Int], walEmptied: Bool) {
        switch subject {
        case .customer(let id) where !Identifier.isWellFormed(id, prefix: "cus"):
            throw InvalidSubject(description: "\"\(id)\" is not a customer id (cus_ and 22 letters or digits)")
        case .organization(let id) where !Identifier.isWellFormed(id, prefix: "org"):
            throw InvalidSubject(description: "\"\(id)\" is not an organization id (org_ and 22 letters or digits)")
        case .email(let address) where !Self.isAddress(address):
            throw InvalidSubject(description: "\"\(address)\" is not an email address")
        default: break
        }
        let now = clock.nowMilliseconds
        let (storeSubject, targetType, targetID): (ErasureSubject, String, String) =
            switch subject {
            case .customer(let id): (.customer(id: id), "customer", id)
            case .email(let address): (.email(address.trimmingCharacters(in: .whitespaces)), "email", "address erased")
            case .organization(let id): (.organization(id: id), "organization", id)
            }
        let audit = actor.entry("personal_data.erased", organizationID: nil, targetType: targetType, targetID: targetID, at: now)
        let report = try await store.erase(storeSubject, audit: audit)
        return (report.removed, report.walEmptied)
    }
}
