-- exception_current: the queue's narrow "current state" table, one row per exception with the
-- columns the queue filters, sorts and shows, and its derived State. Written by the projection
-- (src/lib/server/exceptions/current.ts) from the same derivation the exception page reads live
-- (queries.ts `derived`), for the exceptions whose failures, successes or audit rows are new since
-- the last projection (block numbers, as the SLA fold reads its rollups). A queue page then reads
-- ~100k narrow rows instead of aggregating every failure and joining every success per page view.
-- Each projection writes a higher ProjectedAt; reads use FINAL.
CREATE TABLE IF NOT EXISTS exception_current {{on_cluster}} (
    ExceptionId String,
    Flow LowCardinality(String),
    Step LowCardinality(String),
    MessageId String,
    IdempotencyKey String,
    CorrelationId String,
    EntityType LowCardinality(String),
    EntityId String,
    Partner LowCardinality(String),
    Source LowCardinality(String),
    Target LowCardinality(String),
    Service LowCardinality(String),
    Amount Nullable(Float64),
    Currency LowCardinality(String),
    ErrorClass LowCardinality(String),
    ErrorCode LowCardinality(String),
    ErrorMessage String CODEC(ZSTD(1)),
    SpanFailures UInt64,
    DeadLetters UInt64,
    FirstSeen DateTime64(9),
    LastSeen DateTime64(9),
    LastTraceId String,
    ResolvedAtN Nullable(DateTime64(9)),
    ResolvedTraceIdN Nullable(String),
    Assignee String,
    State LowCardinality(String),
    ProjectedAt DateTime64(6)
) ENGINE = {{engine:exception_current:ReplacingMergeTree(ProjectedAt)}}
ORDER BY ExceptionId
TTL toDateTime(LastSeen) + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 8192;

-- How far the projection has read each source table: the highest block number seen (see 330).
CREATE TABLE IF NOT EXISTS exception_current_state {{on_cluster}} (
    Source LowCardinality(String),
    MaxBlock UInt64,
    At DateTime64(3)
) ENGINE = {{engine:exception_current_state:ReplacingMergeTree(At)}}
ORDER BY Source;

ALTER TABLE exception_events {{on_cluster}} MODIFY SETTING enable_block_number_column = 1;
ALTER TABLE message_successes {{on_cluster}} MODIFY SETTING enable_block_number_column = 1;
ALTER TABLE audit_log {{on_cluster}} MODIFY SETTING enable_block_number_column = 1;
