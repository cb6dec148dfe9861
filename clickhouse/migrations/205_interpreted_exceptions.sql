-- Exceptions read the interpretation layer's output (src/lib/server/interpret, applied by the
-- collector): every business fact is an integration.* attribute by the time a span is stored,
-- explicit or derived, so these views no longer spell out fallbacks of their own.
-- - A span whose failure was relayed from a failing descendant (integration.outcome 'relayed') is
--   not an exception: the deepest failing span is, with the chain as its context.
-- - Identity: flow + message ID, else idempotency key, else correlation ID (a message known only by
--   its business key, e.g. an order ID in a header), else the span itself.
-- - A later success resolves by the same key (message_successes below).
ALTER TABLE exception_events_spans_mv {{on_cluster}} MODIFY QUERY
SELECT
    lower(hex(substring(SHA256(concat(SpanAttributes['integration.flow'], '|', multiIf(
        SpanAttributes['integration.message_id'] != '', SpanAttributes['integration.message_id'],
        SpanAttributes['integration.idempotency_key'] != '', SpanAttributes['integration.idempotency_key'],
        SpanAttributes['integration.correlation_id'] != '', concat('correlation:', SpanAttributes['integration.correlation_id']),
        concat('trace:', TraceId, ':', SpanId)))), 1, 16))) AS ExceptionId,
    'span' AS Signal,
    Timestamp, TraceId, SpanId, ServiceName,
    SpanAttributes['integration.flow'] AS Flow,
    if(SpanAttributes['integration.step'] != '', SpanAttributes['integration.step'], SpanName) AS Step,
    SpanAttributes['integration.message_id'] AS MessageId,
    SpanAttributes['integration.idempotency_key'] AS IdempotencyKey,
    SpanAttributes['integration.correlation_id'] AS CorrelationId,
    SpanAttributes['integration.entity.type'] AS EntityType,
    SpanAttributes['integration.entity.id'] AS EntityId,
    SpanAttributes['integration.partner'] AS Partner,
    SpanAttributes['integration.source'] AS Source,
    SpanAttributes['integration.target'] AS Target,
    toFloat64OrNull(SpanAttributes['integration.amount']) AS Amount,
    SpanAttributes['integration.currency'] AS Currency,
    SpanAttributes['integration.outcome'] AS Outcome,
    SpanAttributes['integration.error.class'] AS ErrorClass,
    SpanAttributes['integration.error.code'] AS ErrorCode,
    if(SpanAttributes['integration.error.message'] != '', SpanAttributes['integration.error.message'], StatusMessage) AS ErrorMessage,
    '' AS Payload
FROM otel_traces
WHERE SpanAttributes['integration.outcome'] IN ('failed', 'rejected')
   OR (StatusCode IN ('Error', 'STATUS_CODE_ERROR') AND SpanAttributes['integration.outcome'] != 'relayed');

ALTER TABLE exception_events_logs_mv {{on_cluster}} MODIFY QUERY
SELECT
    lower(hex(substring(SHA256(concat(LogAttributes['integration.flow'], '|', multiIf(
        LogAttributes['integration.message_id'] != '', LogAttributes['integration.message_id'],
        LogAttributes['integration.idempotency_key'] != '', LogAttributes['integration.idempotency_key'],
        LogAttributes['integration.correlation_id'] != '', concat('correlation:', LogAttributes['integration.correlation_id']),
        concat('trace:', TraceId, ':', SpanId)))), 1, 16))) AS ExceptionId,
    'log' AS Signal,
    Timestamp, TraceId, SpanId, ServiceName,
    LogAttributes['integration.flow'] AS Flow,
    LogAttributes['integration.step'] AS Step,
    LogAttributes['integration.message_id'] AS MessageId,
    LogAttributes['integration.idempotency_key'] AS IdempotencyKey,
    LogAttributes['integration.correlation_id'] AS CorrelationId,
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
    if(LogAttributes['integration.error.message'] != '', LogAttributes['integration.error.message'], LogAttributes['exception.message']) AS ErrorMessage,
    Body AS Payload
FROM otel_logs
WHERE EventName = 'integration.dead_letter' OR LogAttributes['event.name'] = 'integration.dead_letter';

-- Successes carry the same keys; a message known only by its correlation ID is resolved by it.
ALTER TABLE message_successes_mv {{on_cluster}} MODIFY QUERY
SELECT
    SpanAttributes['integration.flow'] AS Flow,
    SpanAttributes['integration.step'] AS Step,
    k AS KeyValue,
    Timestamp, TraceId, SpanId, ServiceName
FROM otel_traces
ARRAY JOIN arrayDistinct(arrayFilter(x -> x != '' AND x != 'correlation:',
    [SpanAttributes['integration.message_id'], SpanAttributes['integration.idempotency_key'],
     if(SpanAttributes['integration.message_id'] = '' AND SpanAttributes['integration.idempotency_key'] = '',
        concat('correlation:', SpanAttributes['integration.correlation_id']), '')])) AS k
WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != ''
  AND (SpanAttributes['integration.outcome'] = 'success'
       OR (SpanAttributes['integration.outcome'] = '' AND StatusCode NOT IN ('Error', 'STATUS_CODE_ERROR')));
