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

        public var description: String {
            switch self {
            case .inUse(let path): "a running Portico holds \(path): stop it (systemctl stop portico), then restore"
            case .unusable(let reason): reason
            }
        }
    }

    /// Verifies `backup` (integrity, schema this build knows), then puts it in
    /// place at `database`, moving the current file aside.
    public static func run(backup: String, database: String) throws(Failure) -> Outcome {
        do {
            _ = try SQLiteStore.verifyBackup(at: backup)
        } catch {
            throw .unusable("\(error)")
        }
        let lock: DatabaseLock?
        do {
            lock = FileManager.default.fileExists(atPath: database) ? try DatabaseLock.exclusive(path: database) : nil
        } catch {
            throw .unusable("cannot open \(database): \(error)")
        }
        if FileManager.default.fileExists(atPath: database), lock == nil { throw .inUse(database) }
        defer { lock?.release() }
        do {
            let outcome = try SQLiteStore.restore(backup: backup, over: database)
            return Outcome(schemaVersion: outcome.schemaVersion, replacedPath: outcome.replacedPath)
        } catch {
            throw .unusable("\(error)")
        }
    }
}
