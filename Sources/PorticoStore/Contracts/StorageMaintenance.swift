/// The storage engine itself: its health, readiness, integrity, backups and schema.
package protocol StorageMaintenance: Sendable {
    /// Whether writes are succeeding (full disk, I/O errors); `/readyz` reads it.
    var health: StorageHealth { get }
    /// A reader answers and the schema is current.
    func readiness() async throws -> Bool
    /// A small real write, to learn whether writes succeed again.
    func probeWrite(now: Int64) async throws
    /// Integrity, applied migrations and journal mode (`portico check`).
    func check() async throws -> StoreCheck
    /// A consistent online copy at `destination`, checked and renamed into place.
    func backup(to destination: String) async throws
    /// Applies pending migrations; returns those applied. Throws `StoreError.schemaNewer`
    /// rather than touch a database a newer build has migrated.
    @discardableResult
    func migrate() async throws -> [String]
    /// Migrations recorded in the database that this build does not know (a newer schema).
    func unknownMigrations() async throws -> [String]
    /// Closes the engine; further use is a programming error.
    func close() throws
}

/// Everything Portico stores, as one engine provides it: the SQLite store
/// today, a second engine later, each running the contract suite
/// (`Tests/PorticoStoreTests/Contracts`). App code holds the narrow
/// protocol each part needs, never an engine.
package typealias PorticoStorage = AccountStore & KeyStore & CustomerStore & IdempotencyStore & WebhookStore & RequestLogStore
    & BillingStore & SessionStore & AuditStore & GatewayKeyStore & PlatformStore & StaffStore & TwoFactorStore & ConsoleStore & MailStore & AlertStore
    & SampleDataStore & RetentionStore & ErasureStore & StorageMaintenance
