import GRDB

/// Failures of the storage itself rather than of a request: the disk is
/// full, an I/O error, the file is locked by another process past the busy
/// timeout, or cannot be opened; on PostgreSQL, a server that cannot be
/// reached or stopped answering (`StoreError.unavailable`). They are transient for the caller (503 and
/// `Retry-After`, not a 500), and the instance is not ready while they last.
package enum StorageFailure {
    package static func isStorageFailure(_ error: any Error) -> Bool {
        if case .unavailable = error as? StoreError { return true }
        guard let error = error as? DatabaseError else { return false }
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PROTOCOL: return true
        default: return false
        }
    }

    /// The disk is full (SQLITE_FULL), as opposed to another storage failure.
    package static func isDiskFull(_ error: any Error) -> Bool {
        (error as? DatabaseError)?.resultCode == .SQLITE_FULL
    }
}
