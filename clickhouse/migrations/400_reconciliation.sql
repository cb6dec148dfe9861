-- Reconciliation controls (docs/reconciliation.md) read the interpretation layer's output:
--
-- recon_points: every span or log record that carries a flow and a step, once per business key it
-- carries (correlation ID, entity ID, message ID, idempotency key, integration.key.*), narrow, in day
-- partitions and sorted by key within a flow and key name: a rule's query reads its flow and key name
-- in the days of its window and groups by key value; a drill-down finds a key's points directly. PointId identifies the span or record (a re-sent span gives an identical row and the
-- same PointId: "arrived twice" means two different PointIds). The facts a rule may compare are
-- columns of their own (amount, currency, quantity, partner, entity.type): read from a map they made
-- the page's GROUP BY 5× slower (bench/reconcile.ts).
CREATE TABLE IF NOT EXISTS recon_points {{on_cluster}} (
    Flow LowCardinality(String),
    KeyName LowCardinality(String),
    Step LowCardinality(String),
    Outcome LowCardinality(String),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    KeyValue String CODEC(ZSTD(1)),
    PointId UInt64 CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    Signal LowCardinality(String),
    Amount Nullable(Float64),
    Currency LowCardinality(String),
    Quantity Nullable(Float64),
    Partner LowCardinality(String),
    EntityType LowCardinality(String)
) ENGINE = {{engine:recon_points}}
PARTITION BY toDate(Timestamp)
ORDER BY (Flow, KeyName, KeyValue, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- A point's outcome: the interpreted integration.outcome; a span without one fails on status ERROR
-- and succeeds otherwise (as the SLA views count it); an ack record is a success, a dead letter a failure.
CREATE MATERIALIZED VIEW IF NOT EXISTS recon_points_spans_mv {{on_cluster}}
TO recon_points
AS SELECT
    SpanAttributes['integration.flow'] AS Flow,
    kv.1 AS KeyName,
    SpanAttributes['integration.step'] AS Step,
    multiIf(SpanAttributes['integration.outcome'] != '', SpanAttributes['integration.outcome'],
            StatusCode IN ('Error', 'STATUS_CODE_ERROR'), 'failed', 'success') AS Outcome,
    Timestamp,
    kv.2 AS KeyValue,
    sipHash64(TraceId, SpanId) AS PointId,
    TraceId,
    'span' AS Signal,
    toFloat64OrNull(SpanAttributes['integration.amount']) AS Amount,
    SpanAttributes['integration.currency'] AS Currency,
    toFloat64OrNull(SpanAttributes['integration.quantity']) AS Quantity,
    SpanAttributes['integration.partner'] AS Partner,
    SpanAttributes['integration.entity.type'] AS EntityType
FROM otel_traces
ARRAY JOIN arrayFilter(x -> x.2 != '', arrayConcat(
    [('correlation_id', SpanAttributes['integration.correlation_id']),
     ('entity.id', SpanAttributes['integration.entity.id']),
     ('message_id', SpanAttributes['integration.message_id']),
     ('idempotency_key', SpanAttributes['integration.idempotency_key'])],
    arrayMap(k -> (substring(k, 13), SpanAttributes[k]), arrayFilter(k -> startsWith(k, 'integration.key.'), mapKeys(SpanAttributes))))) AS kv
WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != '';

CREATE MATERIALIZED VIEW IF NOT EXISTS recon_points_logs_mv {{on_cluster}}
TO recon_points
AS SELECT
    LogAttributes['integration.flow'] AS Flow,
    kv.1 AS KeyName,
    LogAttributes['integration.step'] AS Step,
    multiIf(LogAttributes['integration.outcome'] != '', LogAttributes['integration.outcome'],
            EventName = 'integration.dead_letter' OR LogAttributes['event.name'] = 'integration.dead_letter', 'failed', 'success') AS Outcome,
    Timestamp,
    kv.2 AS KeyValue,
    sipHash64(TraceId, SpanId, Timestamp, 'log') AS PointId,
    TraceId,
    'log' AS Signal,
    toFloat64OrNull(LogAttributes['integration.amount']) AS Amount,
    LogAttributes['integration.currency'] AS Currency,
    toFloat64OrNull(LogAttributes['integration.quantity']) AS Quantity,
    LogAttributes['integration.partner'] AS Partner,
    LogAttributes['integration.entity.type'] AS EntityType
FROM otel_logs
ARRAY JOIN arrayFilter(x -> x.2 != '', arrayConcat(
    [('correlation_id', LogAttributes['integration.correlation_id']),
     ('entity.id', LogAttributes['integration.entity.id']),
     ('message_id', LogAttributes['integration.message_id']),
     ('idempotency_key', LogAttributes['integration.idempotency_key'])],
    arrayMap(k -> (substring(k, 13), LogAttributes[k]), arrayFilter(k -> startsWith(k, 'integration.key.'), mapKeys(LogAttributes))))) AS kv
WHERE LogAttributes['integration.flow'] != '' AND LogAttributes['integration.step'] != ''
  AND EventName != 'integration.control_total' AND LogAttributes['event.name'] != 'integration.control_total';

-- Control totals a system of record reports about itself: the log event integration.control_total
-- (docs/interpretation.md, the contract). A record without a valid window or count is not a control
-- total and is not stored here (it stays in otel_logs). A re-sent report for the same system, entity
-- and window replaces the earlier one when read (the latest Timestamp wins).
CREATE TABLE IF NOT EXISTS recon_control_totals {{on_cluster}} (
    System LowCardinality(String),
    EntityType LowCardinality(String),
    WindowStart DateTime64(3),
    WindowEnd DateTime64(3),
    Count Float64,
    Sums Map(LowCardinality(String), Float64),
    Currency LowCardinality(String),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String)
) ENGINE = {{engine:recon_control_totals}}
PARTITION BY toYYYYMM(WindowStart)
ORDER BY (System, EntityType, WindowStart, WindowEnd, Timestamp)
TTL toDateTime(WindowStart) + toIntervalDay({{ttl_logs_days}})
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS recon_control_totals_mv {{on_cluster}}
TO recon_control_totals
AS SELECT
    LogAttributes['integration.control.system'] AS System,
    LogAttributes['integration.control.entity_type'] AS EntityType,
    assumeNotNull(parseDateTime64BestEffortOrNull(LogAttributes['integration.control.window_start'], 3, 'UTC')) AS WindowStart,
    assumeNotNull(parseDateTime64BestEffortOrNull(LogAttributes['integration.control.window_end'], 3, 'UTC')) AS WindowEnd,
    assumeNotNull(toFloat64OrNull(LogAttributes['integration.control.count'])) AS Count,
    mapApply((k, v) -> (substring(k, 25), toFloat64OrZero(v)),
        mapFilter((k, v) -> startsWith(k, 'integration.control.sum.') AND toFloat64OrNull(v) IS NOT NULL, LogAttributes)) AS Sums,
    LogAttributes['integration.control.currency'] AS Currency,
    Timestamp, TraceId, ServiceName
FROM otel_logs
WHERE (EventName = 'integration.control_total' OR LogAttributes['event.name'] = 'integration.control_total')
  AND LogAttributes['integration.control.system'] != '' AND LogAttributes['integration.control.entity_type'] != ''
  AND parseDateTime64BestEffortOrNull(LogAttributes['integration.control.window_start'], 3, 'UTC') IS NOT NULL
  AND parseDateTime64BestEffortOrNull(LogAttributes['integration.control.window_end'], 3, 'UTC') IS NOT NULL
  AND toFloat64OrNull(LogAttributes['integration.control.count']) IS NOT NULL;
