import Foundation
import NIOCore

/// What the listener allows a connection: how long it may idle or dawdle,
/// how large a request line and header section may be, and how many
/// connections may be open at once (`server.*` settings).
struct ConnectionLimits: Sendable {
    var idleTimeout: TimeAmount
    var requestHeadTimeout: TimeAmount
    var bodyTimeout: TimeAmount
    var maxConnections: Int
    /// The request line (method, target, version); longer is 414.
    var maxRequestLineBytes = 8_192
    /// All header fields together; more is 431.
    var maxHeaderBytes = 32_768

    /// How often a connection with a deadline checks it: half the shortest
    /// timeout, so a timeout fires between 1 and 1.5 times its setting.
    var checkInterval: TimeAmount {
        .nanoseconds(max(100_000_000, min(idleTimeout, requestHeadTimeout, bodyTimeout).nanoseconds / 2))
    }

    init(_ server: PorticoConfig.Server) {
        idleTimeout = .seconds(Int64(server.idleTimeoutSeconds))
        requestHeadTimeout = .seconds(Int64(server.requestHeadTimeoutSeconds))
        bodyTimeout = .seconds(Int64(server.bodyTimeoutSeconds))
        maxConnections = server.maxConnections > 0 ? server.maxConnections : Self.fitted(descriptorLimit: Self.raiseDescriptorLimit())
    }

    /// Connections that fit under `descriptorLimit` with room for the
    /// database, webhook connections, log files and the listener itself.
    static func fitted(descriptorLimit: Int) -> Int {
        max(16, descriptorLimit - max(128, descriptorLimit / 8))
    }

    /// Raises this process's soft file-descriptor limit to its hard limit (as
    /// Go's runtime and nginx's `worker_rlimit_nofile` do); returns the soft limit now in force.
    @discardableResult
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(descriptorResource, &limit) == 0 else { return 1_024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1_048_576)
            if setrlimit(descriptorResource, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let descriptorResource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let descriptorResource = RLIMIT_NOFILE
    #endif
}
