-- Exceptions, derived from telemetry by materialized views so the queue never scans otel_traces.
-- One row per failure signal: a failed span (StatusCode Error or integration.outcome failed|rejected)
-- or an integration.dead_letter log record (whose Body is the payload a replay re-sends).
-- ExceptionId = first 16 bytes of SHA-256("flow|key"), key = message ID, else idempotency key, else
-- trace:span. A client that re-sends a span produces an identical row: ReplacingMergeTree collapses
-- it on merge and every count uses uniqExact(TraceId, SpanId), so it is counted once either way.
CREATE TABLE IF NOT EXISTS exception_events {{on_cluster}} (
    ExceptionId String CODEC(ZSTD(1)),
    Signal LowCardinality(String),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    Flow LowCardinality(String),
    Step LowCardinality(String),
    MessageId String CODEC(ZSTD(1)),
    IdempotencyKey String CODEC(ZSTD(1)),
    CorrelationId String CODEC(ZSTD(1)),
    EntityType LowCardinality(String),
    EntityId String CODEC(ZSTD(1)),
    Partner LowCardinality(String),
    Source LowCardinality(String),
    Target LowCardinality(String),
    Amount Nullable(Float64),
    Currency LowCardinality(String),
    Outcome LowCardinality(String),
    ErrorClass LowCardinality(String),
    ErrorCode LowCardinality(String),
    ErrorMessage String CODEC(ZSTD(1)),
    Payload String CODEC(ZSTD(3))
) ENGINE = {{engine:exception_events:ReplacingMergeTree}}
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (ExceptionId, Signal, TraceId, SpanId, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 1024, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS exception_events_spans_mv {{on_cluster}}
TO exception_events
AS SELECT
    lower(hex(substring(SHA256(concat(SpanAttributes['integration.flow'], '|', multiIf(
        SpanAttributes['integration.message_id'] != '', SpanAttributes['integration.message_id'],
        SpanAttributes['integration.idempotency_key'] != '', SpanAttributes['integration.idempotency_key'],
        concat('trace:', TraceId, ':', SpanId)))), 1, 16))) AS ExceptionId,
    'span' AS Signal,
    Timestamp, TraceId, SpanId, ServiceName,
    SpanAttributes['integration.flow'] AS Flow,
    if(SpanAttributes['integration.step'] != '', SpanAttributes['integration.step'], SpanName) AS Step,
    SpanAttributes['integration.message_id'] AS MessageId,
    SpanAttributes['integration.idempotency_key'] AS IdempotencyKey,
    multiIf(SpanAttributes['integration.correlation_id'] != '', SpanAttributes['integration.correlation_id'],
        SpanAttributes['messaging.message.conversation_id']) AS CorrelationId,
    SpanAttributes['integration.entity.type'] AS EntityType,
    SpanAttributes['integration.entity.id'] AS EntityId,
    SpanAttributes['integration.partner'] AS Partner,
    SpanAttributes['integration.source'] AS Source,
    SpanAttributes['integration.target'] AS Target,
    toFloat64OrNull(SpanAttributes['integration.amount']) AS Amount,
    SpanAttributes['integration.currency'] AS Currency,
    SpanAttributes['integration.outcome'] AS Outcome,
    if(SpanAttributes['integration.error.class'] != '', SpanAttributes['integration.error.class'],
        Events.Attributes[indexOf(Events.Name, 'exception')]['exception.type']) AS ErrorClass,
    SpanAttributes['integration.error.code'] AS ErrorCode,
    if(StatusMessage != '', StatusMessage, Events.Attributes[indexOf(Events.Name, 'exception')]['exception.message']) AS ErrorMessage,
    '' AS Payload
FROM otel_traces
WHERE StatusCode IN ('Error', 'STATUS_CODE_ERROR')
   OR SpanAttributes['integration.outcome'] IN ('failed', 'rejected');

CREATE MATERIALIZED VIEW IF NOT EXISTS exception_events_logs_mv {{on_cluster}}
TO exception_events
AS SELECT
    lower(hex(substring(SHA256(concat(LogAttributes['integration.flow'], '|', multiIf(
        LogAttributes['integration.message_id'] != '', LogAttributes['integration.message_id'],
        LogAttributes['integration.idempotency_key'] != '', LogAttributes['integration.idempotency_key'],
        concat('trace:', TraceId, ':', SpanId)))), 1, 16))) AS ExceptionId,
    'log' AS Signal,
    Timestamp, TraceId, SpanId, ServiceName,
    LogAttributes['integration.flow'] AS Flow,
    LogAttributes['integration.step'] AS Step,
    LogAttributes['integration.message_id'] AS MessageId,
    LogAttributes['integration.idempotency_key'] AS IdempotencyKey,
    multiIf(LogAttributes['integration.correlation_id'] != '', LogAttributes['integration.correlation_id'],
        LogAttributes['messaging.message.conversation_id']) AS CorrelationId,
    LogAttributes['integration.entity.type'] AS EntityType,
    LogAttributes['integration.entity.id'] AS EntityId,
    LogAttributes['integration.partner'] AS Partner,
    LogAttributes['integration.source'] AS Source,
    LogAttributes['integration.target'] AS Target,
    toFloat64OrNull(LogAttributes['integration.amount']) AS Amount,
    LogAttributes['integration.currency'] AS Currency,
    'dead_letter' AS Outcome,
    LogAttributes['integration.error.class'] AS ErrorClass,
    LogAttributes['integration.error.code'] AS ErrorCode,
    LogAttributes['exception.message'] AS ErrorMessage,
    Body AS Payload
FROM otel_logs
WHERE EventName = 'integration.dead_letter' OR LogAttributes['event.name'] = 'integration.dead_letter';
