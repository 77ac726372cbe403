import Foundation
import Logging
import PorticoCore
import PorticoPostgres
import PorticoStore

/// Everything one Portico instance shares: the store, the clock, metrics, the
/// key cache and the services built on them. The composition root; the CLI
/// and tests build one and hand it to `buildApplication`.
public final class PorticoRuntime: Sendable {
    public let config: PorticoConfig
    public let logger: Logger
    /// Everything Portico stores, on the engine `database.url` names, held as its contracts.
    let store: any PorticoStorage
    let clock: any PorticoClock
    let metrics: PorticoMetrics
    let lastUsed: LastUsedTracker
    let authenticator: KeyAuthenticator
    /// The instance's external base URL; known for certain only once the port is bound (port 0).
    let baseURL: BaseURL

    /// Rate limits and quotas, checked by the gateway on every `/v1` request.
    let admission: AdmissionControl
    /// The batching request-log writer (a Service run beside the server).
    let logWriter: RequestLogWriter
    let redactor: BodyRedactor

    /// Webhooks: the address policy, the HTTP client, the scheduler, replay jobs.
    let addressPolicy: AddressPolicy
    let webhookClient: WebhookClient
    let dispatcher: WebhookDispatcher
    let replayer: WebhookReplayer
    let webhookEndpoints: WebhookEndpointService
    /// `portico listen` connections (the dispatcher sends their endpoints' deliveries down them).
    let listeners = ListenerHub()
    /// Seals webhook signing secrets at rest; `secretKeyCreated` when this start made its key file.
    let secretBox: SecretBox
    let secretKeyCreated: Bool
    /// Open HTTP connections (`server.max_connections`).
    let connections = ConnectionCounter()
    /// Idempotency keys whose request is running in this process.
    let idempotencyClaims = IdempotencyClaims()
    /// Test-only fault switches (`TEST_PORTICO_FAULTS`; tests set them directly).
    let faults: FaultInjection
    /// The clock `POST /v1/sandbox/clock/advance` moves; nil unless this is a sandbox instance.
    let sandboxClock: OffsetClock?

    /// The gateway: its routes (reloaded on SIGHUP from `gatewaySource`), identity tokens and upstream client.
    let gateway: GatewayTable
    let identity: IdentityTokens
    let proxy: UpstreamProxy
    /// Reads the `gateway` section again for a reload; nil: this instance cannot reload.
    let gatewaySource: (@Sendable () throws -> GatewayConfig)?

    public let keys: KeyService
    public let platformKeys: PlatformKeys
    public let accounts: AccountService
    public let staff: StaffService
    /// Makes outbox rows (sealed bodies, ids).
    let mail: MailComposer
    /// Sends the outbox; nil without `mail.smtp_host`, and always in a sandbox (which keeps every mail).
    let mailer: Mailer?
    public let organizations: OrganizationAdministration
    public let billing: BillingService
    /// `backup.directory`'s schedule; nil when scheduled backups are off.
    let backups: ScheduledBackups?

    /// Opens the database at `config.database.path`, migrating it unless
    /// `migrate` is false. A `sandbox` instance gets a clock that
    /// `POST /v1/sandbox/clock/advance` can move.
    /// `gatewaySource` reads the `gateway` section again when SIGHUP asks for a reload.
    public convenience init(
        config: PorticoConfig,
        logger: Logger,
        sandbox: Bool = false,
        migrate: Bool = true,
        gatewaySource: (@Sendable () throws -> GatewayConfig)? = nil
    ) throws {
        try self.init(
            config: config,
            logger: logger,
            clock: sandbox ? OffsetClock() : SystemClock(),
            sandbox: sandbox,
            migrate: migrate,
            gatewaySource: gatewaySource
        )
    }

    /// Opens the engine `database.url` names: the SQLite file (as `init` does), or a
    /// PostgreSQL database, migrated unless `migrate` is false (a database a newer build
    /// migrated is refused either way, as on SQLite).
    public static func open(
        config: PorticoConfig,
        logger: Logger,
        sandbox: Bool = false,
        migrate: Bool = true,
        gatewaySource: (@Sendable () throws -> GatewayConfig)? = nil
    ) async throws -> PorticoRuntime {
        try await open(
            config: config,
            logger: logger,
            clock: sandbox ? OffsetClock() : SystemClock(),
            sandbox: sandbox,
            migrate: migrate,
            gatewaySource: gatewaySource
        )
    }

    /// `open` with the clock given (tests move it).
    static func open(
        config: PorticoConfig,
        logger: Logger,
        clock: any PorticoClock,
        sandbox: Bool = false,
        migrate: Bool = true,
        gatewaySource: (@Sendable () throws -> GatewayConfig)? = nil
    ) async throws -> PorticoRuntime {
        guard case .postgres(let url) = try config.databaseEngine else {
            return try PorticoRuntime(config: config, logger: logger, clock: clock, sandbox: sandbox, migrate: migrate, gatewaySource: gatewaySource)
        }
        // The representation cache is invalidated by this process's writes only; another
        // instance's update would leave it serving the old customer (docs/scaling.md).
        var config = config
        config.server.representationCacheEntries = 0
        let policy = AppStorePolicy(config: config, clock: clock)
        // A delivery is this instance's for longer than an attempt can take (and then some for
        // recording it), so no other instance sends it again while it is in flight.
        let store = PostgresStore(
            url: url,
            maximumConnections: config.database.maxConnections,
            deliveryLeaseMilliseconds: Int64(config.webhooks.timeoutSeconds + config.webhooks.leaseMarginSeconds) * 1_000,
            operationTimeout: .seconds(config.database.timeoutSeconds),
            policy: policy,
            logger: logger
        )
        do {
            if migrate {
                try await store.migrate()
            } else {
                let unknown = try await store.unknownMigrations()
                guard unknown.isEmpty else { throw StoreError.schemaNewer(unknown: unknown) }
            }
        } catch {
            try? store.close()
            throw error
        }
        return try PorticoRuntime(
            config: config,
            logger: logger,
            clock: clock,
            sandbox: sandbox,
            migrate: migrate,
            gatewaySource: gatewaySource,
            opened: (store, policy)
        )
    }

    /// `opened`: a store already open on another engine, and the policy it was given; nil:
    /// the SQLite file at `database.path`, opened here.
    init(
        config: PorticoConfig,
        logger: Logger,
        clock: any PorticoClock,
        sandbox: Bool = false,
        migrate: Bool = true,
        gatewaySource: (@Sendable () throws -> GatewayConfig)? = nil,
        opened: (store: any PorticoStorage, policy: AppStorePolicy)? = nil
    ) throws {
        self.config = config
        self.gatewaySource = gatewaySource
        self.gateway = GatewayTable(try GatewayDefinition(config.gateway, serverMaxBodyBytes: config.server.maxBodyBytes))
        let faults = FaultInjection(environment: ProcessInfo.processInfo.environment)
        self.faults = faults
        self.sandboxClock = sandbox ? clock as? OffsetClock : nil
        self.logger = logger
        self.clock = clock
        // Alert mails are written by the store in the transaction of what they are about; their words
        // are the app's, which need the secrets key, read after the store opened (its failures come first).
        let policy = opened?.policy ?? AppStorePolicy(config: config, clock: clock)
        if let opened {
            self.store = opened.store
        } else {
            var storeConfiguration = config.storeConfiguration
            storeConfiguration.policy = policy
            self.store = try SQLiteStore(configuration: storeConfiguration, migrate: migrate)
        }
        (self.secretBox, self.secretKeyCreated) = try SecretBox.load(path: config.secretsKeyPath)
        self.baseURL = BaseURL(config.baseURL(port: config.server.port))
        let composer = MailComposer(secrets: secretBox, sender: config.mail.sender)
        self.mail = composer
        let alerts = AlertMails(composer: composer, baseURL: baseURL)
        policy.fill(alerts)
        self.metrics = PorticoMetrics()
        self.identity = IdentityTokens(store: store, secrets: secretBox, issuer: baseURL)
        self.proxy = try UpstreamProxy(
            identity: identity,
            gateway: gateway,
            metrics: metrics,
            logger: logger,
            settings: config.gateway
        )
        self.lastUsed = LastUsedTracker()
        self.authenticator = KeyAuthenticator(store: store, clock: clock, lastUsed: lastUsed)
        self.admission = AdmissionControl(
            config: config,
            store: store,
            clock: clock,
            cluster: (store as? any LimitReservationStore).map { ClusterLimiter(store: $0, logger: logger) },
            sharedUsage: (store as? any LimitReservationStore).map { ClusterUsage(store: $0, logger: logger) }
        )
        self.logWriter = RequestLogWriter(
            config: config.requestLogs,
            store: store,
            metrics: metrics,
            logger: logger,
            spill: RequestLogSpill(databasePath: config.database.path, reserveBytes: config.requestLogs.spillReserveBytes)
        )
        self.redactor = BodyRedactor(sensitiveFields: config.requestLogs.sensitiveFields, maxBytes: config.requestLogs.bodyCaptureMaxBytes)
        self.billing = BillingService(config: config, store: store, clock: clock, authenticator: authenticator)
        self.keys = KeyService(
            store: store,
            clock: clock,
            authenticator: authenticator,
            catalogue: { [gateway] in gateway.definition.catalogue },
            alerts: alerts
        )
        self.platformKeys = PlatformKeys(store: store, clock: clock, authenticator: authenticator)
        self.addressPolicy = AddressPolicy(allowlist: config.webhooks.allowedCidrs.compactMap { CIDR($0) })
        self.webhookClient = try WebhookClient(
            timeout: .seconds(config.webhooks.timeoutSeconds),
            excerptLimit: config.webhooks.responseExcerptBytes
        )
        self.dispatcher = WebhookDispatcher(
            store: store,
            clock: clock,
            client: webhookClient,
            policy: addressPolicy,
            settings: config.webhooks,
            metrics: metrics,
            logger: logger,
            faults: faults,
            secrets: secretBox,
            listeners: listeners
        )
        self.replayer = WebhookReplayer(store: store, clock: clock, logger: logger)
        self.webhookEndpoints = WebhookEndpointService(
            store: store,
            clock: clock,
            settings: config.webhooks,
            policy: addressPolicy,
            replays: replayer,
            secrets: secretBox
        )
        self.accounts = AccountService(
            store: store,
            clock: clock,
            hasher: PasswordHasher(cost: config.accounts.passwordHashCost),
            defaultPlan: config.billing.defaultPlan
        )
        self.organizations = OrganizationAdministration(
            store: store,
            clock: clock,
            authenticator: authenticator,
            plans: config.plans,
            partitionWidth: config.requestLogs.partitionWidth
        )
        self.staff = StaffService(store: store, clock: clock, hasher: PasswordHasher(cost: config.accounts.passwordHashCost), secrets: secretBox)
        let heloName = URL(string: config.baseURL(port: config.server.port))?.host ?? "localhost"
        if !sandbox, let settings = config.mail.smtpSettings(heloName: heloName) {
            self.mailer = Mailer(
                store: store,
                clock: clock,
                composer: composer,
                settings: settings,
                maxAttempts: config.mail.maxAttempts,
                logger: logger
            )
        } else {
            self.mailer = nil
        }
        if let directory = config.backup.directory {
            self.backups = ScheduledBackups(
                settings: config.backup,
                directory: directory,
                store: store,
                clock: clock,
                metrics: metrics,
                logger: logger
            )
        } else {
            self.backups = nil
        }
    }

    /// Reads the `gateway` section again and puts it in force; an invalid one
    /// leaves the running routes as they are (the error says why).
    func reloadGateway() throws {
        guard let gatewaySource else { throw ConfigError(description: "this instance was not started from a config file; nothing to reload") }
        let definition = try GatewayDefinition(try gatewaySource(), serverMaxBodyBytes: config.server.maxBodyBytes)
        gateway.reload(definition)
        logger.notice("gateway configuration reloaded", metadata: ["routes": "\(definition.routes.count)"])
    }

    /// Makes a new identity signing key; the current one stays published for `overlapSeconds`.
    public func rotateSigningKey(overlapSeconds: Int) async throws -> String {
        try await identity.rotate(now: clock.nowMilliseconds, overlap: TimeInterval(overlapSeconds))
    }

    /// Deletes everything past its retention period (`retention.*`); the daily job, and tests.
    @discardableResult
    func applyRetention() async -> RetentionJob.Report {
        await RetentionJob(policy: config.retentionPolicy, partitionWidth: partitionWidth, store: store, metrics: metrics, logger: logger)
            .run(now: clock.nowMilliseconds)
    }

    /// Writes the pending `last_used_at` batch now (shutdown, tests).
    func flushKeyUsage() async throws {
        try await lastUsed.flush(to: store)
    }

    /// Commits every queued request-log record now (what the writer does at
    /// shutdown); the in-process hot-path profile times it on its own.
    public func flushRequestLogs() async { await logWriter.flush() }

    /// Width of one request-log partition in milliseconds.
    var partitionWidth: Int64 { config.requestLogs.partitionWidth }

    /// Creates the partitions ahead of time (at start-up and every five minutes,
    /// so a write never has to create a table); returns those it created.
    /// Old ones are dropped by the retention job.
    @discardableResult
    func maintainRequestLogs() async throws -> [String] {
        let now = clock.nowMilliseconds
        let width = partitionWidth
        return try await store.createRequestLogPartitions(
            from: now,
            through: now + Int64(config.requestLogs.partitionsAhead) * width,
            width: width
        )
    }

    /// Seals webhook signing secrets stored in the clear by an earlier version;
    /// refuses to start when sealed secrets meet a key file made just now (the
    /// original key file is missing, and every signature would be wrong).
    func sealWebhookSecrets() async throws {
        let box = secretBox
        let (sealed, foundSealed) = try await store.sealEndpointSecrets(isSealed: SecretBox.isSealed) { box.seal($0, for: $1) }
        if secretKeyCreated, foundSealed {
            throw StartupFailure.secretsKeyMissing(database: config.database.path, keyFile: config.secretsKeyPath)
        }
        if sealed > 0 { logger.notice("sealed webhook signing secrets stored in the clear", metadata: ["endpoints": "\(sealed)"]) }
    }

    /// Marks the `portico listen` endpoints this instance holds as held, then deletes those
    /// whose connection is gone: held by no instance for `listenerGraceMilliseconds` (a server
    /// killed with SIGKILL left them, or a client vanished before its stream began). The grace
    /// covers one being opened right now, and on PostgreSQL another instance's, which marks
    /// its own on every pass (`listenerSweepInterval`, a third of the grace).
    func sweepListenerEndpoints() async throws {
        let now = clock.nowMilliseconds
        let held = listeners.openEndpointIDs
        try await store.touchEndpoints(ids: held.sorted(), at: now)
        for endpoint in try await store.endpoints(urlPrefix: WebhookEndpointRecord.listenerURLPrefix)
        where endpoint.updatedAt < now - Self.listenerGraceMilliseconds && !held.contains(endpoint.id) {
            _ = try await webhookEndpoints.delete(id: endpoint.id, scope: endpoint.scope, by: .system)
        }
    }

    /// How long a `portico listen` endpoint no instance marks as held is kept.
    static let listenerGraceMilliseconds: Int64 = 90_000
    /// How often each instance marks its listeners and sweeps the rest.
    static let listenerSweepInterval: Duration = .seconds(30)

    /// Writes the alert digests now due (exhausted deliveries held back within the hour); how many.
    @discardableResult
    func sendAlertDigests() async throws -> Int {
        try await store.sendDueAlertDigests(now: clock.nowMilliseconds)
    }

    /// Announces keys that expire within a week (`api_key.expiring`, event and alert mails, once per key); how many.
    @discardableResult
    func announceExpiringKeys() async throws -> Int {
        try await store.announceExpiringKeys(now: clock.nowMilliseconds) { [clock] key in
            let now = clock.nowMilliseconds
            return Events.make(
                AlertKind.keyExpiring.rawValue,
                about: APIKeyResource(key, now: now),
                scope: TenantScope(organizationId: key.organizationId, livemode: key.livemode),
                requestID: nil,
                at: now
            )
        }
    }

    /// Sends the staff's digest of the day that ended last, once (`StaffDigest`).
    @discardableResult
    func sendStaffDigest() async throws -> Bool {
        try await StaffDigest(runtime: self).sendIfDue()
    }

    /// Samples the webhook backlog into the metrics.
    func sampleWebhookBacklog() async throws {
        let now = clock.nowMilliseconds
        let backlog = try await store.deliveryBacklog()
        metrics.webhookOwed.record(backlog.owed)
        metrics.webhookOldestDueAge.record(Double(max(0, now - (backlog.oldestDueAt ?? now))) / 1_000)
    }

    // MARK: Operations the CLI exposes

    public func migrate() async throws -> [String] { try await store.migrate() }

    /// What `migrate` would apply to the database at `path`, and what it has that this
    /// build does not know; opens nothing but a read-only connection.
    public static func migrationPlan(databasePath path: String) throws -> (pending: [String], unknown: [String]) {
        try SQLiteStore.migrationPlan(at: path)
    }

    /// The same for the database `database.url` names; nil when that is SQLite (see `migrationPlan(databasePath:)`).
    public static func migrationPlan(config: PorticoConfig, logger: Logger) async throws -> (pending: [String], unknown: [String])? {
        guard case .postgres(let url) = try config.databaseEngine else { return nil }
        let store = PostgresStore(url: url, maximumConnections: 1, logger: logger)
        defer { try? store.close() }
        return try await store.migrationPlan()
    }

    /// `portico migrate --from sqlite:PATH --to postgres://…`: copies the SQLite database into
    /// the empty PostgreSQL one (migrating it first), verified table by table; returns each
    /// table's count and checksum. `from` and `to` are `database.url` spellings.
    public static func copyDatabase(
        from: String,
        to: String,
        config: PorticoConfig,
        logger: Logger,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [String] {
        guard case .sqlite(let path) = try DatabaseEngine(url: from, path: config.database.path) else {
            throw PostgresURL.ParseError("--from must be a SQLite database (sqlite:PATH)")
        }
        guard case .postgres(let url) = try DatabaseEngine(url: to, path: config.database.path) else {
            throw PostgresURL.ParseError("--to must be a PostgreSQL database (postgres://user@host:port/database)")
        }
        let target = PostgresStore(url: url, maximumConnections: 2, logger: logger)
        defer { try? target.close() }
        let copy = SQLiteImport(sqlitePath: path, target: target, partitionWidth: config.requestLogs.partitionWidth, progress: progress)
        do {
            return try await copy.run().map(\.description)
        } catch let failure as SQLiteImport.Failure {
            throw DatabaseCopyError(description: failure.description)
        } catch {
            // PostgresNIO's errors keep their detail out of `description`; `reflecting` shows it.
            throw DatabaseCopyError(description: String(reflecting: error))
        }
    }

    /// Why `copyDatabase` stopped (the target is left as it was).
    public struct DatabaseCopyError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Whether this instance runs on PostgreSQL (commands that only SQLite has refuse there).
    public var isPostgres: Bool { store is PostgresStore }

    public func check() async throws -> (integrityOK: Bool, schemaCurrent: Bool, report: String) {
        let result = try await store.check()
        let report = """
            integrity: \(result.integrity.joined(separator: "; "))
            journal_mode: \(result.journalMode)
            schema: \(result.appliedMigrations.last ?? "none") (expected \(result.expectedSchemaVersion))
            """ + (result.unknownMigrations.isEmpty ? "" : "\nnewer than this build: \(result.unknownMigrations.joined(separator: ", "))")
        return (result.integrityOK, result.schemaCurrent, report)
    }

    public func backup(to path: String) async throws { try await store.backup(to: path) }

    package func organizations() async throws -> [OrganizationRecord] { try await store.organizations() }

    /// One line per key for `portico key list`: id, prefix…last4, mode, kind, state, scopes.
    public func describeKeys(organizationID: String) async throws -> [String] {
        let now = clock.nowMilliseconds
        return try await store.apiKeys(organizationId: organizationID).map { key in
            let state =
                switch KeyState(revokedAt: key.revokedAt, expiresAt: key.expiresAt, rolledToID: key.rolledToId, now: now) {
                case .revoked: "revoked"
                case .expired: "expired"
                case .rolled(let expiresAt): "rolled (expires \(RFC3339.string(milliseconds: expiresAt ?? now)))"
                case .active: "active"
                }
            let lastUsed = key.lastUsedAt.map { RFC3339.string(milliseconds: $0) } ?? "never"
            return [
                key.id, "\(key.prefix)…\(key.last4)", key.livemode ? "live" : "test", key.kind, state,
                "scopes=\(key.scopes)", "last_used=\(lastUsed)", key.label ?? "",
            ].joined(separator: "\t")
        }
    }

    public func close() throws { try store.close() }
}
