import PorticoCore

/// A partition that exists, with the time range it covers.
package struct RequestLogPartitionInfo: Sendable, Equatable {
    package var name: String
    package var start: Int64
    /// Exclusive.
    package var end: Int64
}
