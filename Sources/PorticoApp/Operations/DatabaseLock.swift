import Foundation

/// An advisory `flock(2)` on the database file, so `portico restore` can tell
/// that a server is using the database it was asked to replace.
///
/// Servers (`serve`, `sandbox`) hold a shared lock for their whole life, so
/// several may run on one file as before; `restore` needs the exclusive lock
/// and gives up at once if any server holds it. `flock` locks are separate
/// from the POSIX record locks SQLite takes, and the descriptor stays open
/// until the process ends: closing another descriptor of the file would drop
/// SQLite's own locks (fcntl semantics), so a lock is never released early.
public final class DatabaseLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The lock a server holds; nil when a restore holds the file exclusively.
    public static func shared(path: String) throws -> DatabaseLock? {
        try take(path: path, operation: LOCK_SH)
    }

    /// The lock a restore needs; nil while any server holds the file.
    public static func exclusive(path: String) throws -> DatabaseLock? {
        try take(path: path, operation: LOCK_EX)
    }

    private static func take(path: String, operation: Int32) throws -> DatabaseLock? {
        // A restore renames a new file into place: a lock on the file that was there before
        // protects nothing, so the locked file must still be the one at the path.
        for _ in 0..<10 {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw CocoaError(
                    .fileReadNoPermission,
                    userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))]
                )
            }
            guard flock(descriptor, operation | LOCK_NB) == 0 else {
                close(descriptor)
                return nil
            }
            var locked = stat()
            var current = stat()
            if fstat(descriptor, &locked) == 0, stat(path, &current) == 0, locked.st_ino == current.st_ino, locked.st_dev == current.st_dev {
                return DatabaseLock(descriptor: descriptor)
            }
            close(descriptor)
        }
        return nil
    }

    /// Gives the lock back (a restore, once the new file is in place).
    public func release() {
        flock(descriptor, LOCK_UN)
    }
}
