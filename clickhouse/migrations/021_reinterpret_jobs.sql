-- The re-interpret job (src/lib/server/interpret/reinterpret.ts): applies the rule set in use to the
-- stored telemetry of the last N days, a UTC day at a time, so every table the views fill (lineage,
-- key index, exceptions, SLA) shows what the rules say now.
--
-- reinterpret_jobs: one row per job and progress update (the highest Version is the state); a job
-- whose HeartbeatAt is older than the lease was interrupted. Which job may run is decided by the
-- audit log's compare-and-set (reinterpret_start / reinterpret_finish rows), not by this table.
CREATE TABLE IF NOT EXISTS reinterpret_jobs {{on_cluster}} (
    JobId String,
    Actor String,
    Days UInt16,
    RulesVersion UInt32,
    State LowCardinality(String),
    Done UInt64,
    Total UInt64,
    Message String,
    StartedAt DateTime64(3),
    FinishedAt Nullable(DateTime64(3)),
    HeartbeatAt DateTime64(3),
    Version UInt64
) ENGINE = {{engine:reinterpret_jobs:ReplacingMergeTree(Version)}}
ORDER BY JobId;

-- Where each day is: staging → staged (its rewritten rows are all in the staging tables) → swapped
-- (the day's stored rows were replaced by them) → done (staging cleared). A job that finds a day
-- staged or swapped finishes it first: between the delete and the insert the day's rows exist only
-- in staging.
CREATE TABLE IF NOT EXISTS reinterpret_days {{on_cluster}} (
    Day Date,
    JobId String,
    RulesVersion UInt32,
    Phase LowCardinality(String),
    Chunks UInt32,
    Changed UInt64,
    Version UInt64
) ENGINE = {{engine:reinterpret_days:ReplacingMergeTree(Version)}}
ORDER BY Day;

-- The attribute maps the rules gave the rows that change (Late = 0, keyed by the stored row's
-- identity: sipHash64(TraceId, SpanId) for spans, a hash of the whole record for logs), and the
-- identities of rows that arrived while their day was swapped (Late = 1).
CREATE TABLE IF NOT EXISTS reinterpret_rows {{on_cluster}} (
    Day Date,
    Signal LowCardinality(String),
    Chunk UInt32,
    Late UInt8,
    RowHash UInt64,
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1))
) ENGINE = {{engine:reinterpret_rows}}
PARTITION BY Day
ORDER BY (Signal, Late, Chunk, RowHash);

-- The rewritten rows of a day, column for column as stored (a migration that changes otel_traces or
-- otel_logs must change these too: the job refuses to run while their columns differ).
CREATE TABLE IF NOT EXISTS reinterpret_spans {{on_cluster}} AS otel_traces
ENGINE = {{engine:reinterpret_spans}}
PARTITION BY toDate(Timestamp)
PRIMARY KEY (TraceId, SpanId)
ORDER BY (TraceId, SpanId);

CREATE TABLE IF NOT EXISTS reinterpret_logs {{on_cluster}} AS otel_logs
ENGINE = {{engine:reinterpret_logs}}
PARTITION BY toDate(Timestamp)
PRIMARY KEY (TraceId, Timestamp)
ORDER BY (TraceId, Timestamp);

-- The transactions (flow, correlation ID) the SLA rollups held for a day before it was swapped:
-- after the swap they are tombstoned in sla_transactions and folded again, so a transaction the new
-- rules name differently does not stay behind under its old name.
CREATE TABLE IF NOT EXISTS reinterpret_sla_keys {{on_cluster}} (
    Day Date,
    Flow String,
    CorrelationId String
) ENGINE = {{engine:reinterpret_sla_keys}}
PARTITION BY Day
ORDER BY (Flow, CorrelationId);
