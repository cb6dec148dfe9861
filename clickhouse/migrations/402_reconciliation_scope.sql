-- Reconciliation points only where a rule reads them. Migration 400's views wrote a row for every
-- span or record with a flow and a step, once per business key it carries: a copy of most of the
-- traffic, which cost the collector's inserts about 5 µs of engine time per span (bench/ingest.ts)
-- for flows nobody reconciles. recon_scope lists the (flow, step, key name) points of the catalogue's
-- reconciliation rules (src/lib/server/reconciliation/scope.ts keeps it: every point a catalogue
-- version in use has named, never removed, so a rule switched off and on again finds its points);
-- a point added later is backfilled from the stored spans and records of the retention period.
CREATE TABLE IF NOT EXISTS recon_scope {{on_cluster}} (
    Flow LowCardinality(String),
    Step LowCardinality(String),
    KeyName LowCardinality(String),
    AddedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = {{engine:recon_scope:ReplacingMergeTree}}
ORDER BY (Flow, Step, KeyName);

ALTER TABLE recon_points_spans_mv {{on_cluster}} MODIFY QUERY
SELECT
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
WHERE (SpanAttributes['integration.flow'], SpanAttributes['integration.step']) IN (SELECT Flow, Step FROM recon_scope)
  AND (SpanAttributes['integration.flow'], SpanAttributes['integration.step'], kv.1) IN (SELECT Flow, Step, KeyName FROM recon_scope);

ALTER TABLE recon_points_logs_mv {{on_cluster}} MODIFY QUERY
SELECT
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
WHERE (LogAttributes['integration.flow'], LogAttributes['integration.step']) IN (SELECT Flow, Step FROM recon_scope)
  AND (LogAttributes['integration.flow'], LogAttributes['integration.step'], kv.1) IN (SELECT Flow, Step, KeyName FROM recon_scope)
  AND EventName != 'integration.control_total' AND LogAttributes['event.name'] != 'integration.control_total';
