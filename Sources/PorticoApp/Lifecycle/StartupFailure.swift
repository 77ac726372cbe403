import Foundation
import NIOCore
import PorticoStore

/// Why `portico serve` or `sandbox` could not start, with the exit status the
/// CLI uses for it (README, Operations): a supervisor can tell "fix the
/// config" from "the port is taken" from "the disk is full" without reading logs.
public struct StartupFailure: Error, CustomStringConvertible {
    public var description: String
    public var exitStatus: Int32

    init(description: String, exitStatus: Int32) {
        self.description = description
        self.exitStatus = exitStatus
    }

    /// 3: the listener could not bind (address in use, not allowed, not local).
    static func cannotListen(_ address: String, _ error: IOError) -> StartupFailure {
        StartupFailure(description: "cannot listen on \(address): \(String(cString: strerror(error.errnoCode)))", exitStatus: 3)
    }

    /// 4: the database file cannot be written (full disk, I/O error, read-only).
    public static func storageUnavailable(_ path: String, _ error: any Error) -> StartupFailure? {
        guard StorageFailure.isStorageFailure(error) else { return nil }
        let reason = StorageFailure.isDiskFull(error) ? "the disk is full" : "\(error)"
        return StartupFailure(description: "storage unavailable at \(path): \(reason); free space or fix the volume, then start again", exitStatus: 4)
    }

    /// The listener's bind failure, if that is what `error` is.
    static func listenFailure(_ error: any Error, address: String) -> StartupFailure? {
        guard let error = error as? IOError, [EADDRINUSE, EACCES, EADDRNOTAVAIL].contains(error.errnoCode) else { return nil }
        return cannotListen(address, error)
    }
}
