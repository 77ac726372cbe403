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
);

CREATE INDEX api_keys_by_organization ON api_keys(organization_id, livemode, id);
CREATE INDEX api_keys_by_update ON api_keys(updated_at);

-- Audit log -----------------------------------------------------------------

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
