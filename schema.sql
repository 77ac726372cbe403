-- Portico database schema: the single source of truth.
--
-- Migrations (Sources/PorticoStore/Schema/Migrations.swift) bring any older
-- database to exactly this schema; a test builds one database from this file
-- and one through the migrations and compares them object by object.
--
-- Conventions
--   * ids are prefixed, time-sortable text ("org_…", "cus_…"): ordering by id
--     is ordering by creation, which is what cursor pagination needs.
--   * every timestamp is INTEGER milliseconds since the Unix epoch, UTC.
--   * every tenant-owned row carries organization_id and livemode, and every
--     index a tenant query uses starts with those two columns.

-- Tenancy -------------------------------------------------------------------

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    plan TEXT NOT NULL DEFAULT 'free',
    created_at INTEGER NOT NULL
    -- added by a later migration (ALTER TABLE appends them just before the closing parenthesis):
    -- body_capture: request/response bodies kept in request logs (redacted);
    -- updated_at: bumped on plan/settings changes, which the key cache watches;
    -- api_version: the organization's pinned API version (NULL: the oldest supported);
    -- suspended_at: set by staff; every key answers 403, the dashboard is read-only, deliveries wait;
    -- custom_limits: staff overrides of the plan's live limits (JSON: per_second, per_minute, monthly_quota);
    -- require_two_factor: every member must sign in with a second factor;
    -- notification_settings: the alert kinds not mailed (JSON list; NULL: all mailed).
    , body_capture INTEGER NOT NULL DEFAULT 0 CHECK (body_capture IN (0, 1))
    , updated_at INTEGER NOT NULL DEFAULT 0, api_version TEXT, suspended_at INTEGER, custom_limits TEXT, require_two_factor INTEGER NOT NULL DEFAULT 0 CHECK (require_two_factor IN (0, 1)), notification_settings TEXT);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
    -- added by later migrations: email_verified_at, when the address was
    -- confirmed (NULL: an open sign-up that has not confirmed it yet);
    -- totp_secret (sealed), totp_enabled_at, totp_last_step: two-factor
    -- sign-in, as staff_users have it.
    , email_verified_at INTEGER, totp_secret TEXT, totp_enabled_at INTEGER, totp_last_step INTEGER NOT NULL DEFAULT 0);

-- A user's recovery codes, shown once when two-factor sign-in is turned on;
-- only their SHA-256 is kept.
CREATE TABLE user_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

CREATE TABLE memberships (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (organization_id, user_id)
) WITHOUT ROWID;

CREATE INDEX memberships_by_user ON memberships(user_id);

-- API keys ------------------------------------------------------------------

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
    -- added by a later migration: expiry_alerted_at, when api_key.expiring
    -- was announced (once per key).
    , expiry_alerted_at INTEGER);

CREATE INDEX api_keys_by_organization ON api_keys(organization_id, livemode, id);
CREATE INDEX api_keys_expiring ON api_keys(expires_at) WHERE expires_at IS NOT NULL AND expiry_alerted_at IS NULL;
CREATE INDEX api_keys_by_update ON api_keys(updated_at);

-- Audit log -----------------------------------------------------------------

CREATE TABLE audit_log (
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

CREATE INDEX audit_log_by_organization ON audit_log(organization_id, id);

-- The request timeline (operator console, dashboard): the audit rows one request wrote.
CREATE INDEX audit_log_by_request ON audit_log(request_id) WHERE request_id IS NOT NULL;

-- The console's audit page: what staff did, newest first.
CREATE INDEX audit_log_by_staff ON audit_log(id) WHERE actor_type = 'staff';

-- Business resources --------------------------------------------------------

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

-- Idempotency ---------------------------------------------------------------

-- The response of each POST that ran with an Idempotency-Key, for replay.
-- Written in the same transaction as the request's own effects. The key is
-- kept only as a hash and the body sealed with a key derived from it, so a
-- replayed API key or webhook secret is never stored in the clear.
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

-- Operations ------------------------------------------------------------------

-- The one row /readyz rewrites, while writes are failing (a full disk), to
-- learn whether they succeed again.
CREATE TABLE storage_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);

-- Metering and billing ---------------------------------------------------------

-- Requests (and any metric a route declares) per tenant, key and hour; written
-- in the same transaction as the request logs they were counted from.
-- key_id is '' for usage not tied to a key.
CREATE TABLE usage_buckets (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    hour_start INTEGER NOT NULL,
    metric TEXT NOT NULL,
    key_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (organization_id, livemode, hour_start, metric, key_id)
) WITHOUT ROWID;

-- Usage per tenant, metric and quota period (UTC month; UTC day too for
-- requests), kept with the buckets so a quota's thresholds are checked
-- without summing them; alerted is the highest threshold announced (0, 80
-- or 100 percent: usage.threshold_reached, once per threshold per period).
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

-- One invoice per organization, mode and calendar month (UTC); amounts in
-- minor units of currency. The UNIQUE constraint makes generation idempotent.
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
    overage_quantity INTEGER NOT NULL, -- started blocks of 1,000 requests past the included quantity
    overage_unit_amount INTEGER,       -- price per block
    overage_amount INTEGER NOT NULL,
    total INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (organization_id, livemode, period_start)
);

CREATE INDEX invoices_by_tenant ON invoices(organization_id, livemode, id);

-- Events and webhooks -----------------------------------------------------------
--
-- An event and its delivery rows are committed in the transaction of the
-- change that caused them (an outbox). webhook-id on the wire is the event id,
-- the same on every retry. A delivery is pending (an attempt is owed now:
-- the first, or one asked for by retry/replay), failed (last attempt failed,
-- next_attempt_at set), succeeded or dead (attempts exhausted or endpoint
-- disabled); the scheduler reads webhook_deliveries_due_by_endpoint
-- (what each endpoint owes now) and webhook_deliveries_due (when to wake next).
-- Endpoint secrets are kept as is: HMAC signing needs the key itself.

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

-- The request timeline: the events one request emitted.
CREATE INDEX events_by_request ON events(request_id) WHERE request_id IS NOT NULL;

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

-- The console's platform health: endpoints failing longest first.
CREATE INDEX webhook_endpoints_failing ON webhook_endpoints(failing_since) WHERE failing_since IS NOT NULL;

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
CREATE INDEX webhook_deliveries_due_by_endpoint ON webhook_deliveries(endpoint_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;
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

-- Dashboard -------------------------------------------------------------------
--
-- A session row is keyed by the SHA-256 of the cookie's value: the value
-- itself is never stored, so a copy of the database opens no session. The
-- session carries the organization and mode it is looking at; its CSRF
-- token is derived from the cookie value, not stored. Idle and absolute timeouts are checked against last_seen_at and
-- created_at. Invitations likewise keep only the hash of their link token.

CREATE TABLE dashboard_sessions (
    id_hash BLOB PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode INTEGER NOT NULL DEFAULT 0 CHECK (livemode IN (0, 1)),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
    -- added by a later migration: verified_at, when the second factor was
    -- passed (NULL: only the two-factor step is served; a user without
    -- two-factor sign-in is verified at sign-in).
    , verified_at INTEGER) WITHOUT ROWID;

CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions(user_id);

-- Operator console (/admin) ------------------------------------------------

-- Staff: the team that runs Portico, made with `portico staff create`.
-- totp_secret is sealed (secrets.key_file); totp_last_step is the last time
-- step accepted, so a code is never accepted twice; disabled_at ends access.
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

-- Recovery codes, shown once at enrollment; only their SHA-256 is kept.
CREATE TABLE staff_recovery_codes (
    staff_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (staff_id, code_hash)
) WITHOUT ROWID;

-- The staff's daily digest of platform problems: one row per UTC day it
-- covers, written with its mails (none when there was nothing to report), so
-- a day is reported once whatever restarts or processes check it.
CREATE TABLE staff_digests (
    day_start INTEGER PRIMARY KEY NOT NULL,
    sent_at INTEGER NOT NULL,
    problems INTEGER NOT NULL
);

-- Staff sessions by the SHA-256 of their cookie; verified_at is NULL until
-- the second factor is passed (until then only the two-factor step is served).
CREATE TABLE staff_sessions (
    id_hash BLOB PRIMARY KEY NOT NULL,
    staff_id TEXT NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    verified_at INTEGER
) WITHOUT ROWID;

CREATE INDEX staff_sessions_by_staff ON staff_sessions(staff_id);

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

-- Hourly aggregates for the dashboard overview ----------------------------------
--
-- request_stats: requests per tenant, hour, status class (2..5) and latency
-- bucket (LatencyHistogram in Sources/PorticoApp/RequestLogs/RequestStats.swift),
-- added in the same transaction as the log rows. Percentiles come from the
-- bucket counts, so the overview never scans log partitions.
CREATE TABLE request_stats (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    hour_start INTEGER NOT NULL,
    status_class INTEGER NOT NULL,
    latency_bucket INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (organization_id, livemode, hour_start, status_class, latency_bucket)
) WITHOUT ROWID;

-- The console sorts organizations by 5xx over 24 h: the error rows alone.
CREATE INDEX request_stats_errors ON request_stats(organization_id, hour_start) WHERE status_class >= 5;

-- Platform-wide requests per route ("GET /v1/customers/{id}"), hour, status
-- class and latency bucket: the console's platform health. Pruned with the
-- log partitions.
CREATE TABLE route_stats (
    hour_start INTEGER NOT NULL,
    route TEXT NOT NULL,
    status_class INTEGER NOT NULL,
    latency_bucket INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (hour_start, route, status_class, latency_bucket)
) WITHOUT ROWID;

-- Live requests per organization and UTC month: the console sorts 10,000
-- organizations by it without summing their hours.
CREATE TABLE organization_month_stats (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    month_start INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (organization_id, month_start)
) WITHOUT ROWID;

-- Live invoice totals per month, plan and currency: the console's revenue
-- table. Added to as invoices are generated; kept when an organization is
-- deleted (revenue once invoiced stays revenue).
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

CREATE TABLE webhook_attempt_stats (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
    hour_start INTEGER NOT NULL,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, livemode, hour_start)
) WITHOUT ROWID;

-- Exhausted-delivery alert mails per endpoint: the first goes at once, later
-- ones wait for a digest at most one an hour (pending counts them).
CREATE TABLE endpoint_alert_digests (
    endpoint_id TEXT PRIMARY KEY NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    last_mailed_at INTEGER NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE INDEX endpoint_alert_digests_due ON endpoint_alert_digests(last_mailed_at) WHERE pending > 0;

-- Gateway ---------------------------------------------------------------------

-- Keys that sign Portico-Identity tokens (ES256). The id is the token's kid;
-- the private key is sealed under the secrets key file, bound to the id.
-- NULL retires_at: the key that signs now. A rotated-out key stays published
-- at /.well-known/jwks.json until retires_at.
CREATE TABLE gateway_signing_keys (
    id TEXT PRIMARY KEY NOT NULL,
    algorithm TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retires_at INTEGER
);

-- Keys of the team that runs Portico (tk_test_…, tk_live_…), made by the CLI:
-- they act for any organization named in a Portico-Organization header.
-- Like every key, only a hash is stored.
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

-- Usage the team's backend measured after the fact (POST /v1/usage-records),
-- kept so that a retry with the same idempotency_key adds nothing; the
-- quantity itself goes into usage_buckets in the same transaction.
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

-- Password reset links: only the SHA-256 of a token is kept; a link works
-- once, for an hour, and using it ends every session of the user.
CREATE TABLE password_resets (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE INDEX password_resets_by_user ON password_resets(user_id);

-- Address confirmation links, hashed like reset links: 'verify' confirms an
-- open sign-up's address, 'change' moves an account to the address it was
-- sent to. A link works once, for a day.
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

-- Mail ------------------------------------------------------------------------
--
-- The outbox: a mail is written in the transaction of the change that causes
-- it (an invitation, a reset, an alert) and sent by the mailer, which leases
-- due rows (lease_until) so two never send one; a crash mid-send lets the
-- lease run out and the mail is tried again. Bodies are sealed with the
-- secrets key file: they may hold a single-use link.
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

-- Request logs: one table per time partition -------------------------------------
--
-- Created at run time, ahead of need, as request_logs_YYYYMMDDHH (the UTC
-- start of the partition; one per day by default). Retention drops whole
-- tables; a time-range query reads only the tables overlapping its range.
-- The rowid is (created_at << 12) | sequence, assigned in commit order, so
-- rows and both indexes are appended in insertion order and a time range is
-- a rowid range. Template (Sources/PorticoStore/Store/Store+requestLogs.swift):
--
-- CREATE TABLE request_logs_2026112200 (
--     id INTEGER PRIMARY KEY,          -- (created_at << 12) | sequence
--     created_at INTEGER NOT NULL,
--     request_id TEXT NOT NULL,
--     organization_id TEXT,            -- NULL when the request did not authenticate
--     livemode INTEGER,
--     key_id TEXT,
--     method TEXT NOT NULL,
--     path TEXT NOT NULL,
--     route TEXT,
--     status INTEGER NOT NULL,
--     duration_us INTEGER NOT NULL,
--     ip TEXT,
--     user_agent TEXT,
--     request_body TEXT,               -- only with body capture on, redacted and cut
--     response_body TEXT
-- );
-- CREATE INDEX request_logs_2026112200_by_tenant ON request_logs_2026112200(organization_id, livemode);
-- CREATE INDEX request_logs_2026112200_by_request ON request_logs_2026112200(request_id);
