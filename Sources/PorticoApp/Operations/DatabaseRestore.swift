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
    public static func run(backup: String, database: String, create: Bool = false) throws(Failure) -> Outcome {
        do {
            _ = try SQLiteStore.verifyBackup(at: backup)
        } catch {
            throw .unusable("\(error)")
        }
        let exists = FileManager.default.fileExists(atPath: database)
        guard exists || create else { throw .noDatabase(URL(fileURLWithPath: database).path) }
        let lock: DatabaseLock?
        do {
            lock = exists ? try DatabaseLock.exclusive(path: database) : nil
        } catch {
            throw .unusable("cannot open \(database): \(error)")
        }
        if exists, lock == nil { throw .inUse(database) }
        defer { lock?.release() }
        do {
            let outcome = try SQLiteStore.restore(backup: backup, over: database)
            return Outcome(schemaVersion: outcome.schemaVersion, replacedPath: outcome.replacedPath)
        } catch {
            throw .unusable("\(error)")
        }
    }
}
