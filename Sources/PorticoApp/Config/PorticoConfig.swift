import Logging
import PorticoCore
import PorticoStore

/// Every setting Portico reads, with its default. Names match
/// `config.example.json` (section.key) and `PORTICO_SECTION_KEY`.
public struct PorticoConfig: Sendable, Equatable {
    public struct Server: Sendable, Equatable {
        /// Address to listen on.
        public var host = "127.0.0.1"
        /// Port to listen on; 0 picks a free one.
        public var port = 8080
        /// The instance's external base URL, used in problem `type` links; defaults to http://host:port.
        public var publicURL: String? = nil
        /// Largest request body accepted, in bytes (413 above).
        public var maxBodyBytes = 1_048_576
        /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
        public var shutdownGraceSeconds = 10
        /// Objects whose rendered JSON is kept in memory for repeated GETs; 0 disables.
        public var representationCacheEntries = 10_000
        /// Seconds a keep-alive connection may sit idle between requests before it is closed.
        public var idleTimeoutSeconds = 60
        /// Seconds a client has to send a request line and headers (from the connection's
        /// start, or from a request's first byte on a kept-alive connection).
        public var requestHeadTimeoutSeconds = 10
        /// Seconds a client has to send a request's whole body once its headers are in.
        public var bodyTimeoutSeconds = 30
        /// Open connections beyond which new ones are closed at once; 0 fits it to the
        /// file-descriptor limit (`ConnectionLimits.fitted`).
        public var maxConnections = 0
        /// PEM certificate chain to serve HTTPS with (with `tlsKey`); reloaded on SIGHUP.
        public var tlsCertificate: String? = nil
        /// PEM private key of `tlsCertificate`, unencrypted (keep it mode 0600).
        public var tlsKey: String? = nil

        /// Clients reach this instance over HTTPS: Portico terminates TLS itself, or
        /// `public_url` says a proxy in front does. Session cookies are then `__Host-` and `Secure`.
        public var servesHTTPS: Bool { tlsCertificate != nil || publicURL?.hasPrefix("https://") == true }
    }

    public struct Database: Sendable, Equatable {
        /// `sqlite:PATH` (the embedded default; `path` names the file) or
        /// `postgres://user@host:port/database` (docs/scaling.md). Nil: `sqlite:` + `path`.
        public var url: String?
        /// Pooled connections per instance on PostgreSQL.
        public var maxConnections = 20
        /// On PostgreSQL, how long one database operation may take before its connection is
        /// closed and it fails (a server that stopped answering must not hold requests or a stop).
        public var timeoutSeconds = 30
        public var path = "portico.sqlite"
        /// `normal` (default) or `full`; see docs/operations.md, "Durability".
        public var synchronous = "normal"
        public var busyTimeoutMs = 5_000
        public var readers = 4
    }

    public struct Keys: Sendable, Equatable {
        /// How often the key cache checks the database for keys changed by another process (the CLI).
        public var cacheRefreshMs = 1_000
        /// How often batched `last_used_at` values are written.
        public var lastUsedFlushMs = 10_000
        /// How long a rolled key keeps working unless the roll says otherwise.
        public var defaultRollOverlapHours = 24
    }

    public struct Idempotency: Sendable, Equatable {
        /// How long a stored response is replayed; expired records are deleted by the daily retention job.
        public var ttlHours = 24
    }

    public struct Accounts: Sendable, Equatable {
        /// scrypt cost as log2(N); OWASP's minimum is 17 (N = 131072, r = 8, p = 1).
        public var passwordHashCost = 17
    }

    public struct RequestLogs: Sendable, Equatable {
        /// Width of one log partition table in hours; a divisor of 24, so partitions align with UTC days.
        public var partitionHours = 24
        /// Partitions created ahead of the current one, so a write never has to create a table.
        public var partitionsAhead = 2
        /// The writer commits as soon as this many records wait…
        public var batchSize = 1_000
        /// …or this long after the previous commit, whichever comes first.
        public var flushIntervalMs = 500
        /// Records waiting beyond this are dropped and counted, never buffered without limit.
        public var queueCapacity = 100_000
        /// Disk space reserved beside the database for request logs that cannot be committed at
        /// shutdown (a full disk); committed at the next start. 0 disables (they are then counted as lost).
        public var spillReserveBytes = 8_388_608
        /// Captured bodies (when an organization turns capture on) are cut to this many bytes after redaction.
        public var bodyCaptureMaxBytes = 4_096
        /// JSON field names whose values are replaced in captured bodies (matched case-insensitively, as substrings).
        public var sensitiveFields = ["password", "secret", "token", "api_key", "authorization", "cookie", "card", "cvc", "cvv", "ssn"]

        /// `partition_hours` in milliseconds, the unit the store works in.
        var partitionWidth: Int64 { Int64(partitionHours) * 3_600_000 }
    }

    public struct RateLimits: Sendable, Equatable {
        /// Token bucket per client IP (IPv6 per /64) for every `/v1` request, authenticated or not; 0 disables.
        public var ipPerSecond = 100
        /// Sliding 60-second window per client IP; 0 disables.
        public var ipPerMinute = 3_000
        /// Most limiter buckets kept in memory; idle ones are evicted first.
        public var maxTrackedBuckets = 100_000
        /// Per-route overrides, keyed `"METHOD /v1/path/:param"`.
        public var routes: [String: RouteLimit] = [:]
    }

    public struct Billing: Sendable, Equatable {
        /// Plan given to new organizations.
        public var defaultPlan = "free"
        /// How often finished months are checked for missing invoices.
        public var invoiceCheckIntervalSeconds = 3_600
    }

    /// How long each kind of data is kept (`retention.*`); the daily retention job applies it.
    public struct Retention: Sendable, Equatable {
        /// Request-log partitions (captured bodies included) entirely older than this are dropped whole.
        public var requestLogsDays = 30
        /// Events older than this are deleted with their deliveries and attempts.
        public var eventsDays = 30
        /// Finished deliveries (and their attempts, with the receivers' response excerpts) older than this are deleted; at most `eventsDays`.
        public var deliveriesDays = 30
        /// The audit log is kept longest: a year.
        public var auditDays = 365
        /// Mails in the outbox (bodies sealed) older than this are deleted, sent or not.
        public var mailDays = 30
    }

    public struct Secrets: Sendable, Equatable {
        /// The file holding the key that seals webhook signing secrets at rest; nil: `<database.path>.key`.
        public var keyFile: String? = nil
    }

    public struct Webhooks: Sendable, Equatable {
        /// Longest a delivery attempt may take: connect, send and read the response.
        public var timeoutSeconds = 15
        /// On PostgreSQL, how long past an attempt's timeout a claimed delivery stays with the
        /// instance that claimed it (time to record the outcome); an instance that dies holds
        /// its deliveries `timeoutSeconds` + this long before another takes them over.
        public var leaseMarginSeconds = 60
        /// Attempts in flight at once, across all endpoints.
        public var maxConcurrency = 64
        /// Attempts in flight at once to one endpoint, so a slow endpoint cannot take every slot.
        public var perEndpointConcurrency = 4
        /// Bytes of a receiver's response body kept with the attempt (the rest is not read).
        public var responseExcerptBytes = 2_048
        /// An endpoint failing without a single success for this long is disabled.
        public var autoDisableAfterHours = 120
        /// Subnets (CIDR) webhook URLs may resolve to although they are not public, e.g. ["10.1.0.0/16"].
        public var allowedCidrs: [String] = []
        /// How long the previous secret keeps signing after `rotate-secret`, unless the call says otherwise.
        public var rotationOverlapHours = 24
        /// Webhook endpoints per organization and mode.
        public var maxEndpoints = 16
    }

    public struct Dashboard: Sendable, Equatable {
        /// Who may create an account in the dashboard: "closed" (the CLI only),
        /// "invite" (holders of a member's invitation link) or "open" (anyone,
        /// who then gets an organization of their own).
        public var signup = "invite"
        /// A session unused this long is over.
        public var sessionIdleMinutes = 30
        /// A session is over this long after sign-in, however busy.
        public var sessionAbsoluteHours = 12
        /// Failed sign-ins allowed per account per `login_window_minutes` before it is throttled.
        public var loginAttempts = 5
        public var loginWindowMinutes = 15
        /// How long an invitation link stays valid.
        public var invitationTTLHours = 72
        /// The request-log page examines at most this many of the
        /// organization's newest rows in its window when a filter is set,
        /// then offers to search older ones: a rare status over millions of
        /// rows stays a fast page (about 1.5 µs per row examined here).
        public var logSearchRows = 10_000
    }

    /// Where mail goes (`mail.*`). With no `smtp_host` (the default) mails are kept in the
    /// outbox for staff to read at `/admin/mail`; the sandbox always keeps them.
    public struct Mail: Sendable, Equatable {
        public var smtpHost: String?
        public var smtpPort = 587
        /// none, starttls or tls.
        public var smtpSecurity = "starttls"
        public var smtpUsername: String?
        /// Only from `PORTICO_MAIL_SMTP_PASSWORD`: a config file may be read by more people than its secrets should be.
        public var smtpPassword: String?
        /// PEM roots to trust for the relay instead of the system's.
        public var smtpCAFile: String?
        public var from = "portico@localhost"
        /// One deadline for a whole SMTP exchange.
        public var timeoutSeconds = 30
        /// Tries per mail before it is marked failed (1, 2, 4… minutes apart, at most 2 hours).
        public var maxAttempts = 8

        /// The sender, checked at load.
        var sender: MailAddress { MailAddress(from) ?? MailAddress("portico@localhost")! }
    }

    /// Scheduled backups (`backup.*`); off until `directory` is set.
    public struct Backup: Sendable, Equatable {
        /// Where scheduled backups go (`portico-<UTC time>.sqlite`); nil: no scheduled backups.
        public var directory: String? = nil
        /// Hours between backups, counted from the newest one in `directory` (so restarts do not delay it).
        public var everyHours = 24
        /// Verified backups kept; older ones are deleted once a new one has passed its integrity check.
        public var keep = 7
    }

    public struct Logging: Sendable, Equatable {
        /// trace, debug, info, notice, warning, error or critical.
        public var level = "info"
        /// `json` (one object per line) or `text`.
        public var format = "json"
    }

    public var server = Server()
    public var database = Database()
    public var backup = Backup()
    public var keys = Keys()
    public var idempotency = Idempotency()
    public var accounts = Accounts()
    public var logging = Logging()
    public var requestLogs = RequestLogs()
    public var rateLimits = RateLimits()
    public var billing = Billing()
    public var retention = Retention()
    public var webhooks = Webhooks()
    public var secrets = Secrets()
    public var dashboard = Dashboard()
    public var mail = Mail()
    /// Plans by identifier (`organizations.plan`); see `Plan`.
    public var plans = Plan.defaults
    /// The team's own API behind Portico (`GatewayConfig`).
    public var gateway = GatewayConfig()

    public init() {}

    /// The plan `organization` is on, with its custom limits applied; nil when no such plan is configured.
    package func plan(for organization: OrganizationRecord) -> Plan? {
        plans[organization.plan]?.overriding(organization.limitOverrides)
    }

    /// How long each kind of data is kept: `retention.*`, the idempotency window and the session timeouts.
    package var retentionPolicy: RetentionPolicy {
        RetentionPolicy(
            requestLogsDays: retention.requestLogsDays,
            eventsDays: retention.eventsDays,
            deliveriesDays: retention.deliveriesDays,
            auditDays: retention.auditDays,
            mailDays: retention.mailDays,
            idempotencyHours: idempotency.ttlHours,
            sessionIdleMinutes: dashboard.sessionIdleMinutes,
            sessionAbsoluteHours: dashboard.sessionAbsoluteHours
        )
    }

    /// The base URL clients use to reach this instance once it listens on `port`.
    func baseURL(port: Int) -> String {
        server.publicURL ?? listenURL(port: port)
    }

    /// The address this instance listens on (`https://` when it serves TLS; IPv6 hosts bracketed).
    public func listenURL(port: Int) -> String {
        "\(server.tlsCertificate == nil ? "http" : "https")://\(server.host.contains(":") ? "[\(server.host)]" : server.host):\(port)"
    }

    /// Which engine `database.url` names, and where.
    package var databaseEngine: DatabaseEngine {
        get throws { try DatabaseEngine(url: database.url, path: database.path) }
    }

    /// The file holding the key that seals webhook signing secrets (`secrets.key_file`, else beside the database).
    public var secretsKeyPath: String { secrets.keyFile ?? database.path + ".key" }

    var storeConfiguration: StoreConfiguration {
        StoreConfiguration(
            path: database.path,
            synchronous: StoreConfiguration.Synchronous(rawValue: database.synchronous.uppercased()) ?? .normal,
            busyTimeoutMilliseconds: database.busyTimeoutMs,
            readerCount: database.readers
        )
    }

    public var logLevel: Logger.Level { Logger.Level(rawValue: logging.level) ?? .info }
}
