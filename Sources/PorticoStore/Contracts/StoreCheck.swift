import PorticoCore

/// The outcome of `SQLiteStore.check()`.
package struct StoreCheck: Sendable, Equatable {
    /// `ok`, or SQLite's list of problems.
    package var integrity: [String]
    package var appliedMigrations: [String]
    package var expectedSchemaVersion: String
    package var journalMode: String
    /// Migrations a newer build applied, which this one does not know.
    package var unknownMigrations: [String] = []

    package init(
        integrity: [String],
        appliedMigrations: [String],
        expectedSchemaVersion: String,
        journalMode: String,
        unknownMigrations: [String] = []
    ) {
        self.integrity = integrity
        self.appliedMigrations = appliedMigrations
        self.expectedSchemaVersion = expectedSchemaVersion
        self.journalMode = journalMode
        self.unknownMigrations = unknownMigrations
    }

    package var integrityOK: Bool { integrity == ["ok"] }
    package var schemaCurrent: Bool { appliedMigrations.last == expectedSchemaVersion && unknownMigrations.isEmpty }
}
