-- sla_transactions: every transaction finalised once, one row per (flow, correlation ID), written
-- by the fold (src/lib/server/sla/fold.ts) from the sla_tx_traces / sla_tx_steps rollups. The
-- dashboards, the KPI API and the alerts read this table instead of grouping every transaction of
-- the window (twice) on every page view: README.md in that folder has the rules and the figures.
--
-- The fold rewrites a transaction whenever new rollup rows of it arrive (a later trace, an ack, a
-- retry), with a higher Version. A transaction whose start moved to another minute (an earlier span
-- arrived late) leaves a row under its old key: the fold writes a tombstone there (Deleted = 1), so
-- reads with FINAL see each transaction once, as of its last fold.
--
-- Only what does not depend on "now" or on the flow catalogue is stored: whether the end step was
-- reached, stuck and at-risk are computed when read, from Steps and Start.
CREATE TABLE IF NOT EXISTS sla_transactions {{on_cluster}} (
    Flow LowCardinality(String),
    StartMinute DateTime,
    CorrelationId String,
    Start DateTime64(9),
    -- 'failed' (some step's last outcome failed or was rejected), 'success', 'duplicate' (only blocked
    -- duplicates), '' (nothing carried an outcome: counted as succeeded)
    Outcome LowCardinality(String),
    -- the failing step (else the last step with an outcome), for the drill-down breakdowns
    Step LowCardinality(String),
    System LowCardinality(String),
    ErrClass LowCardinality(String),
    ErrCode LowCardinality(String),
    -- end-to-end time of the first trace, NULL unless that trace succeeded
    FirstTraceMs Nullable(Float64),
    Amount Float64,
    Currency LowCardinality(String),
    Partner LowCardinality(String),
    EventDelayMs Nullable(Float64),
    FailedSpans UInt32,
    RetrySpans UInt32,
    DupSpans UInt32,
    -- every step seen (end step reached?)
    Steps Array(LowCardinality(String)),
    -- per step: first start, first end, failed (milestones, a flow's own start/end steps)
    StepNames Array(LowCardinality(String)),
    StepStarts Array(DateTime64(9)),
    StepEnds Array(DateTime64(9)),
    StepFailed Array(UInt8),
    -- the latest first start of any step: a milestone of this transaction cannot start later
    LastStepStart DateTime64(9),
    Version UInt64,
    Deleted UInt8
) ENGINE = {{engine:sla_transactions:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toDate(StartMinute)
ORDER BY (Flow, StartMinute, CorrelationId)
TTL StartMinute + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- How far the fold has read each rollup: the highest block number seen. MergeTree numbers a block
-- when its part is committed, so every row committed later has a higher number; with
-- enable_block_number_column each row keeps its number through merges, so the fold reads exactly
-- the rows committed since (src/lib/server/sla/fold.ts).
ALTER TABLE sla_tx_traces {{on_cluster}} MODIFY SETTING enable_block_number_column = 1;
ALTER TABLE sla_tx_steps {{on_cluster}} MODIFY SETTING enable_block_number_column = 1;

CREATE TABLE IF NOT EXISTS sla_fold_state {{on_cluster}} (
    Source LowCardinality(String),
    MaxBlock UInt64,
    At DateTime64(3)
) ENGINE = {{engine:sla_fold_state:ReplacingMergeTree(At)}}
ORDER BY Source;
