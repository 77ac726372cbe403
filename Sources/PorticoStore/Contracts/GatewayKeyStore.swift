import PorticoCore

/// The keys that sign the gateway's identity tokens.
package protocol GatewayKeyStore: Sendable {
    /// Every key still published at `now` (signing, or retiring later than `now`), newest first.
    func signingKeys(now: Int64) async throws -> [SigningKeyRecord]
    /// Adds `key` as the signing key, in one transaction: any key signing
    /// until now retires at `retireOthersAt`. With `onlyIfNone`, nothing
    /// changes when a signing key exists already (two instances starting at
    /// once make one key between them); returns whether `key` was added.
    @discardableResult
    func addSigningKey(_ key: SigningKeyRecord, retireOthersAt: Int64, onlyIfNone: Bool) async throws -> Bool
}
