import Foundation
import GRDB

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
            let applied = try Migrations.recorded(in: db)
            let unknown = Migrations.unknown(in: applied)
            guard unknown.isEmpty else { throw StoreError.schemaNewer(unknown: unknown) }
            guard let last = applied.last else { throw StoreError.integrity("\(backup) is not a Portico database") }
            // The tables every Portico database has had since its first migration.
            for table in ["organizations", "api_keys", "audit_log", "customers", "idempotency_responses"] where try !db.tableExists(table) {
                throw StoreError.integrity("\(backup) is not a Portico database (no \(table) table)")
            }
            return last
        }
    }

    /// Puts a copy of `backup`, which the caller checked with `verifyBackup`, in
    /// place at `database`; returns where the replaced database (and its WAL)
    /// was moved, nil when there was none. The caller holds the database's
    /// exclusive lock (no server has it open).
    ///
    /// The copy is made with SQLite's backup API (so a backup that still has
    /// commits in a WAL beside it, or is reached through a symbolic link, is
    /// copied whole as a plain file) into a temporary file beside the database,
    /// checked again and fsynced. Then the current file and its WAL (which may
    /// hold commits not yet checkpointed) are moved aside to
    /// `<database>.replaced-<time>` (a name no earlier restore used), the
    /// shared-memory index is removed (it describes the old WAL), and the copy
    /// is renamed into place with the replaced file's owner and mode. A crash
    /// at any step leaves either the old database or the new one at `database`.
    package static func restore(backup: String, over database: String, now: Date = Date()) throws -> String? {
        let manager = FileManager.default
        let target = URL(fileURLWithPath: database)
        let directory = target.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).restore-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: temporary) }
        try copyVerified(from: backup, to: temporary.path)
        // The service's user (systemd's DynamicUser) must still be able to open it; a new one is private.
        var carried: [FileAttributeKey: Any] = [.posixPermissions: 0o600]
        if let attributes = try? manager.attributesOfItem(atPath: database) {
            for key in [FileAttributeKey.ownerAccountID, .groupOwnerAccountID, .posixPermissions] { carried[key] = attributes[key] }
        }
        try manager.setAttributes(carried, ofItemAtPath: temporary.path)
        try fsync(path: temporary.path)

        var replaced: String?
        // An empty file is only the lock a restore into a new place made: nothing to keep.
        if ((try? manager.attributesOfItem(atPath: database))?[.size] as? NSNumber)?.int64Value == 0,
            !manager.fileExists(atPath: database + "-wal")
        {
            try manager.removeItem(atPath: database)
        }
        if manager.fileExists(atPath: database) {
            let aside = try asideName(for: database, at: now)
            try move(database, to: aside)
            if manager.fileExists(atPath: database + "-wal") { try move(database + "-wal", to: aside + "-wal") }
            replaced = aside
        }
        try? manager.removeItem(atPath: database + "-wal")
        try? manager.removeItem(atPath: database + "-shm")
        try move(temporary.path, to: database)
        try fsync(path: directory.path)
        return replaced
    }

    /// A consistent single-file copy of `source` (read through its WAL, if any) at
    /// `destination`, integrity-checked.
    private static func copyVerified(from source: String, to destination: String) throws {
        var readOnly = Configuration()
        readOnly.readonly = true
        let from = try DatabaseQueue(path: source, configuration: readOnly)
        defer { try? from.close() }
        let copy = try DatabaseQueue(path: destination)
        defer { try? copy.close() }
        try from.backup(to: copy)
        try copy.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            guard integrity == ["ok"] else { throw StoreError.integrity("the copy failed its integrity check: \(integrity.joined(separator: "; "))") }
        }
    }

    /// `<database>.replaced-<UTC time>`, with `-2`, `-3`… when a restore in the same second took it.
    private static func asideName(for database: String, at now: Date) throws -> String {
        let stamp = ISO8601DateFormatter.string(from: now, timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let base = "\(database).replaced-\(stamp)"
        for suffix in [""] + (2...99).map({ "-\($0)" }) {
            let candidate = base + suffix
            if !FileManager.default.fileExists(atPath: candidate), !FileManager.default.fileExists(atPath: candidate + "-wal") { return candidate }
        }
        throw StoreError.conflict("too many restores this second beside \(database)")
    }

    private static func move(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw StoreError.integrity("could not move \(source) to \(destination): \(String(cString: strerror(errno)))")
        }
    }
}
