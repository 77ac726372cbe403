/// Why a key was revoked (`reason` on `POST /v1/keys/{id}/revoke`), kept in
/// the audit row. `leaked` also mails the organization's owners, once.
package enum RevocationReason: String, Sendable, CaseIterable {
    /// The secret was exposed (a commit, a log, a screenshot, a scanner alert).
    case leaked
    /// The key is simply not needed any more.
    case unused
    case other
}
