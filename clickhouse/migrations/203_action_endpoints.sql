-- Admin-configured webhook targets. The signing secret is stored AES-256-GCM encrypted
-- (src/lib/server/actions/secret-box.ts); the newest Version of an Id wins.
CREATE TABLE IF NOT EXISTS action_endpoints {{on_cluster}} (
    Id String,
    Version UInt64,
    Name String,
    Url String,
    SecretEnc String,
    Flows Array(String),
    Enabled UInt8,
    DisabledReason String,
    Deleted UInt8 DEFAULT 0,
    UpdatedBy String,
    UpdatedAt DateTime64(3)
) ENGINE = {{engine:action_endpoints:ReplacingMergeTree(Version)}}
ORDER BY Id;

-- host:port pairs an admin allowed despite resolving to a private/loopback address.
CREATE TABLE IF NOT EXISTS action_allowlist {{on_cluster}} (
    HostPort String,
    Version UInt64,
    Deleted UInt8,
    UpdatedBy String,
    UpdatedAt DateTime64(3)
) ENGINE = {{engine:action_allowlist:ReplacingMergeTree(Version)}}
ORDER BY HostPort;

-- One row per delivery attempt. DeliveryId is deterministic per approved request, and is the
-- webhook-id and Idempotency-Key, so retries and racing processes carry the same key.
CREATE TABLE IF NOT EXISTS action_deliveries {{on_cluster}} (
    DeliveryId String,
    Attempt UInt32,
    At DateTime64(3),
    ExceptionId String,
    Action LowCardinality(String),
    EndpointId String,
    Url String,
    Status UInt16,
    Outcome LowCardinality(String),
    Error String,
    DurationMs UInt32
) ENGINE = {{engine:action_deliveries}}
ORDER BY (ExceptionId, DeliveryId, Attempt)
SETTINGS non_replicated_deduplication_window = 10000;
