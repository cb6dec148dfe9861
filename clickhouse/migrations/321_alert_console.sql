-- Alerts in the console (src/lib/server/alerts/README.md): who acknowledged or silenced an alert,
-- admin-edited rule settings, notification channels (their URLs carry secrets and are stored
-- AES-256-GCM sealed, actions/secret-box.ts), and one row per channel delivery.

-- Append-only: acknowledge (binds to the firing episode it saw, EpisodeStart), silence (until Until),
-- unsilence (ends a silence now). The current silence of an alert is its latest silence/unsilence row.
CREATE TABLE IF NOT EXISTS alert_actions {{on_cluster}} (
    Id String,
    AlertKey String,
    Flow LowCardinality(String),
    Rule LowCardinality(String),
    Action LowCardinality(String),
    EpisodeStart DateTime64(3),
    Until DateTime64(3),
    Comment String,
    Actor String,
    Role LowCardinality(String),
    At DateTime64(3)
) ENGINE = {{engine:alert_actions}}
PARTITION BY toYYYYMM(At)
ORDER BY (AlertKey, At)
TTL toDateTime(At) + toIntervalDay(365);

-- Per (flow, rule) overrides of the rules derived from the catalogue; the newest Version wins.
-- Threshold NULL = the default; Channels [] = every channel that covers the flow.
CREATE TABLE IF NOT EXISTS alert_rule_settings {{on_cluster}} (
    Flow String,
    Rule String,
    Version UInt64,
    Enabled UInt8,
    Threshold Nullable(Float64),
    Channels Array(String),
    UpdatedBy String,
    UpdatedAt DateTime64(3)
) ENGINE = {{engine:alert_rule_settings:ReplacingMergeTree(Version)}}
ORDER BY (Flow, Rule);

-- Notification channels: Kind slack | teams | webhook. UrlEnc and SecretEnc are sealed; UrlHint is
-- what the console shows (scheme, host and the last characters of the path).
CREATE TABLE IF NOT EXISTS alert_channels {{on_cluster}} (
    Id String,
    Version UInt64,
    Name String,
    Kind LowCardinality(String),
    UrlEnc String,
    UrlHint String,
    SecretEnc String,
    Flows Array(String),
    Enabled UInt8,
    Deleted UInt8 DEFAULT 0,
    UpdatedBy String,
    UpdatedAt DateTime64(3)
) ENGINE = {{engine:alert_channels:ReplacingMergeTree(Version)}}
ORDER BY Id;

-- One row per notification sent to a channel (after the sender's retries): Outcome delivered |
-- failed | refused (SSRF guard), Event firing | renotify | resolved | test.
CREATE TABLE IF NOT EXISTS alert_deliveries {{on_cluster}} (
    At DateTime64(3),
    DeliveryId String,
    AlertKey String,
    Event LowCardinality(String),
    ChannelId String,
    ChannelName String,
    Kind LowCardinality(String),
    Status UInt16,
    Outcome LowCardinality(String),
    Attempts UInt8,
    Error String,
    DurationMs UInt32
) ENGINE = {{engine:alert_deliveries}}
PARTITION BY toYYYYMM(At)
ORDER BY (At, ChannelId)
TTL toDateTime(At) + toIntervalDay(365);

-- why an event was recorded without notifying: '' = notified, else e.g. 'silenced until … by …'
ALTER TABLE alert_events {{on_cluster}} ADD COLUMN IF NOT EXISTS Suppressed String DEFAULT '';
