import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the HTTP application: the router with every middleware and route,
/// and the background services that run beside the server.
///
/// `onServerRunning` receives the bound port (the sandbox prints it; port 0 picks one).
public func buildApplication(
    runtime: PorticoRuntime, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let config = runtime.config
    let released = try await runtime.store.releaseAllInFlightIdempotencyKeys()
    if released > 0 {
        runtime.logger.notice("released idempotency keys left in flight by an earlier run", metadata: ["count": "\(released)"])
    }
    let router = buildRouter(runtime: runtime)
    return Application(
        router: router,
        configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: nil),
        services: backgroundServices(runtime: runtime),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? config.server.port
            runtime.baseURL.set(config.baseURL(port: port))
            await onServerRunning(port)
        },
        logger: runtime.logger)
}

/// Every middleware and route on one screen. Order matters: metrics see the
/// final status; problems are rendered before metrics record them; `/v1`
/// authenticates before idempotency claims a key for the tenant.
func buildRouter(runtime: PorticoRuntime) -> Router<PorticoRequestContext> {
    let config = runtime.config
    let router = Router(context: PorticoRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: runtime.metrics))
    router.add(middleware: ProblemMiddleware(baseURL: runtime.baseURL))
    router.add(middleware: BodyLimitMiddleware(maxBodyBytes: config.server.maxBodyBytes))

    OperationsController(store: runtime.store, metrics: runtime.metrics).register(on: router)
    DocsController().register(on: router)

    let v1 = router.group("v1")
        .add(middleware: AuthenticationMiddleware(authenticator: runtime.authenticator))
        .add(middleware: IdempotencyMiddleware(store: runtime.store, clock: runtime.clock, ttl: TimeInterval(config.idempotency.ttlHours * 3_600)))
    let routes = APIRoutes(group: v1)
    CustomersController(
        store: runtime.store, clock: runtime.clock, cache: RepresentationCache(capacity: config.server.representationCacheEntries)
    ).register(routes)
    routes.finish()
    return router
}

/// Services that run beside the HTTP server; they stop after it has drained.
func backgroundServices(runtime: PorticoRuntime) -> [any Service] {
    let config = runtime.config
    let store = runtime.store
    return [
        PeriodicService(
            name: "key-cache-refresh", interval: .milliseconds(config.keys.cacheRefreshMs), runOnShutdown: false,
            logger: runtime.logger
        ) { try await runtime.authenticator.refreshIfChanged() },
        PeriodicService(
            name: "key-last-used-flush", interval: .milliseconds(config.keys.lastUsedFlushMs), runOnShutdown: true,
            logger: runtime.logger
        ) { try await runtime.flushKeyUsage() },
        PeriodicService(
            name: "idempotency-prune", interval: .seconds(config.idempotency.pruneIntervalSeconds), runOnShutdown: false,
            logger: runtime.logger
        ) { [clock = runtime.clock] in _ = try await store.pruneIdempotencyKeys(now: clock.nowMilliseconds) },
    ]
}

/// Runs the application until SIGTERM or SIGINT, then stops accepting
/// connections, lets in-flight requests finish (up to
/// `server.shutdown_grace_seconds`) and flushes batched state.
public func runUntilSignalled(_ application: some ApplicationProtocol, runtime: PorticoRuntime) async throws {
    var configuration = ServiceGroupConfiguration(
        services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: runtime.logger)
    configuration.maximumGracefulShutdownDuration = .seconds(runtime.config.server.shutdownGraceSeconds)
    try await ServiceGroup(configuration: configuration).run()
}
