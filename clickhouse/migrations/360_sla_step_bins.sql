-- Step duration bins for the live figures (src/lib/server/sla/live.ts): beside the quantilesDD state
-- of sla_step_minute, the same DDSketch as bins (sketch.ts; the key expression below is binKey of
-- the duration in ms, which tests/sla/sketch.int.spec.ts checks), so a console sums the bins of
-- hours and minutes in memory. Block numbers on sla_step_minute and sla_dead_letters_minute tell a
-- console which minutes received spans or dead letters since it last looked.
ALTER TABLE sla_step_minute {{on_cluster}} ADD COLUMN IF NOT EXISTS DurationH AggregateFunction(sumMap, Array(Int32), Array(UInt64));
ALTER TABLE sla_step_minute {{on_cluster}} MODIFY SETTING enable_block_number_column = 1;
ALTER TABLE sla_dead_letters_minute {{on_cluster}} MODIFY SETTING enable_block_number_column = 1;

ALTER TABLE sla_step_minute_mv {{on_cluster}} MODIFY QUERY
SELECT
    SpanAttributes['integration.flow'] AS Flow,
    SpanAttributes['integration.step'] AS Step,
    toStartOfMinute(Timestamp) AS Minute,
    uniqExactState(sipHash64(TraceId, SpanId)) AS Spans,
    uniqExactStateIf(sipHash64(TraceId, SpanId),
        SpanAttributes['integration.outcome'] IN ('failed', 'rejected') OR StatusCode IN ('Error', 'STATUS_CODE_ERROR')) AS FailedSpans,
    quantilesDDState(0.01, 0.5, 0.95, 0.99)(Duration / 1e6) AS DurationMs,
    sumMapState([toInt32(multiIf(Duration / 1e6 > (2.2700248455477507e-308), toInt32(log(Duration / 1e6) * (1 / log((1 + 0.01) / (1 - 0.01)))), Duration / 1e6 < -(2.2700248455477507e-308), 1000000 + toInt32(log(-(Duration / 1e6)) * (1 / log((1 + 0.01) / (1 - 0.01)))), 2000000))], [toUInt64(1)]) AS DurationH
FROM otel_traces
WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != ''
GROUP BY Flow, Step, Minute;

-- the bins of the spans stored before this migration (the view above adds those of later inserts;
-- spans of the current minute inserted while this runs may be counted twice, as with 340's backfill)
INSERT INTO sla_step_minute (Flow, Step, Minute, DurationH)
SELECT SpanAttributes['integration.flow'] AS Flow, SpanAttributes['integration.step'] AS Step, toStartOfMinute(Timestamp) AS Minute,
    sumMapState([toInt32(multiIf(Duration / 1e6 > (2.2700248455477507e-308), toInt32(log(Duration / 1e6) * (1 / log((1 + 0.01) / (1 - 0.01)))), Duration / 1e6 < -(2.2700248455477507e-308), 1000000 + toInt32(log(-(Duration / 1e6)) * (1 / log((1 + 0.01) / (1 - 0.01)))), 2000000))], [toUInt64(1)])
FROM otel_traces
WHERE SpanAttributes['integration.flow'] != '' AND SpanAttributes['integration.step'] != '' AND Timestamp < toStartOfMinute(now())
GROUP BY Flow, Step, Minute;
