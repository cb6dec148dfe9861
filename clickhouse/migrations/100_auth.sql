-- Auth: users, sessions, API tokens and the sign-in log. Nothing is updated in place: each change
-- is a new row, read back by aggregation (users: argMax by `version`; sessions and tokens:
-- max(revoked), so a revocation can never be undone by a concurrent refresh, whatever the merge
-- order). Secrets are never stored: only SHA-256 hashes of them.
CREATE TABLE IF NOT EXISTS users {{on_cluster}} (
    id String,
    email String,
    password_hash String,
    role LowCardinality(String),
    disabled UInt8 DEFAULT 0,
    created_at DateTime64(3),
    updated_at DateTime64(3),
    version UInt64
) ENGINE = {{engine:users}}
ORDER BY id;

CREATE TABLE IF NOT EXISTS sessions {{on_cluster}} (
    id String,
    secret_hash String,
    user_id String,
    created_at DateTime64(3),
    last_seen_at DateTime64(3),
    revoked UInt8 DEFAULT 0,
    ip String DEFAULT '',
    user_agent String DEFAULT '',
    version UInt64
) ENGINE = {{engine:sessions}}
ORDER BY id
TTL toDateTime(created_at) + toIntervalDay(30);

CREATE TABLE IF NOT EXISTS api_tokens {{on_cluster}} (
    id String,
    name String,
    secret_hash String,
    role LowCardinality(String),
    created_by String,
    created_at DateTime64(3),
    revoked UInt8 DEFAULT 0,
    revoked_at Nullable(DateTime64(3)),
    version UInt64
) ENGINE = {{engine:api_tokens}}
ORDER BY id;

CREATE TABLE IF NOT EXISTS sign_in_attempts {{on_cluster}} (
    time DateTime64(3),
    email String,
    ip String,
    success UInt8,
    reason LowCardinality(String),
    user_agent String DEFAULT ''
) ENGINE = {{engine:sign_in_attempts}}
PARTITION BY toDate(time)
ORDER BY (email, ip, time)
TTL toDateTime(time) + toIntervalDay(90);
