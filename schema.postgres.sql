-- Portico's schema on PostgreSQL: the single source of truth for that engine.
--
-- schema.sql is SQLite's; this file is the same model in PostgreSQL's own
-- types. The migrations (Sources/PorticoPostgres/Schema/PostgresMigrations.swift)
-- bring any older database to exactly this schema; a test builds one database
-- from this file and one through the migrations and compares their catalogs.
--
-- Conventions (as schema.sql, in PostgreSQL's words)
--   * ids are prefixed, time-sortable text ("org_…", "cus_…"), compared
--     byte by byte (COLLATE "C"): ordering by id is ordering by creation,
--     which is what cursor pagination needs, whatever the cluster's locale.
--   * every timestamp is BIGINT milliseconds since the Unix epoch, UTC.
--   * flags are BOOLEAN; hashes and sealed secrets BYTEA.
--   * JSON is stored as TEXT, not jsonb: responses splice the stored bytes,
--     and jsonb would reorder and respace them.
--   * addresses compare case-insensitively through lower(email) (SQLite's
--     COLLATE NOCASE): unique indexes on lower(email), and queries that
--     compare lower(email) = lower($1).
--   * every tenant-owned row carries organization_id and livemode, and every
--     index a tenant query uses starts with those two columns.

-- Tenancy -------------------------------------------------------------------

CREATE TABLE organizations (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    plan TEXT NOT NULL DEFAULT 'free',
    created_at BIGINT NOT NULL,
    body_capture BOOLEAN NOT NULL DEFAULT false,
    updated_at BIGINT NOT NULL DEFAULT 0,
    api_version TEXT,
    suspended_at BIGINT,
    custom_limits TEXT,
    require_two_factor BOOLEAN NOT NULL DEFAULT false,
    notification_settings TEXT
);

CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    email_verified_at BIGINT,
    totp_secret TEXT,
    totp_enabled_at BIGINT,
    totp_last_step BIGINT NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX users_by_email ON users (lower(email));

CREATE TABLE user_recovery_codes (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE memberships (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

CREATE INDEX memberships_by_user ON memberships (user_id);

-- API keys ------------------------------------------------------------------

CREATE TABLE api_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('secret', 'publishable', 'restricted')),
    label TEXT,
    secret_hash BYTEA NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    last4 TEXT NOT NULL,
    scopes TEXT NOT NULL,
    allowed_cidrs TEXT NOT NULL DEFAULT '',
    expires_at BIGINT,
    revoked_at BIGINT,
    rolled_to_id TEXT COLLATE "C" REFERENCES api_keys(id),
    last_used_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expiry_alerted_at BIGINT
);

CREATE INDEX api_keys_by_organization ON api_keys (organization_id, livemode, id);
CREATE INDEX api_keys_expiring ON api_keys (expires_at) WHERE expires_at IS NOT NULL AND expiry_alerted_at IS NULL;
CREATE INDEX api_keys_by_update ON api_keys (updated_at);

-- Audit log -----------------------------------------------------------------

CREATE TABLE audit_log (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" REFERENCES organizations(id) ON DELETE CASCADE,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'api_key', 'cli', 'system', 'staff')),
    actor_id TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    ip TEXT,
    request_id TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);

CREATE INDEX audit_log_by_organization ON audit_log (organization_id, id);
CREATE INDEX audit_log_by_request ON audit_log (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX audit_log_by_staff ON audit_log (id) WHERE actor_type = 'staff';

-- Business resources --------------------------------------------------------

CREATE TABLE customers (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    name TEXT,
    email TEXT,
    description TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX customers_by_tenant ON customers (organization_id, livemode, id);
CREATE INDEX customers_by_email ON customers (organization_id, livemode, email, id);

-- Idempotency ---------------------------------------------------------------

CREATE TABLE idempotency_responses (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    key_hash BYTEA NOT NULL,
    request_hash BYTEA NOT NULL,
    response_status BIGINT NOT NULL,
    response_content_type TEXT,
    response_sealed BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, livemode, key_hash)
);

CREATE INDEX idempotency_responses_by_expiry ON idempotency_responses (expires_at);

-- Operations ------------------------------------------------------------------

CREATE TABLE storage_probe (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    at BIGINT NOT NULL
);

-- Metering and billing ---------------------------------------------------------

CREATE TABLE usage_buckets (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    hour_start BIGINT NOT NULL,
    metric TEXT NOT NULL,
    key_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (organization_id, livemode, hour_start, metric, key_id)
);

CREATE TABLE usage_periods (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    metric TEXT NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('day', 'month')),
    period_start BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    alerted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, livemode, metric, period, period_start)
);

CREATE TABLE invoices (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    plan TEXT NOT NULL,
    currency TEXT NOT NULL,
    base_amount BIGINT NOT NULL,
    included_quantity BIGINT,
    usage_quantity BIGINT NOT NULL,
    overage_quantity BIGINT NOT NULL,
    overage_unit_amount BIGINT,
    overage_amount BIGINT NOT NULL,
    total BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (organization_id, livemode, period_start)
);

CREATE INDEX invoices_by_tenant ON invoices (organization_id, livemode, id);

-- Events and webhooks -----------------------------------------------------------

CREATE TABLE events (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    request_id TEXT,
    created_at BIGINT NOT NULL
);

CREATE INDEX events_by_tenant ON events (organization_id, livemode, id);
CREATE INDEX events_by_request ON events (request_id) WHERE request_id IS NOT NULL;

CREATE TABLE webhook_endpoints (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    url TEXT NOT NULL,
    description TEXT,
    enabled_events TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    disabled_reason TEXT,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at BIGINT,
    failing_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (organization_id, livemode, id);
CREATE INDEX webhook_endpoints_failing ON webhook_endpoints (failing_since) WHERE failing_since IS NOT NULL;

-- lease_owner, lease_until: the instance that claimed the delivery's
-- attempt (FOR UPDATE SKIP LOCKED) holds it until then, so one instance at a
-- time attempts it and a dead instance's attempt is taken over when the
-- lease ends. Its own instance still sees it (its dispatcher tracks what it
-- has in flight); recording the attempt frees it.
CREATE TABLE webhook_deliveries (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id TEXT COLLATE "C" NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'succeeded', 'dead')),
    attempt_count BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    last_status_code BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_due_by_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries (organization_id, livemode, id);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    delivery_id TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempted_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code BIGINT,
    error_kind TEXT CHECK (error_kind IN ('timeout', 'refused', 'dns', 'tls', 'blocked', 'network', 'http')),
    response_excerpt TEXT
);

CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);

CREATE TABLE webhook_replays (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    since BIGINT NOT NULL,
    until BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed')),
    queued BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    completed_at BIGINT
);

-- Dashboard -------------------------------------------------------------------

CREATE TABLE dashboard_sessions (
    id_hash BYTEA PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL DEFAULT false,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    verified_at BIGINT
);

CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions (user_id);

-- Operator console (/admin) ------------------------------------------------

CREATE TABLE staff_users (
    id TEXT COLLATE "C" PRIMARY KEY,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    totp_enabled_at BIGINT,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX staff_users_by_email ON staff_users (lower(email));

CREATE TABLE staff_recovery_codes (
    staff_id TEXT COLLATE "C" NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (staff_id, code_hash)
);

CREATE TABLE staff_digests (
    day_start BIGINT PRIMARY KEY,
    sent_at BIGINT NOT NULL,
    problems BIGINT NOT NULL
);

CREATE TABLE staff_sessions (
    id_hash BYTEA PRIMARY KEY,
    staff_id TEXT COLLATE "C" NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    verified_at BIGINT
);

CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);

CREATE TABLE invitations (
    id TEXT COLLATE "C" PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    invited_by TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT
);

CREATE INDEX invitations_by_organization ON invitations (organization_id, id);

-- Hourly aggregates for the dashboard overview ----------------------------------

CREATE TABLE request_stats (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    hour_start BIGINT NOT NULL,
    status_class BIGINT NOT NULL,
    latency_bucket BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (organization_id, livemode, hour_start, status_class, latency_bucket)
);

CREATE INDEX request_stats_errors ON request_stats (organization_id, hour_start) WHERE status_class >= 5;

CREATE TABLE route_stats (
    hour_start BIGINT NOT NULL,
    route TEXT NOT NULL,
    status_class BIGINT NOT NULL,
    latency_bucket BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (hour_start, route, status_class, latency_bucket)
);

CREATE TABLE organization_month_stats (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    month_start BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (organization_id, month_start)
);

CREATE TABLE revenue_months (
    period_start BIGINT NOT NULL,
    plan TEXT NOT NULL,
    currency TEXT NOT NULL,
    invoices BIGINT NOT NULL,
    base_amount BIGINT NOT NULL,
    overage_amount BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (period_start, plan, currency)
);

CREATE TABLE webhook_attempt_stats (
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    hour_start BIGINT NOT NULL,
    succeeded BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, livemode, hour_start)
);

CREATE TABLE endpoint_alert_digests (
    endpoint_id TEXT COLLATE "C" PRIMARY KEY REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    last_mailed_at BIGINT NOT NULL,
    pending BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX endpoint_alert_digests_due ON endpoint_alert_digests (last_mailed_at) WHERE pending > 0;

-- Gateway ---------------------------------------------------------------------

CREATE TABLE gateway_signing_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    algorithm TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retires_at BIGINT
);

CREATE TABLE platform_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    livemode BOOLEAN NOT NULL,
    label TEXT,
    secret_hash BYTEA NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    last4 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE usage_records (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode BOOLEAN NOT NULL,
    metric TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    timestamp BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (organization_id, livemode, idempotency_key)
);

CREATE TABLE password_resets (
    token_hash BYTEA PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE INDEX password_resets_by_user ON password_resets (user_id);

CREATE TABLE email_confirmations (
    token_hash BYTEA PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'change')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE INDEX email_confirmations_by_user ON email_confirmations (user_id);

-- Mail ------------------------------------------------------------------------

CREATE TABLE mail_outbox (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT COLLATE "C" REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);

CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'queued';

-- Request logs: native partitions by day ------------------------------------------
--
-- One partition per UTC day (request_logs_YYYYMMDD), created ahead of need
-- and dropped whole by retention; a query over a time range touches only
-- its partitions (partition pruning on created_at). id is
-- (created_at << 12) | sequence, assigned in commit order as on SQLite, so
-- cursors are the same on both engines.
CREATE TABLE request_logs (
    id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    organization_id TEXT COLLATE "C",
    livemode BOOLEAN,
    key_id TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    route TEXT,
    status BIGINT NOT NULL,
    duration_us BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    request_body TEXT,
    response_body TEXT,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE INDEX request_logs_by_tenant ON request_logs (organization_id, livemode, id);
CREATE INDEX request_logs_by_request ON request_logs (request_id);

-- Shared rate limits and quotas ---------------------------------------------------------
--
-- How much of a limit the instances have reserved, per subject (key, organization,
-- route or client address, with the policy's name) and second, or for a quota per
-- tenant and period (slot: the period's start). An instance admits
-- requests only against what it reserved, so all of them together stay within the
-- limit (docs/scaling.md). UNLOGGED: this is short-lived state, not worth WAL; after
-- a crash of the database server the table starts empty (quotas start again from the
-- committed usage).
CREATE UNLOGGED TABLE rate_limit_slots (
    subject TEXT COLLATE "C" NOT NULL,
    slot BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    -- After this second no window or quota period reaches the row: it is pruned.
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (subject, slot)
);

-- Deliveries leased to an instance (few at a time: a lease ends when its attempt is
-- recorded), for the dispatcher's "when does the soonest lease end".
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until) WHERE lease_until IS NOT NULL;
