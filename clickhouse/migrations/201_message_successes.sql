-- Successful deliveries of identified messages, one row per (flow, step, key): what auto-resolves an
-- exception. Success = integration.outcome 'success', or no outcome and a status other than Error.
-- 'duplicate' (a resubmission blocked by idempotency) and acknowledgements (other steps, logs) are
-- not successes of the failed step, so they never resolve it.
CREATE TABLE IF NOT EXISTS message_successes {{on_cluster}} (
    Flow LowCardinality(String),
    Step LowCardinality(String),
    KeyValue String CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String)
) ENGINE = {{engine:message_successes:ReplacingMergeTree}}
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (Flow, Step, KeyValue, Timestamp, TraceId, SpanId)
TTL toDateTime(Timestamp) + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 1024, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS message_successes_mv {{on_cluster}}
TO message_successes
AS SELECT
    SpanAttributes['integration.flow'] AS Flow,
    SpanAttributes['integration.step'] AS Step,
    k AS KeyValue,
    Timestamp, TraceId, SpanId, ServiceName
FROM otel_traces
ARRAY JOIN arrayDistinct(arrayFilter(x -> x != '',
    [SpanAttributes['integration.message_id'], SpanAttributes['integration.idempotency_key']])) AS k
WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != ''
  AND (SpanAttributes['integration.outcome'] = 'success'
       OR (SpanAttributes['integration.outcome'] = '' AND StatusCode NOT IN ('Error', 'STATUS_CODE_ERROR')));
