import Foundation
import GRDB

/// What `restore` found in a backup and did with the database it replaced.
package struct RestoreOutcome: Sendable, Equatable {
    /// The backup's last migration: `serve` brings an older one up to date at start.
    package var schemaVersion: String
    /// Where the replaced database (and its WAL, if it had one) was moved; nil when there was none.
    package var replacedPath: String?
}

extension SQLiteStore {
    /// Checks that `backup` is a whole Portico database this build can open:
    /// SQLite's integrity check passes and it has no migration newer than this
    /// build. Returns its schema version. Never writes to the file.
    package static func verifyBackup(at backup: String) throws -> String {
        guard FileManager.default.fileExists(atPath: backup) else { throw StoreError.notFound("no file at \(backup)") }
        var configuration = Configuration()
        configuration.readonly = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: backup, configuration: configuration)
        } catch {
            throw StoreError.integrity("\(backup) is not a readable SQLite database: \(error)")
        }
        defer { try? queue.close() }
        return try queue.read { db in
            let integrity: [String]
            do {
                integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            } catch {
                throw StoreError.integrity("\(backup) is not a readable SQLite database: \(error)")
            }
            guard integrity == ["ok"] else {
                throw StoreError.integrity("\(backup) failed its integrity check: \(integrity.prefix(5).joined(separator: "; "))")
            }
            guard try db.tableExists("grdb_migrations") else { throw StoreError.integrity("\(backup) is not a Portico database") }
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            let unknown = applied.filter { !Migrations.identifiers.contains($0) }
            guard unknown.isEmpty else { throw StoreError.schemaNewer(unknown: unknown) }
            guard let last = applied.last else { throw StoreError.integrity("\(backup) is not a Portico database") }
            return last
        }
    }

    /// Puts a verified copy of `backup` in place at `database`. The caller holds
    /// the database's exclusive lock (no server has it open).
    ///
    /// The copy is written beside the database and fsynced, the current file
    /// and its WAL (which may hold commits not yet checkpointed) are moved
    /// aside to `<database>.replaced-<time>`, the shared-memory index is removed
    /// (it describes the old WAL), and the copy is renamed into place. A crash
    /// at any step leaves either the old database or the new one at `database`.
    package static func restore(backup: String, over database: String, now: Date = Date()) throws -> RestoreOutcome {
        let schemaVersion = try verifyBackup(at: backup)
        let manager = FileManager.default
        let target = URL(fileURLWithPath: database)
        let directory = target.deletingLastPathComponent()
        try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).restore-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: temporary) }
        try manager.copyItem(atPath: backup, toPath: temporary.path)
        try fsync(path: temporary.path)

        var replaced: String?
        if manager.fileExists(atPath: database) {
            let stamp = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
            let aside = "\(database).replaced-\(stamp)"
            try move(database, to: aside)
            if manager.fileExists(atPath: database + "-wal") { try move(database + "-wal", to: aside + "-wal") }
            replaced = aside
        }
        try? manager.removeItem(atPath: database + "-wal")
        try? manager.removeItem(atPath: database + "-shm")
        try move(temporary.path, to: database)
        try fsync(path: directory.path)
        return RestoreOutcome(schemaVersion: schemaVersion, replacedPath: replaced)
    }

    private static func move(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw StoreError.integrity("could not move \(source) to \(destination): \(String(cString: strerror(errno)))")
        }
    }
}
