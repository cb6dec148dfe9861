-- SLA rollups read the interpretation layer's output (src/lib/server/interpret): the correlation ID
-- is integration.correlation_id (the layer fills it from the messaging conventions, baggage, headers
-- or any configured key), and a relayed failure (integration.outcome 'relayed': a caller passing on
-- its callee's failure) is not an outcome of its own, so the deepest failing step takes the blame.
-- Everything else keeps its meaning (a span with status ERROR fails, whatever its outcome says).
ALTER TABLE sla_tx_traces_mv {{on_cluster}} MODIFY QUERY
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
        A['integration.correlation_id'] AS CorrelationId,
        TraceId,
        Timestamp AS S,
        addNanoseconds(Timestamp, Duration) AS E,
        A['integration.step'] AS Step,
        if(A['integration.target'] != '', A['integration.target'], ServiceName) AS System,
        multiIf(A['integration.outcome'] IN ('success', 'failed', 'rejected', 'duplicate'), A['integration.outcome'],
                A['integration.outcome'] = 'relayed', '',
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

ALTER TABLE sla_tx_steps_spans_mv {{on_cluster}} MODIFY QUERY
SELECT Flow, Step, toStartOfMinute(min(S)) AS StartMinute, CorrelationId,
    min(S) AS FirstStart, min(E) AS FirstEnd, max(F) AS Failed
FROM (
    SELECT
        SpanAttributes['integration.flow'] AS Flow,
        SpanAttributes['integration.step'] AS Step,
        SpanAttributes['integration.correlation_id'] AS CorrelationId,
        Timestamp AS S,
        addNanoseconds(Timestamp, Duration) AS E,
        toUInt8(SpanAttributes['integration.outcome'] IN ('failed', 'rejected')
            OR (SpanAttributes['integration.outcome'] != 'relayed' AND StatusCode IN ('Error', 'STATUS_CODE_ERROR'))) AS F
    FROM otel_traces
    WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != ''
)
WHERE CorrelationId != ''
GROUP BY Flow, Step, CorrelationId;

ALTER TABLE sla_tx_steps_acks_mv {{on_cluster}} MODIFY QUERY
SELECT Flow, Step, toStartOfMinute(min(Timestamp)) AS StartMinute, CorrelationId,
    min(Timestamp) AS FirstStart, min(Timestamp) AS FirstEnd, toUInt8(0) AS Failed
FROM (
    SELECT
        LogAttributes['integration.flow'] AS Flow,
        LogAttributes['integration.step'] AS Step,
        LogAttributes['integration.correlation_id'] AS CorrelationId,
        Timestamp
    FROM otel_logs
    WHERE EventName = 'integration.ack' AND LogAttributes['integration.flow'] != '' AND LogAttributes['integration.step'] != ''
)
WHERE CorrelationId != ''
GROUP BY Flow, Step, CorrelationId;

ALTER TABLE sla_step_minute_mv {{on_cluster}} MODIFY QUERY
SELECT
    SpanAttributes['integration.flow'] AS Flow,
    SpanAttributes['integration.step'] AS Step,
    toStartOfMinute(Timestamp) AS Minute,
    uniqExactState(sipHash64(TraceId, SpanId)) AS Spans,
    uniqExactStateIf(sipHash64(TraceId, SpanId),
        SpanAttributes['integration.outcome'] IN ('failed', 'rejected')
        OR (SpanAttributes['integration.outcome'] != 'relayed' AND StatusCode IN ('Error', 'STATUS_CODE_ERROR'))) AS FailedSpans,
    quantilesDDState(0.01, 0.5, 0.95, 0.99)(Duration / 1e6) AS DurationMs,
    sumMapState([toInt32(multiIf(Duration / 1e6 > (2.2700248455477507e-308), toInt32(log(Duration / 1e6) * (1 / log((1 + 0.01) / (1 - 0.01)))), Duration / 1e6 < -(2.2700248455477507e-308), 1000000 + toInt32(log(-(Duration / 1e6)) * (1 / log((1 + 0.01) / (1 - 0.01)))), 2000000))], [toUInt64(1)]) AS DurationH
FROM otel_traces
WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != ''
GROUP BY Flow, Step, Minute;
