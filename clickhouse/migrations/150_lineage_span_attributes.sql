-- Lineage: the integration.* attributes of each tagged span, ordered by TraceId. The lineage API
-- reads a trace's spans from otel_traces without its attribute maps (deserialising whole granules
-- of SpanAttributes is most of a lookup's cost, bench/lineage.ts) and takes flow, step, systems
-- and outcome from here, where one trace's rows sit together.
CREATE TABLE IF NOT EXISTS lineage_span_attributes {{on_cluster}} (
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Step LowCardinality(String) CODEC(ZSTD(1)),
    Source LowCardinality(String) CODEC(ZSTD(1)),
    Target LowCardinality(String) CODEC(ZSTD(1)),
    Outcome LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = {{engine:lineage_span_attributes}}
PARTITION BY toDate(Timestamp)
ORDER BY (TraceId, SpanId)
TTL toDateTime(Timestamp) + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS lineage_span_attributes_mv {{on_cluster}}
TO lineage_span_attributes
AS SELECT
    TraceId,
    SpanId,
    Timestamp,
    SpanAttributes['integration.flow'] AS Flow,
    SpanAttributes['integration.step'] AS Step,
    SpanAttributes['integration.source'] AS Source,
    SpanAttributes['integration.target'] AS Target,
    SpanAttributes['integration.outcome'] AS Outcome
FROM otel_traces
WHERE Flow != '' OR Step != '' OR Source != '' OR Target != '' OR Outcome != '';

-- spans stored before this migration (a re-read of one may add a duplicate row: reads count each span once)
INSERT INTO lineage_span_attributes
SELECT TraceId, SpanId, Timestamp, SpanAttributes['integration.flow'] AS Flow, SpanAttributes['integration.step'] AS Step,
       SpanAttributes['integration.source'] AS Source, SpanAttributes['integration.target'] AS Target,
       SpanAttributes['integration.outcome'] AS Outcome
FROM otel_traces
WHERE Flow != '' OR Step != '' OR Source != '' OR Target != '' OR Outcome != '';
