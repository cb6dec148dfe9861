-- Pre-aggregated transaction figures, so a dashboard reads a few rows per flow and hour instead of
-- one row per transaction (src/lib/server/sla/README.md, "Aggregates").
--
-- sla_tx_minute: per flow and minute in which transactions started, recomputed by the fold from
-- sla_transactions for every minute it touches (never incremented: a re-folded transaction replaces
-- its old figures). sla_tx_hour: the same per hour, re-aggregated from the minute rows of the hours
-- the fold touches. Both are ReplacingMergeTree(Version, Deleted) read with FINAL; the fold first
-- writes a tombstone for every minute/hour it recomputes and then, with a higher version, the rows
-- of those that still have transactions, so a minute emptied by a moved start disappears.
--
-- Smaller granules than usual: a read deserializes the sketch states of every row of the granules it
-- touches, and a flow page reads one flow's hours while the overview reads a few hours of every flow
-- (much smaller ones make primary-key analysis, done for every query, the larger cost).
--
-- Only what does not depend on the flow catalogue or on "now" is stored. "Stuck" needs both (the
-- end step, how old): the minute rows keep the succeeded transactions per step they reached, with
-- their amounts, so a reader can take those that did not reach the flow's end step.
CREATE TABLE IF NOT EXISTS sla_tx_minute {{on_cluster}} (
    Flow LowCardinality(String),
    Minute DateTime,
    -- transactions (not only blocked duplicates), succeeded, failed; duplicate spans; replayed
    Total UInt32,
    Succeeded UInt32,
    Failed UInt32,
    Duplicates UInt64,
    Replays UInt32,
    -- end-to-end time of first traces that succeeded, and event delay: counts and DDSketch states
    E2EN UInt32,
    E2E AggregateFunction(quantilesDD(0.01, 0.5, 0.95, 0.99), Float64),
    DelayN UInt32,
    Delay AggregateFunction(quantilesDD(0.01, 0.5, 0.95), Float64),
    -- amount of failed transactions per currency
    FailedAmount Map(LowCardinality(String), Float64),
    -- succeeded transactions: amount per currency; per step reached: how many, and their amount
    -- per 'step\x1Fcurrency' (stuck = succeeded − reached the end step, once old enough)
    SucceededAmount Map(LowCardinality(String), Float64),
    Reached Map(LowCardinality(String), UInt32),
    ReachedAmount Map(String, Float64),
    Version UInt64,
    Deleted UInt8
) ENGINE = {{engine:sla_tx_minute:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toDate(Minute)
ORDER BY (Flow, Minute)
TTL Minute + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 256;

CREATE TABLE IF NOT EXISTS sla_tx_hour {{on_cluster}} (
    Flow LowCardinality(String),
    Hour DateTime,
    Total UInt32,
    Succeeded UInt32,
    Failed UInt32,
    Duplicates UInt64,
    Replays UInt32,
    E2EN UInt32,
    E2E AggregateFunction(quantilesDD(0.01, 0.5, 0.95, 0.99), Float64),
    DelayN UInt32,
    Delay AggregateFunction(quantilesDD(0.01, 0.5, 0.95), Float64),
    FailedAmount Map(LowCardinality(String), Float64),
    SucceededAmount Map(LowCardinality(String), Float64),
    Reached Map(LowCardinality(String), UInt32),
    ReachedAmount Map(String, Float64),
    Version UInt64,
    Deleted UInt8
) ENGINE = {{engine:sla_tx_hour:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toDate(Hour)
ORDER BY (Flow, Hour)
TTL Hour + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 128;

-- Milestones per flow, milestone (from step, to step, whether the to step must have succeeded) and
-- minute / hour in which the transaction started: arrivals, a DDSketch of latencies, and those still
-- waiting with the earliest and latest start of their "from" step (pending = waiting longer than the
-- target, decided when read). Which milestones exist depends on the catalogue: a reader asking for
-- one that is not built yet reads transactions one by one, and the fold builds it (fold.ts).
CREATE TABLE IF NOT EXISTS sla_milestone_minute {{on_cluster}} (
    Flow LowCardinality(String),
    Spec LowCardinality(String),
    Minute DateTime,
    N UInt32,
    Lat AggregateFunction(quantilesDD(0.01, 0.5, 0.95, 0.99), Float64),
    Waiting UInt32,
    WaitMin DateTime64(3),
    WaitMax DateTime64(3),
    Version UInt64,
    Deleted UInt8
) ENGINE = {{engine:sla_milestone_minute:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toDate(Minute)
ORDER BY (Flow, Spec, Minute)
TTL Minute + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 256;

CREATE TABLE IF NOT EXISTS sla_milestone_hour {{on_cluster}} (
    Flow LowCardinality(String),
    Spec LowCardinality(String),
    Hour DateTime,
    N UInt32,
    Lat AggregateFunction(quantilesDD(0.01, 0.5, 0.95, 0.99), Float64),
    Waiting UInt32,
    WaitMin DateTime64(3),
    WaitMax DateTime64(3),
    Version UInt64,
    Deleted UInt8
) ENGINE = {{engine:sla_milestone_hour:ReplacingMergeTree(Version, Deleted)}}
PARTITION BY toDate(Hour)
ORDER BY (Flow, Spec, Hour)
TTL Hour + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 128;

-- sla_step_hour: sla_step_minute per hour (the 7-day step table merges 168 sketches per step, not
-- 10,080), kept by a view on sla_step_minute's inserts and filled once from it here.
CREATE TABLE IF NOT EXISTS sla_step_hour {{on_cluster}} (
    Flow LowCardinality(String),
    Step LowCardinality(String),
    Hour DateTime,
    Spans AggregateFunction(uniqExact, UInt64),
    FailedSpans AggregateFunction(uniqExact, UInt64),
    DurationMs AggregateFunction(quantilesDD(0.01, 0.5, 0.95, 0.99), Float64)
) ENGINE = {{engine:sla_step_hour:AggregatingMergeTree}}
PARTITION BY toYYYYMM(Hour)
ORDER BY (Flow, Step, Hour)
TTL Hour + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_step_hour_mv {{on_cluster}} TO sla_step_hour AS
SELECT Flow, Step, toStartOfHour(Minute) AS Hour,
    uniqExactMergeState(Spans) AS Spans, uniqExactMergeState(FailedSpans) AS FailedSpans,
    quantilesDDMergeState(0.01, 0.5, 0.95, 0.99)(DurationMs) AS DurationMs
FROM sla_step_minute
GROUP BY Flow, Step, Hour;

INSERT INTO sla_step_hour
SELECT Flow, Step, toStartOfHour(Minute) AS Hour,
    uniqExactMergeState(Spans), uniqExactMergeState(FailedSpans), quantilesDDMergeState(0.01, 0.5, 0.95, 0.99)(DurationMs)
FROM sla_step_minute
GROUP BY Flow, Step, Hour;
