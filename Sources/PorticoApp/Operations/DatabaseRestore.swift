import Foundation
import PorticoStore

/// `portico restore FILE`: the database replaced by a backup, only while no
/// server holds it.
public enum DatabaseRestore {
    public struct Outcome: Sendable {
        public var schemaVersion: String
        public var replacedPath: String?
    }

    public enum Failure: Error, CustomStringConvertible {
        /// A server (or another restore) has the database open.
        case inUse(String)
        /// The backup is unreadable, damaged or from a newer Portico.
        case unusable(String)
        /// No database at the path given, and `create` was not asked for.
        case noDatabase(String)

        public var description: String {
            switch self {
            case .inUse(let path): "a running Portico holds \(path): stop it (systemctl stop portico), then restore"
            case .unusable(let reason): reason
            case .noDatabase(let path):
                "there is no database at \(path) (check --config or --database); pass --create to restore into a new file there"
            }
        }
    }

    /// Verifies `backup` (integrity, schema this build knows), then puts it in
    /// place at `database`, moving the current file aside. A database that does
    /// not exist yet is refused unless `create` (a mistyped or relative path
    /// would otherwise make a new one where no server looks).
    public static func run(backup: String, database path: String, create: Bool = false) throws(Failure) -> Outcome {
        let schemaVersion: String
        do {
            schemaVersion = try SQLiteStore.verifyBackup(at: backup)
        } catch {
            throw .unusable("\(error)")
        }
        // The file a link points to is the database (its directory, owner and mode), not the link.
        let database = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let manager = FileManager.default
        if !manager.fileExists(atPath: database) {
            guard create else { throw .noDatabase(database) }
            // An empty, private file to hold the lock on, so a server starting meanwhile waits for it.
            guard manager.createFile(atPath: database, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw .unusable("cannot create \(database)")
            }
        }
        let taken: DatabaseLock?
        do {
            taken = try DatabaseLock.exclusive(path: database)
        } catch {
            throw .unusable("cannot open \(database): \(error)")
        }
        guard let lock = taken else { throw .inUse(database) }
        defer { lock.release() }
        do {
            return Outcome(schemaVersion: schemaVersion, replacedPath: try SQLiteStore.restore(backup: backup, over: database))
        } catch {
            throw .unusable("\(error)")
        }
    }
}
