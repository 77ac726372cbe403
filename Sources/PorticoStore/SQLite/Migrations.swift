import Foundation
import GRDB
import PorticoCore

/// Versioned migrations that bring any older Portico database to `schema.sql`.
///
/// Each migration is append-only: once released its SQL never changes, and a
/// later change is a new migration. `MigrationTests` builds one database from
/// `schema.sql` and one through these steps and requires them to be equal, so
/// the two cannot drift.
enum Migrations {
    /// Identifiers in application order; the last one is the current schema version.
    static var identifiers: [String] { steps.map(\.identifier) }

    static var current: String { identifiers.last! }

    /// The migrations recorded in `db`, in the order applied (GRDB's own table; absent until the first).
    static func recorded(in db: Database) throws -> [String] {
        guard try db.tableExists("grdb_migrations") else { return [] }
        return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
    }

    /// Those of `recorded` this build does not know: a newer Portico applied them.
    static func unknown(in recorded: [String]) -> [String] {
        let known = Set(identifiers)
        return recorded.filter { !known.contains($0) }
    }

    static func migrator(upTo target: String? = nil) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for step in steps {
            migrator.registerMigration(step.identifier, migrate: step.migrate)
            if step.identifier == target { break }
        }
        return migrator
    }

    /// One migration: its identifier and what it does (most are one SQL script).
    private struct Step {
        var identifier: String
        var migrate: @Sendable (Database) throws -> Void

        init(_ identifier: String, sql: String) {
            self.identifier = identifier
            self.migrate = { db in try db.execute(sql: sql) }
        }

        init(_ identifier: String, migrate: @escaping @Sendable (Database) throws -> Void) {
            self.identifier = identifier
            self.migrate = migrate
        }
    }

    private static let steps: [Step] = [
        Step("2026-11-01-tenancy-keys-audit", sql: v1),
        Step("2026-11-15-customers-idempotency", sql: v2),
        Step("2026-11-22-metering-invoices", sql: v3),
        Step("2026-11-22-events-webhooks", sql: v4),
        Step("2026-11-23-webhook-due-by-endpoint", sql: v5),
        Step("2026-11-24-dashboard", sql: v6),
        Step("2026-11-25-request-stats", sql: v7),
        Step("2026-11-30-no-secret-at-rest", migrate: v8),
        Step("2026-12-01-gateway-signing-keys", sql: v9),
        Step("2026-12-01-platform-keys-usage-records", sql: v10),
        Step("2026-12-02-operator-console", sql: v11),
        Step("2026-12-03-console-timeline", sql: v12),
        Step("2026-12-04-mail-outbox", sql: v13),
        Step("2026-12-05-password-resets", sql: v14),
        Step("2026-12-06-email-confirmations", sql: v15),
        Step("2026-12-07-user-two-factor", sql: v16),
        Step("2026-12-08-alerts", sql: v17),
    ]

    /// Alert mails: which kinds an organization turned off; per endpoint when its last
    /// exhausted-deliveries mail went and how many exhausted deliveries wait for the next digest;
    /// which keys were announced as expiring; the staff digest sent for each day; usage per tenant, metric and quota period (month,
    /// and day for requests) with the highest threshold announced, counted from the hourly buckets.
    private static let v17 = """
        CREATE TABLE staff_digests (
            day_start INTEGER PRIMARY KEY NOT NULL,
            sent_at INTEGER NOT NULL,
            problems INTEGER NOT NULL
        );
        CREATE TABLE usage_periods (
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            metric TEXT NOT NULL,
            period TEXT NOT NULL CHECK (period IN ('day', 'month')),
            period_start INTEGER NOT NULL,
            quantity INTEGER NOT NULL,
            alerted INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (organization_id, livemode, metric, period, period_start)
        ) WITHOUT ROWID;
        INSERT INTO usage_periods (organization_id, livemode, metric, period, period_start, quantity)
            SELECT organization_id, livemode, metric, 'month',
                CAST(strftime('%s', hour_start / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000, sum(quantity)
            FROM usage_buckets GROUP BY organization_id, livemode, metric, 5;
        INSERT INTO usage_periods (organization_id, livemode, metric, period, period_start, quantity)
            SELECT organization_id, livemode, metric, 'day',
                CAST(strftime('%s', hour_start / 1000, 'unixepoch', 'start of day') AS INTEGER) * 1000, sum(quantity)
            FROM usage_buckets WHERE metric = 'requests' GROUP BY organization_id, livemode, metric, 5;
        ALTER TABLE organizations ADD COLUMN notification_settings TEXT;
        ALTER TABLE api_keys ADD COLUMN expiry_alerted_at INTEGER;
        CREATE INDEX api_keys_expiring ON api_keys(expires_at) WHERE expires_at IS NOT NULL AND expiry_alerted_at IS NULL;
        CREATE TABLE endpoint_alert_digests (
            endpoint_id TEXT PRIMARY KEY NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            last_mailed_at INTEGER NOT NULL,
            pending INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX endpoint_alert_digests_due ON endpoint_alert_digests(last_mailed_at) WHERE pending > 0;
        """

    /// Two-factor sign-in for dashboard users, as staff have it, and an organization setting that
    /// requires it of every member. A session is verified once its second factor is passed; the
    /// sessions that exist already were made without one being asked.
    private static let v16 = """
        ALTER TABLE users ADD COLUMN totp_secret TEXT;
        ALTER TABLE users ADD COLUMN totp_enabled_at INTEGER;
        ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE user_recovery_codes (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            code_hash BLOB NOT NULL,
            used_at INTEGER,
            PRIMARY KEY (user_id, code_hash)
        ) WITHOUT ROWID;
        ALTER TABLE dashboard_sessions ADD COLUMN verified_at INTEGER;
        UPDATE dashboard_sessions SET verified_at = created_at;
        ALTER TABLE organizations ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0 CHECK (require_two_factor IN (0, 1));
        """

    /// Confirmed addresses: open sign-ups confirm theirs; an address change is confirmed from the new one.
    /// Accounts made before confirmation existed count as confirmed (open sign-ups among them):
    /// taking live mode away from them at an upgrade would break integrations that run.
    private static let v15 = """
        ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
        UPDATE users SET email_verified_at = created_at;
        CREATE TABLE email_confirmations (
            token_hash BLOB PRIMARY KEY NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            email TEXT NOT NULL,
            purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'change')),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER
        );
        CREATE INDEX email_confirmations_by_user ON email_confirmations(user_id);
        """

    /// Password reset links: the SHA-256 of each token, single use, short-lived.
    private static let v14 = """
        CREATE TABLE password_resets (
            token_hash BLOB PRIMARY KEY NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER
        );
        CREATE INDEX password_resets_by_user ON password_resets(user_id);
        """

    /// The mail outbox: every mail Portico sends, written with the change that causes it.
    private static let v13 = """
        CREATE TABLE mail_outbox (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            recipients TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            lease_until INTEGER,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            sent_at INTEGER
        );
        CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE status = 'queued';
        """

    /// What the operator console reads across organizations without scanning: the request
    /// timeline's events and staff rows by index, platform-wide traffic per route and hour,
    /// live requests per organization and month (both kept by the request-log writer, the
    /// latter backfilled here from request_stats), live invoice totals per month and plan
    /// (kept by the invoicer, backfilled here), failing endpoints.
    private static let v12 = """
        CREATE INDEX events_by_request ON events(request_id) WHERE request_id IS NOT NULL;
        CREATE INDEX audit_log_by_staff ON audit_log(id) WHERE actor_type = 'staff';
        CREATE INDEX request_stats_errors ON request_stats(organization_id, hour_start) WHERE status_class >= 5;
        CREATE INDEX webhook_endpoints_failing ON webhook_endpoints(failing_since) WHERE failing_since IS NOT NULL;
        CREATE TABLE route_stats (
            hour_start INTEGER NOT NULL,
            route TEXT NOT NULL,
            status_class INTEGER NOT NULL,
            latency_bucket INTEGER NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (hour_start, route, status_class, latency_bucket)
        ) WITHOUT ROWID;
        CREATE TABLE organization_month_stats (
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            month_start INTEGER NOT NULL,
            requests INTEGER NOT NULL,
            PRIMARY KEY (organization_id, month_start)
        ) WITHOUT ROWID;
        CREATE TABLE revenue_months (
            period_start INTEGER NOT NULL,
            plan TEXT NOT NULL,
            currency TEXT NOT NULL,
            invoices INTEGER NOT NULL,
            base_amount INTEGER NOT NULL,
            overage_amount INTEGER NOT NULL,
            total INTEGER NOT NULL,
            PRIMARY KEY (period_start, plan, currency)
        ) WITHOUT ROWID;
        INSERT INTO revenue_months
            SELECT period_start, plan, currency, count(*), sum(base_amount), sum(overage_amount), sum(total)
            FROM invoices WHERE livemode = 1 GROUP BY 1, 2, 3;
        INSERT INTO organization_month_stats (organization_id, month_start, requests)
            SELECT organization_id,
                CAST(strftime('%s', date(hour_start / 1000, 'unixepoch', 'start of month')) AS INTEGER) * 1000,
                sum(count)
            FROM request_stats WHERE livemode = 1 GROUP BY 1, 2;
        """

    /// Staff accounts for `/admin`, suspension and custom limits on organizations, and `staff`
    /// as an audit actor. SQLite cannot change a CHECK constraint in place, so `audit_log` is
    /// rebuilt (its rows copied whole) under its own name.
    private static let v11 = """
        CREATE TABLE staff_users (
            id TEXT PRIMARY KEY NOT NULL,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            totp_secret TEXT,
            totp_enabled_at INTEGER,
            totp_last_step INTEGER NOT NULL DEFAULT 0,
            disabled_at INTEGER,
            created_at INTEGER NOT NULL
        );

        CREATE TABLE staff_recovery_codes (
            staff_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
            code_hash BLOB NOT NULL,
            used_at INTEGER,
            PRIMARY KEY (staff_id, code_hash)
        ) WITHOUT ROWID;

        CREATE TABLE staff_sessions (
            id_hash BLOB PRIMARY KEY NOT NULL,
            staff_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL,
            verified_at INTEGER
        ) WITHOUT ROWID;

        CREATE INDEX staff_sessions_by_staff ON staff_sessions(staff_id);

        ALTER TABLE organizations ADD COLUMN suspended_at INTEGER;
        ALTER TABLE organizations ADD COLUMN custom_limits TEXT;

        CREATE TABLE audit_log_v11 (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
            actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'api_key', 'cli', 'system', 'staff')),
            actor_id TEXT,
            action TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_id TEXT NOT NULL,
            ip TEXT,
            request_id TEXT,
            details TEXT NOT NULL DEFAULT '{}',
            created_at INTEGER NOT NULL
        );
        INSERT INTO audit_log_v11 SELECT * FROM audit_log;
        DROP TABLE audit_log;
        ALTER TABLE audit_log_v11 RENAME TO audit_log;
        CREATE INDEX audit_log_by_organization ON audit_log(organization_id, id);
        CREATE INDEX audit_log_by_request ON audit_log(request_id) WHERE request_id IS NOT NULL;
        """

    private static let v10 = """
        CREATE TABLE platform_keys (
            id TEXT PRIMARY KEY NOT NULL,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            label TEXT,
            secret_hash BLOB NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            last4 TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER,
            updated_at INTEGER NOT NULL
        );

        CREATE TABLE usage_records (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            metric TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity >= 0),
            timestamp INTEGER NOT NULL,
            idempotency_key TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (organization_id, livemode, idempotency_key)
        );
        """

    private static let v9 = """
        CREATE TABLE gateway_signing_keys (
            id TEXT PRIMARY KEY NOT NULL,
            algorithm TEXT NOT NULL,
            private_key TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            retires_at INTEGER
        );
        """

    private static let v1 = """
        CREATE TABLE organizations (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            plan TEXT NOT NULL DEFAULT 'free',
            created_at INTEGER NOT NULL
        );

        CREATE TABLE users (
            id TEXT PRIMARY KEY NOT NULL,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT,
            password_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );

        CREATE TABLE memberships (
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (organization_id, user_id)
        ) WITHOUT ROWID;

        CREATE INDEX memberships_by_user ON memberships(user_id);

        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            kind TEXT NOT NULL CHECK (kind IN ('secret', 'publishable', 'restricted')),
            label TEXT,
            secret_hash BLOB NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            last4 TEXT NOT NULL,
            scopes TEXT NOT NULL,
            allowed_cidrs TEXT NOT NULL DEFAULT '',
            expires_at INTEGER,
            revoked_at INTEGER,
            rolled_to_id TEXT REFERENCES api_keys(id),
            last_used_at INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );

        CREATE INDEX api_keys_by_organization ON api_keys(organization_id, livemode, id);
        CREATE INDEX api_keys_by_update ON api_keys(updated_at);

        CREATE TABLE audit_log (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
            actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'api_key', 'cli', 'system')),
            actor_id TEXT,
            action TEXT NOT NULL,
            target_type TEXT NOT NULL,
            target_id TEXT NOT NULL,
            ip TEXT,
            request_id TEXT,
            details TEXT NOT NULL DEFAULT '{}',
            created_at INTEGER NOT NULL
        );

        CREATE INDEX audit_log_by_organization ON audit_log(organization_id, id);
        """

    private static let v2 = """
        CREATE TABLE customers (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            name TEXT,
            email TEXT,
            description TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );

        CREATE INDEX customers_by_tenant ON customers(organization_id, livemode, id);
        CREATE INDEX customers_by_email ON customers(organization_id, livemode, email, id);

        CREATE TABLE idempotency_keys (
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            key TEXT NOT NULL,
            request_hash BLOB NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('in_flight', 'complete')),
            response_status INTEGER,
            response_content_type TEXT,
            response_body BLOB,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (organization_id, livemode, key)
        ) WITHOUT ROWID;

        CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys(expires_at);
        """

    /// Request-log partitions are not here: they are created at run time from
    /// `RequestLogPartition.createSQL` (schema.sql shows the template).
    private static let v3 = """
        ALTER TABLE organizations ADD COLUMN body_capture INTEGER NOT NULL DEFAULT 0 CHECK (body_capture IN (0, 1));
        ALTER TABLE organizations ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

        CREATE TABLE usage_buckets (
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            hour_start INTEGER NOT NULL,
            metric TEXT NOT NULL,
            key_id TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            PRIMARY KEY (organization_id, livemode, hour_start, metric, key_id)
        ) WITHOUT ROWID;

        CREATE TABLE invoices (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            period_start INTEGER NOT NULL,
            period_end INTEGER NOT NULL,
            plan TEXT NOT NULL,
            currency TEXT NOT NULL,
            base_amount INTEGER NOT NULL,
            included_quantity INTEGER,
            usage_quantity INTEGER NOT NULL,
            overage_quantity INTEGER NOT NULL,
            overage_unit_amount INTEGER,
            overage_amount INTEGER NOT NULL,
            total INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (organization_id, livemode, period_start)
        );

        CREATE INDEX invoices_by_tenant ON invoices(organization_id, livemode, id);
        """

    /// Events (the outbox) and webhooks: an event and its delivery rows are
    /// written in the transaction of the change that caused them; the
    /// scheduler picks due deliveries by `webhook_deliveries_due`; every
    /// attempt is a row. Endpoint secrets are stored as is: signing needs them.
    private static let v4 = """
        CREATE TABLE events (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            request_id TEXT,
            created_at INTEGER NOT NULL
        );

        CREATE INDEX events_by_tenant ON events(organization_id, livemode, id);

        CREATE TABLE webhook_endpoints (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            url TEXT NOT NULL,
            description TEXT,
            enabled_events TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
            disabled_reason TEXT,
            secret TEXT NOT NULL,
            previous_secret TEXT,
            previous_secret_expires_at INTEGER,
            failing_since INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );

        CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints(organization_id, livemode, id);

        CREATE TABLE webhook_deliveries (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'succeeded', 'dead')),
            attempt_count INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            last_attempt_at INTEGER,
            last_status_code INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );

        CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
        CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries(organization_id, livemode, id);
        CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, id);
        CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(event_id);

        CREATE TABLE webhook_attempts (
            id INTEGER PRIMARY KEY,
            delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
            attempted_at INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            status_code INTEGER,
            error_kind TEXT CHECK (error_kind IN ('timeout', 'refused', 'dns', 'tls', 'blocked', 'network', 'http')),
            response_excerpt TEXT
        );

        CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts(delivery_id, id);

        CREATE TABLE webhook_replays (
            id TEXT PRIMARY KEY NOT NULL,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            since INTEGER NOT NULL,
            until INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('running', 'completed')),
            queued INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            completed_at INTEGER
        );
        """

    /// Due deliveries per endpoint: the scheduler asks each endpoint with
    /// free slots for its oldest due deliveries, so a long backlog of one
    /// endpoint costs nothing while that endpoint is at its concurrency limit.
    private static let v5 = """
        CREATE INDEX webhook_deliveries_due_by_endpoint ON webhook_deliveries(endpoint_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;
        """

    private static let v6 = """
        ALTER TABLE organizations ADD COLUMN api_version TEXT;

        CREATE TABLE dashboard_sessions (
            id_hash BLOB PRIMARY KEY NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1)),
            csrf_token TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions(user_id);

        CREATE TABLE invitations (
            id TEXT PRIMARY KEY NOT NULL,
            token_hash BLOB NOT NULL UNIQUE,
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            email TEXT NOT NULL COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
            invited_by TEXT REFERENCES users(id) ON DELETE SET NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            accepted_at INTEGER
        );

        CREATE INDEX invitations_by_organization ON invitations(organization_id, id);
        """

    /// Hourly aggregates the dashboard's overview reads instead of scanning
    /// millions of log rows: requests per status class and latency bucket
    /// (written with the log batches), and webhook attempts by outcome
    /// (written with the attempts).
    private static let v7 = """
        CREATE TABLE request_stats (
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            hour_start INTEGER NOT NULL,
            status_class INTEGER NOT NULL,
            latency_bucket INTEGER NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (organization_id, livemode, hour_start, status_class, latency_bucket)
        ) WITHOUT ROWID;

        CREATE TABLE webhook_attempt_stats (
            organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
            hour_start INTEGER NOT NULL,
            succeeded INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (organization_id, livemode, hour_start)
        ) WITHOUT ROWID;
        """

    /// No secret at rest: stored idempotent responses (which can hold a new
    /// API key or webhook secret) are re-sealed under their own key and kept
    /// by key hash only (`IdempotencySeal`); claims left in flight are dropped
    /// (a request in flight when the old version stopped did not commit its
    /// response, and the old version released such claims at start anyway);
    /// the dashboard's CSRF token, now derived from the session cookie, is no
    /// longer stored. `storage_probe` is the one row `/readyz` writes to learn
    /// whether writes succeed again after a storage failure.
    private static let v8: @Sendable (Database) throws -> Void = { db in
        try db.execute(
            sql: """
                CREATE TABLE idempotency_responses (
                    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
                    livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
                    key_hash BLOB NOT NULL,
                    request_hash BLOB NOT NULL,
                    response_status INTEGER NOT NULL,
                    response_content_type TEXT,
                    response_sealed BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    PRIMARY KEY (organization_id, livemode, key_hash)
                ) WITHOUT ROWID;

                CREATE INDEX idempotency_responses_by_expiry ON idempotency_responses(expires_at);

                CREATE TABLE storage_probe (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    at INTEGER NOT NULL
                );
                """
        )
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT organization_id, livemode, key, request_hash, response_status, response_content_type, response_body, created_at, expires_at
                FROM idempotency_keys WHERE state = 'complete' AND response_status IS NOT NULL
                """
        )
        while let row = try rows.next() {
            let scope = TenantScope(organizationId: row["organization_id"], livemode: row["livemode"])
            let request = IdempotentRequest(
                scope: scope,
                key: row["key"],
                requestHash: row["request_hash"],
                createdAt: row["created_at"],
                expiresAt: row["expires_at"]
            )
            let response = IdempotentResponse(
                status: row["response_status"],
                contentType: row["response_content_type"],
                body: row["response_body"] ?? Data()
            )
            try SQLiteStore.insertIdempotentResponse(response, for: request, in: db)
        }
        // secure_delete zeroes the freed pages, so the old plaintext keys, bodies and
        // CSRF tokens do not linger in the file (the store truncates the WAL after migrating).
        try db.execute(
            sql: """
                PRAGMA secure_delete = ON;
                DROP TABLE idempotency_keys;
                ALTER TABLE dashboard_sessions DROP COLUMN csrf_token;
                PRAGMA secure_delete = OFF;
                """
        )
    }
}
