import PorticoCore

/// Errors the store reports in its own words rather than SQLite's.
package enum StoreError: Error, Equatable, CustomStringConvertible {
    case conflict(String)
    case integrity(String)
    /// A referenced object (a cursor, say) does not exist for this tenant; the value names the parameter.
    case notFound(String)
    /// The database holds migrations this build does not know: a newer Portico wrote it.
    case schemaNewer(unknown: [String])
    /// The database server could not be reached or stopped answering (PostgreSQL); the value says how.
    case unavailable(String)

    package var description: String {
        switch self {
        case .conflict(let message), .integrity(let message), .notFound(let message): message
        case .unavailable(let reason): "the database is unavailable: \(reason)"
        case .schemaNewer(let unknown):
            "the database's schema is newer than this build knows (migrations \(unknown.joined(separator: ", "))): "
                + "run the Portico that wrote it, or restore a backup taken before the upgrade"
        }
    }
}
