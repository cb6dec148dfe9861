-- SLA rollups, kept by materialized views so dashboards never scan otel_traces (raw spans are for
-- drill-down only). See src/lib/server/sla/README.md for the counting rules they implement.
--
-- sla_tx_traces: one row per (flow, correlation ID, trace) and insert block. Every column is an
-- aggregate that merges across blocks *and* across the traces of one transaction, so a query
-- groups by (Flow, CorrelationId) for transaction figures and by TraceId as well for the
-- first trace (end-to-end time). StartMinute (minute of the block's first span) leads the key so
-- a time window reads only its own parts plus a bounded look-back.
-- Span identity: counts of spans inside a transaction are uniqExact over sipHash64(TraceId, SpanId),
-- so a span a client re-sends is counted once; min/max/argMax are idempotent under re-sends.
CREATE TABLE IF NOT EXISTS sla_tx_traces {{on_cluster}} (
    Flow LowCardinality(String),
    StartMinute DateTime,
    CorrelationId String,
    TraceId String,
    Start SimpleAggregateFunction(min, DateTime64(9)),
    End SimpleAggregateFunction(max, DateTime64(9)),
    -- per step, its last outcome-bearing span (success/failed/rejected or status ERROR), as
    -- (end, outcome, system, error class, error code): maxMap keeps the latest end per step, so a
    -- failed step later retried or replayed successfully reads as success, and re-sends are harmless
    StepLast SimpleAggregateFunction(maxMap, Map(String, Tuple(DateTime64(9), String, String, String, String))),
    Steps SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    Amount SimpleAggregateFunction(max, Float64),
    Currency SimpleAggregateFunction(max, String),
    Partner SimpleAggregateFunction(max, String),
    EventTime SimpleAggregateFunction(min, Nullable(DateTime64(9))),
    EventSeen SimpleAggregateFunction(min, Nullable(DateTime64(9))),
    FailedSpans AggregateFunction(uniqExact, UInt64),
    RetrySpans AggregateFunction(uniqExact, UInt64),
    DuplicateSpans AggregateFunction(uniqExact, UInt64)
) ENGINE = {{engine:sla_tx_traces:AggregatingMergeTree}}
PARTITION BY toDate(StartMinute)
ORDER BY (Flow, StartMinute, CorrelationId, TraceId)
TTL StartMinute + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_tx_traces_mv {{on_cluster}} TO sla_tx_traces AS
SELECT
    Flow,
    toStartOfMinute(min(S)) AS StartMinute,
    CorrelationId,
    TraceId,
    min(S) AS Start,
    max(E) AS End,
    maxMap(mapFilter((k, v) -> v.2 IN ('success', 'failed', 'rejected'), map(Step, (E, O, System, ErrClass, ErrCode)))) AS StepLast,
    groupUniqArrayArray([Step]) AS Steps,
    max(toFloat64OrZero(A['integration.amount'])) AS Amount,
    max(A['integration.currency']) AS Currency,
    max(A['integration.partner']) AS Partner,
    min(ET) AS EventTime,
    min(if(ET IS NULL, NULL, S)) AS EventSeen,
    uniqExactStateIf(H, O IN ('failed', 'rejected')) AS FailedSpans,
    uniqExactStateIf(H, toUInt32OrZero(A['integration.attempt']) > 1 OR A['integration.replay'] IN ('true', '1') OR A['integration.replay_of'] != '') AS RetrySpans,
    uniqExactStateIf(H, O = 'duplicate') AS DuplicateSpans
FROM (
    SELECT
        SpanAttributes AS A,
        A['integration.flow'] AS Flow,
        multiIf(A['integration.correlation_id'] != '', A['integration.correlation_id'],
                A['messaging.message.conversation_id'] != '', A['messaging.message.conversation_id'],
                A['correlation_id']) AS CorrelationId,
        TraceId,
        Timestamp AS S,
        addNanoseconds(Timestamp, Duration) AS E,
        A['integration.step'] AS Step,
        if(A['integration.target'] != '', A['integration.target'], ServiceName) AS System,
        multiIf(A['integration.outcome'] IN ('success', 'failed', 'rejected', 'duplicate'), A['integration.outcome'],
                StatusCode IN ('Error', 'STATUS_CODE_ERROR'), 'failed', '') AS O,
        A['integration.error.class'] AS ErrClass,
        A['integration.error.code'] AS ErrCode,
        parseDateTime64BestEffortOrNull(A['integration.event_time'], 9) AS ET,
        sipHash64(TraceId, SpanId) AS H
    FROM otel_traces
    WHERE SpanAttributes['integration.flow'] != ''
)
WHERE CorrelationId != ''
GROUP BY Flow, CorrelationId, TraceId;

-- sla_tx_steps: per (flow, correlation ID, step): first start and first end, for milestones
-- (two steps of one correlation ID, any trace) and a flow's own start/end steps. Acknowledgement
-- log records (event integration.ack) are milestones too.
CREATE TABLE IF NOT EXISTS sla_tx_steps {{on_cluster}} (
    Flow LowCardinality(String),
    Step LowCardinality(String),
    StartMinute DateTime,
    CorrelationId String,
    FirstStart SimpleAggregateFunction(min, DateTime64(9)),
    FirstEnd SimpleAggregateFunction(min, DateTime64(9)),
    Failed SimpleAggregateFunction(max, UInt8)
) ENGINE = {{engine:sla_tx_steps:AggregatingMergeTree}}
PARTITION BY toDate(StartMinute)
ORDER BY (Flow, Step, StartMinute, CorrelationId)
TTL StartMinute + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_tx_steps_spans_mv {{on_cluster}} TO sla_tx_steps AS
SELECT Flow, Step, toStartOfMinute(min(S)) AS StartMinute, CorrelationId,
    min(S) AS FirstStart, min(E) AS FirstEnd, max(F) AS Failed
FROM (
    SELECT
        SpanAttributes['integration.flow'] AS Flow,
        SpanAttributes['integration.step'] AS Step,
        multiIf(SpanAttributes['integration.correlation_id'] != '', SpanAttributes['integration.correlation_id'],
                SpanAttributes['messaging.message.conversation_id'] != '', SpanAttributes['messaging.message.conversation_id'],
                SpanAttributes['correlation_id']) AS CorrelationId,
        Timestamp AS S,
        addNanoseconds(Timestamp, Duration) AS E,
        toUInt8(SpanAttributes['integration.outcome'] IN ('failed', 'rejected') OR StatusCode IN ('Error', 'STATUS_CODE_ERROR')) AS F
    FROM otel_traces
    WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != ''
)
WHERE CorrelationId != ''
GROUP BY Flow, Step, CorrelationId;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_tx_steps_acks_mv {{on_cluster}} TO sla_tx_steps AS
SELECT Flow, Step, toStartOfMinute(min(Timestamp)) AS StartMinute, CorrelationId,
    min(Timestamp) AS FirstStart, min(Timestamp) AS FirstEnd, toUInt8(0) AS Failed
FROM (
    SELECT
        LogAttributes['integration.flow'] AS Flow,
        LogAttributes['integration.step'] AS Step,
        multiIf(LogAttributes['integration.correlation_id'] != '', LogAttributes['integration.correlation_id'],
                LogAttributes['messaging.message.conversation_id'] != '', LogAttributes['messaging.message.conversation_id'],
                LogAttributes['correlation_id']) AS CorrelationId,
        Timestamp
    FROM otel_logs
    WHERE EventName = 'integration.ack' AND LogAttributes['integration.flow'] != '' AND LogAttributes['integration.step'] != ''
)
WHERE CorrelationId != ''
GROUP BY Flow, Step, CorrelationId;

-- sla_step_minute: per flow / step / minute: distinct spans, failed spans and a DDSketch of span
-- durations (quantilesDD, 1% relative accuracy), for step charts and the throughput series.
CREATE TABLE IF NOT EXISTS sla_step_minute {{on_cluster}} (
    Flow LowCardinality(String),
    Step LowCardinality(String),
    Minute DateTime,
    Spans AggregateFunction(uniqExact, UInt64),
    FailedSpans AggregateFunction(uniqExact, UInt64),
    DurationMs AggregateFunction(quantilesDD(0.01, 0.5, 0.95, 0.99), Float64)
) ENGINE = {{engine:sla_step_minute:AggregatingMergeTree}}
PARTITION BY toDate(Minute)
ORDER BY (Flow, Step, Minute)
TTL Minute + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_step_minute_mv {{on_cluster}} TO sla_step_minute AS
SELECT
    SpanAttributes['integration.flow'] AS Flow,
    SpanAttributes['integration.step'] AS Step,
    toStartOfMinute(Timestamp) AS Minute,
    uniqExactState(sipHash64(TraceId, SpanId)) AS Spans,
    uniqExactStateIf(sipHash64(TraceId, SpanId),
        SpanAttributes['integration.outcome'] IN ('failed', 'rejected') OR StatusCode IN ('Error', 'STATUS_CODE_ERROR')) AS FailedSpans,
    quantilesDDState(0.01, 0.5, 0.95, 0.99)(Duration / 1e6) AS DurationMs
FROM otel_traces
WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != ''
GROUP BY Flow, Step, Minute;

-- sla_dead_letters_minute: dead-letter log records per flow / step / minute. A record is identified
-- by (TraceId, SpanId, Timestamp, message ID), so a re-sent record is counted once.
CREATE TABLE IF NOT EXISTS sla_dead_letters_minute {{on_cluster}} (
    Flow LowCardinality(String),
    Step LowCardinality(String),
    Minute DateTime,
    Records AggregateFunction(uniqExact, UInt64)
) ENGINE = {{engine:sla_dead_letters_minute:AggregatingMergeTree}}
PARTITION BY toDate(Minute)
ORDER BY (Flow, Step, Minute)
TTL Minute + toIntervalDay({{ttl_logs_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS sla_dead_letters_minute_mv {{on_cluster}} TO sla_dead_letters_minute AS
SELECT
    LogAttributes['integration.flow'] AS Flow,
    LogAttributes['integration.step'] AS Step,
    toStartOfMinute(Timestamp) AS Minute,
    uniqExactState(sipHash64(TraceId, SpanId, Timestamp, LogAttributes['integration.message_id'])) AS Records
FROM otel_logs
WHERE EventName = 'integration.dead_letter' AND LogAttributes['integration.flow'] != ''
GROUP BY Flow, Step, Minute;
