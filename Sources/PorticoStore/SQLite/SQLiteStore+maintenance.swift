import Foundation
import GRDB

// MARK: - Health, integrity and backup

extension SQLiteStore {
    /// A cheap round trip through a reader plus the schema version: what `/readyz` needs.
    package func readiness() async throws -> Bool {
        try await read { db in
            try Migrations.migrator().appliedIdentifiers(db).contains(Migrations.current)
        }
    }

    /// Full integrity check and schema version.
    package func check() async throws -> StoreCheck {
        var result = try await read { db in
            StoreCheck(
                integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                appliedMigrations: Migrations.identifiers.filter(try Migrations.migrator().appliedIdentifiers(db).contains),
                expectedSchemaVersion: Migrations.current,
                journalMode: try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
            )
        }
        result.unknownMigrations = try unknownMigrations()
        return result
    }

    /// The `synchronous` level a connection actually runs with (0 off, 1 normal, 2 full).
    package func synchronousLevel() async throws -> Int {
        try await writeTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Copies the live database to `destination` consistently while it keeps
    /// serving: SQLite's online backup into a temporary file beside the
    /// destination, an integrity check of the copy, fsync, then an atomic
    /// rename. A failure at any step leaves no file at `destination`.
    package func backup(to destination: String) async throws {
        let destinationURL = URL(fileURLWithPath: destination)
        let directory = destinationURL.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(destinationURL.lastPathComponent).partial-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }

        let copy = try DatabaseQueue(path: temporary.path)
        try await copy.writeWithoutTransaction { copyDb in
            try self.pool.read { sourceDb in
                try sourceDb.backup(to: copyDb)
            }
            // The copy is a rollback-journal file on its own: a single file to move.
            try copyDb.execute(sql: "PRAGMA journal_mode = DELETE")
            let integrity = try String.fetchAll(copyDb, sql: "PRAGMA integrity_check")
            guard integrity == ["ok"] else {
                throw StoreError.integrity("backup copy failed its integrity check: \(integrity.joined(separator: "; "))")
            }
        }
        try copy.close()
        try Self.fsync(path: temporary.path)
        if rename(temporary.path, destination) != 0 {
            throw StoreError.integrity("could not move the backup into place: \(String(cString: strerror(errno)))")
        }
        try Self.fsync(path: directory.path)
    }

    static func fsync(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError.integrity("cannot open \(path) to sync it") }
        defer { Foundation.close(fd) }
        _ = Foundation.fsync(fd)
    }
}
