import Foundation
import Hummingbird
import Logging
import NIOCore
import PorticoCore
import PorticoPostgres
import ServiceLifecycle

/// Builds the HTTP application: the router with every middleware and route,
/// and the background services that run beside the server.
///
/// `onServerRunning` receives the bound port (the sandbox prints it; port 0
/// picks one); `services` run beside the built-in ones.
public func buildApplication(
    runtime: PorticoRuntime,
    services extra: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let config = runtime.config
    let tls = try serverTLS(config.server)
    let router = try await prepareRouter(runtime: runtime)
    return Application(
        router: router,
        server: .portico(limits: ConnectionLimits(config.server), counter: runtime.connections, baseURL: runtime.baseURL, tls: tls),
        configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: nil),
        services: backgroundServices(runtime: runtime, tls: tls) + extra,
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? config.server.port
            runtime.baseURL.set(config.baseURL(port: port))
            await onServerRunning(port)
        },
        logger: runtime.logger
    )
}

/// The certificate and key to serve HTTPS with, read now: a file that cannot be
/// used stops the start with exit status 2, as any invalid setting does.
private func serverTLS(_ server: PorticoConfig.Server) throws -> ServerTLS? {
    guard let certificate = server.tlsCertificate, let key = server.tlsKey else { return nil }
    do {
        return try ServerTLS(certificatePath: certificate, keyPath: key)
    } catch {
        throw StartupFailure(description: "invalid configuration: \(error)", exitStatus: 2)
    }
}

/// The application's responder without a server or background services:
/// the in-process hot-path profile (Benchmarks/HotPathProfile) calls it directly.
public func buildResponder(runtime: PorticoRuntime) async throws -> some HTTPResponder<PorticoRequestContext> {
    try await prepareRouter(runtime: runtime).buildResponder()
}

/// The start-up work every server needs before its first request, then the router.
private func prepareRouter(runtime: PorticoRuntime) async throws -> Router<PorticoRequestContext> {
    try await runtime.maintainRequestLogs()
    try await runtime.sealWebhookSecrets()
    // The key cache's baseline, read before the first request: otherwise the
    // first poll would find no baseline and drop keys cached since start.
    try await runtime.authenticator.refreshIfChanged()
    // The first start makes the gateway's identity signing key; later ones load it.
    try await runtime.identity.prepare(now: runtime.clock.nowMilliseconds)
    return buildRouter(runtime: runtime)
}

/// Every middleware and route on one screen. A `/v1` request passes these
/// layers in this order, outermost first (docs/architecture.md walks one
/// through them); other paths pass only the router middleware, each of
/// which steps aside for what is not its business.
func buildRouter(runtime: PorticoRuntime) -> Router<PorticoRequestContext> {
    let config = runtime.config
    let store = runtime.store
    let clock = runtime.clock
    let router = Router(context: PorticoRequestContext.self)
    router.addMiddleware {
        // 1. The body limit, before anything reads a body (capture, versions, idempotency): the
        //    server's, or the matched gateway route's (the match is made here, once).
        BodyLimitMiddleware(maxBodyBytes: config.server.maxBodyBytes, gateway: runtime.gateway)
        // 2. Metrics and 3. the request log (and the usage it meters) see the final status of every request.
        MetricsMiddleware(metrics: runtime.metrics)
        RequestLogMiddleware(writer: runtime.logWriter, redactor: runtime.redactor, clock: clock, admission: runtime.admission)
        // 4. Every error inside becomes a problem+json document.
        ProblemMiddleware(baseURL: runtime.baseURL)
        // 5. The gateway, for every /v1 path matched or not: the client IP's limit, authentication
        //    (the principal), the key's, organization's and quota limits, body capture; rate-limit headers.
        APIGatewayMiddleware(
            authenticator: runtime.authenticator,
            admission: runtime.admission,
            redactor: runtime.redactor,
            metrics: runtime.metrics
        )
        // 6. The API version for the authenticated tenant, its changes run around everything inside
        //    (a gateway route's version is forwarded, not applied).
        APIVersionMiddleware(baseURL: runtime.baseURL)
        // 7. A gateway route: its layers (below) around the upstream proxy; anything else goes to the router.
        GatewayMiddleware()
    }
    // Then, on each matched /v1 route (`APIRoutes`, or a gateway route), these route layers, in this order, and the handler.
    let routeLayers: [any RouteLayer] = [
        // 8. 403 unless the key holds the route's scopes.
        ScopeCheck(),
        // 9. 400 for a query parameter the route does not take (a gateway route passes its query on).
        QueryCheck(),
        // 10. The route's own limit (`rate_limits.routes`, a gateway route's `rate_limit`); a refusal gives back what 5 counted.
        RouteLimitCheck(admission: runtime.admission),
        // 11. The plan's monthly quota of the route's metric (`metric_quotas`), if it sets one.
        MetricQuotaCheck(admission: runtime.admission),
        // 12. The route's usage metric, counted on success (not for a replay).
        Metering(),
        // 13. A POST's Idempotency-Key: replay, 409, or run and store the response with the writes
        //     (a gateway route's 2xx once the upstream answered; the key is forwarded too).
        //     After the scope check on purpose: a replay reaches only a key allowed to make the request.
        IdempotencyLayer(
            store: store,
            clock: clock,
            ttl: TimeInterval(config.idempotency.ttlHours * 3_600),
            claims: runtime.idempotencyClaims,
            faults: runtime.faults
        ),
    ]

    runtime.gateway.activate { [admission = runtime.admission, proxy = runtime.proxy] route, method in
        let template = route.template.text
        let spec = RouteSpec(
            method: method,
            route: template,
            scopes: route.scopes,
            query: .checkedByHandler,
            meter: route.metric.map { Meter(metric: $0, quantity: Int64(route.cost)) },
            limit: admission.routeLimit(method: method.rawValue, route: template) ?? route.rateLimit.map(admission.policies(for:))
        )
        return routeLayers.chain(for: spec) { request, context in try await proxy.forward(request, context: context, route: route) }
    }
    router.get("/.well-known/jwks.json") { [identity = runtime.identity] _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: identity.jwks))
        )
    }

    OperationsController(store: store, clock: clock, metrics: runtime.metrics).register(on: router)
    // Portico's operations and the gateway's (`gateway.routes[].openapi`), as of the last reload.
    // `?version=YYYY-MM-DD`: that dated version's document (the newest without it).
    router.get(RouterPath(OpenAPI.path)) { [gateway = runtime.gateway] request, _ in
        let version = try OpenAPI.requestedVersion(request.uri.queryParameters.get("version"))
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: gateway.definition.openAPIJSON(version: version)))
        )
    }
    let dashboard = Dashboard(runtime: runtime)
    registerDashboard(dashboard, on: router)
    registerConsole(Admin(runtime: runtime, dashboard: dashboard), on: router)
    DocsController(dashboard: dashboard).register(on: router)

    registerAPI(on: router, runtime: runtime, layers: routeLayers)
    return router
}

/// Every `/v1` route, with the scope it needs; returns the registry (the OpenAPI test reads what was registered).
@discardableResult
func registerAPI(on router: Router<PorticoRequestContext>, runtime: PorticoRuntime, layers: [any RouteLayer]) -> APIRoutes {
    let config = runtime.config
    let store = runtime.store
    let clock = runtime.clock
    let routes = APIRoutes(group: router.group(RouterPath(APIPath.prefix)), admission: runtime.admission, layers: layers)
    CustomersController(store: store, clock: clock, cache: RepresentationCache(capacity: config.server.representationCacheEntries))
        .register(routes)
    KeysController(
        keys: runtime.keys,
        store: store,
        clock: clock,
        admission: runtime.admission,
        authenticator: runtime.authenticator,
        defaultOverlapSeconds: config.keys.defaultRollOverlapHours * 3_600
    ).register(routes)
    RequestLogsController(store: store, width: runtime.partitionWidth, tail: runtime.logWriter.tail).register(routes)
    UsageController(store: store, billing: runtime.billing, admission: runtime.admission, clock: clock).register(routes)
    InvoicesController(store: store).register(routes)
    UsageRecordsController(store: store, admission: runtime.admission, gateway: runtime.gateway, clock: clock).register(routes)
    EventsController(store: store, clock: clock).register(routes)
    WebhookEndpointsController(service: runtime.webhookEndpoints).register(routes)
    ListenController(service: runtime.webhookEndpoints, hub: runtime.listeners, excerptLimit: config.webhooks.responseExcerptBytes).register(routes)
    WebhookDeliveriesController(service: runtime.webhookEndpoints).register(routes)
    SandboxClockController(clock: runtime.sandboxClock) {
        // Partitions for the new "now" exist before a request is logged there; the scheduler looks again.
        try await runtime.maintainRequestLogs()
        runtime.store.deliveriesQueued.fire()
    }.register(routes)
    SandboxMailboxController(store: store, composer: runtime.mail, isSandbox: runtime.sandboxClock != nil).register(routes)
    routes.finish()
    return routes
}

/// The server-rendered dashboard under `/dashboard`, behind its own middleware (pages, not problem+json).
func registerDashboard(_ dashboard: Dashboard, on router: Router<PorticoRequestContext>) {
    let runtime = dashboard.runtime
    // The root of the instance is its dashboard (a browser pointed at the bare address lands somewhere useful).
    router.get("/") { _, _ in WebPage.redirect(to: "/dashboard") }
    router.get("dashboard/assets/portico.css") { _, _ in WebPage.asset(Stylesheet.css, contentType: "text/css; charset=utf-8") }
    for path in [SiteIcon.path, "/favicon.ico"] {
        router.get(RouterPath(path)) { _, _ in WebPage.asset(SiteIcon.svg, contentType: "image/svg+xml") }
    }
    let group = router.group("dashboard").add(middleware: DashboardMiddleware(logger: runtime.logger))
    AuthPages(dashboard: dashboard).register(on: group)
    PasswordResetPages(dashboard: dashboard).register(on: group)
    AccountPages(dashboard: dashboard).register(on: group)
    TwoFactorPages(dashboard: dashboard).register(on: group)
    OverviewPage(dashboard: dashboard).register(on: group)
    KeysPages(dashboard: dashboard).register(on: group)
    LogsPages(dashboard: dashboard).register(on: group)
    EventsPages(dashboard: dashboard).register(on: group)
    WebhooksPages(dashboard: dashboard).register(on: group)
    DeliveriesPages(dashboard: dashboard).register(on: group)
    UsagePage(dashboard: dashboard).register(on: group)
    InvoicesPages(dashboard: dashboard).register(on: group)
    SettingsPage(dashboard: dashboard).register(on: group)
    MembersPages(dashboard: dashboard).register(on: group)
    AuditPage(dashboard: dashboard).register(on: group)
    // Anything else under /dashboard is a page-shaped 404, not the API's problem+json.
    group.get("**") { _, _ -> Response in throw DashboardError.notFound }
    group.post("**") { _, _ -> Response in throw DashboardError.notFound }
}

/// The operator console (`/admin`), for staff accounts only.
func registerConsole(_ admin: Admin, on router: Router<PorticoRequestContext>) {
    let group = router.group("admin").add(middleware: DashboardMiddleware(logger: admin.runtime.logger, home: Admin.home))
    AdminAuthPages(admin: admin).register(on: group)
    OrganizationsPage(admin: admin).register(on: group)
    OrganizationPage(admin: admin).register(on: group)
    FindPages(admin: admin).register(on: group)
    StaffAuditPage(admin: admin).register(on: group)
    HealthPage(admin: admin).register(on: group)
    MailPages(admin: admin).register(on: group)
    group.get("**") { _, _ -> Response in throw DashboardError.notFound }
    group.post("**") { _, _ -> Response in throw DashboardError.notFound }
}

/// Services that run beside the HTTP server; they stop after it has drained.
func backgroundServices(runtime: PorticoRuntime, tls: ServerTLS? = nil) -> [any Service] {
    let config = runtime.config
    // Services stop in reverse order: the dispatcher before the client it uses.
    return [
        runtime.proxy,
        HangupReloader(reload: ConfigurationReload(runtime: runtime, tls: tls)),
        PeriodicService(
            name: "identity-key-refresh",
            interval: .seconds(10),
            runOnShutdown: false,
            logger: runtime.logger
        ) { [clock = runtime.clock] in try await runtime.identity.refresh(now: clock.nowMilliseconds) },
        runtime.webhookClient,
        runtime.dispatcher,
        runtime.replayer,
        PeriodicService(
            name: "listener-sweep",
            interval: PorticoRuntime.listenerSweepInterval,
            runOnShutdown: false,
            logger: runtime.logger
        ) { try await runtime.sweepListenerEndpoints() },
        PeriodicService(
            name: "alert-digests",
            interval: .seconds(60),
            runOnShutdown: false,
            logger: runtime.logger
        ) { try await runtime.sendAlertDigests() },
        PeriodicService(
            name: "expiring-keys",
            interval: .seconds(3_600),
            runOnShutdown: false,
            logger: runtime.logger
        ) { try await runtime.announceExpiringKeys() },
        PeriodicService(
            name: "staff-digest",
            interval: .seconds(600),
            runOnShutdown: false,
            logger: runtime.logger
        ) { try await runtime.sendStaffDigest() },
        PeriodicService(
            name: "webhook-backlog-metrics",
            interval: .seconds(5),
            runOnShutdown: false,
            logger: runtime.logger
        ) { try await runtime.sampleWebhookBacklog() },
        runtime.logWriter,
    ] + (runtime.mailer.map { [$0] } ?? []) + [
        // Everything past `retention.*`, at start and daily.
        PeriodicService(name: "retention", interval: .seconds(86_400), runAtStart: true, runOnShutdown: false, logger: runtime.logger) {
            await runtime.applyRetention()
        },
        PeriodicService(
            name: "request-log-partitions",
            interval: .seconds(300),
            runOnShutdown: false,
            logger: runtime.logger
        ) { try await runtime.maintainRequestLogs() },
        PeriodicService(
            name: "rate-limit-eviction",
            interval: .seconds(30),
            runOnShutdown: false,
            logger: runtime.logger
        ) { [clock = runtime.clock, metrics = runtime.metrics, limiter = runtime.admission.limiter] in
            metrics.rateLimitBuckets.record(limiter.evictIdle(now: clock.nowMilliseconds))
        },
        PeriodicService(
            name: "invoices",
            interval: .seconds(config.billing.invoiceCheckIntervalSeconds),
            runOnShutdown: false,
            logger: runtime.logger
        ) { _ = try await runtime.billing.invoiceFinishedMonths() },
        PeriodicService(
            name: "key-cache-refresh",
            interval: .milliseconds(config.keys.cacheRefreshMs),
            runOnShutdown: false,
            logger: runtime.logger
        ) { try await runtime.authenticator.refreshIfChanged() },
        PeriodicService(
            name: "key-last-used-flush",
            interval: .milliseconds(config.keys.lastUsedFlushMs),
            runOnShutdown: true,
            logger: runtime.logger
        ) { try await runtime.flushKeyUsage() },
    ]
        + (runtime.backups.map { backups in
            // Checked every five minutes (and at start) against the newest backup's time.
            [
                PeriodicService(name: "scheduled-backup", interval: .seconds(300), runAtStart: true, runOnShutdown: false, logger: runtime.logger) {
                    try await backups.runIfDue()
                }
            ]
        } ?? [])
        // On PostgreSQL, other instances' commits: their deliveries, mail and key changes.
        + ((runtime.store as? PostgresStore).map {
            [ChangeFeed(store: $0, authenticator: runtime.authenticator, reload: ConfigurationReload(runtime: runtime, tls: tls))]
        } ?? [])
        // On PostgreSQL, shared rate-limit reservations a past second left unspent go back, and metered usage is shared.
        + (runtime.admission.cluster.map {
            [SharedLimitsService(limiter: $0, usage: runtime.admission.sharedUsage, clock: runtime.clock, logger: runtime.logger)]
        } ?? [])
}

/// Runs the application until SIGTERM or SIGINT, then stops accepting
/// connections, lets in-flight requests finish (up to
/// `server.shutdown_grace_seconds`) and flushes batched state.
///
/// `watchers` end the run as a signal would, by returning (the sandbox's
/// `ParentWatch`).
public func runUntilSignalled(_ application: some ApplicationProtocol, runtime: PorticoRuntime, watchers: [any Service] = []) async throws {
    var configuration = ServiceGroupConfiguration(
        services: [.init(service: application)] + watchers.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: runtime.logger
    )
    configuration.maximumGracefulShutdownDuration = .seconds(runtime.config.server.shutdownGraceSeconds)
    do {
        try await ServiceGroup(configuration: configuration).run()
    } catch {
        let server = runtime.config.server
        throw StartupFailure.listenFailure(error, address: "\(server.host):\(server.port)") ?? error
    }
    // Everything has stopped: the WAL goes into the database file, so a stopped instance's
    // commits are all in that one file (what a copy of it needs).
    do {
        try runtime.store.close()
    } catch {
        runtime.logger.notice("the database was left open at exit; its WAL is applied at the next start", metadata: ["error": "\(error)"])
    }
}
