import PorticoCore

/// Errors the store reports in its own words rather than SQLite's.
package enum StoreError: Error, Equatable, CustomStringConvertible {
    case conflict(String)
    case integrity(String)
    /// A referenced object (a cursor, say) does not exist for this tenant; the value names the parameter.
    case notFound(String)

    package var description: String {
        switch self {
        case .conflict(let message), .integrity(let message), .notFound(let message): message
        }
    }
}
