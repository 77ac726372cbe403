import Foundation
import NIOCore
import PorticoStore

/// Why `portico serve` or `sandbox` could not start, with the exit status the
/// CLI uses for it (docs/operations.md): a supervisor can tell "fix the
/// config" from "the port is taken" from "the disk is full" without reading logs.
public struct StartupFailure: Error, CustomStringConvertible {
    public var description: String
    public var exitStatus: Int32

    /// 2, as for an invalid configuration: sealed webhook secrets, but the key file had to be made anew.
    static func secretsKeyMissing(database: String, keyFile: String) -> StartupFailure {
        StartupFailure(
            description: "webhook secrets in \(database) are sealed with a key that is not at \(keyFile) "
                + "(a new one was just made there): restore the original key file",
            exitStatus: 2
        )
    }

    /// 4: the database file cannot be written (full disk, I/O error, read-only).
    public static func storageUnavailable(_ path: String, _ error: any Error) -> StartupFailure? {
        guard StorageFailure.isStorageFailure(error) else { return nil }
        let reason = StorageFailure.isDiskFull(error) ? "the disk is full" : "\(error)"
        return StartupFailure(description: "storage unavailable at \(path): \(reason); free space or fix the volume, then start again", exitStatus: 4)
    }

    /// 5: a newer Portico migrated the database (a rollback without its backup); nothing was changed.
    public static func schemaNewer(_ error: any Error) -> StartupFailure? {
        guard let error = error as? StoreError, case .schemaNewer = error else { return nil }
        return StartupFailure(description: error.description, exitStatus: 5)
    }

    /// 3: the listener could not bind (address in use, not allowed, not local), if that is what `error` is.
    static func listenFailure(_ error: any Error, address: String) -> StartupFailure? {
        guard let error = error as? IOError, [EADDRINUSE, EACCES, EADDRNOTAVAIL].contains(error.errnoCode) else { return nil }
        return StartupFailure(description: "cannot listen on \(address): \(String(cString: strerror(error.errnoCode)))", exitStatus: 3)
    }
}
