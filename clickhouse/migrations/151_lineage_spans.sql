-- Lineage: every span's light columns (what GET /api/v1/lineage returns), ordered by TraceId, so one
-- lookup reads a trace's spans from a few granules instead of otel_traces (ordered by service and
-- time: a trace's spans sit in many granules, each carrying the heavy attribute maps) plus the
-- trace-id lookup table and the integration.* attributes of migration 150. Every span, tagged or
-- not: an untagged child span of an order's trace is part of its lineage.
-- A lookup by TraceId reads a granule in every part whose key range covers the trace, present or
-- not, so the layout is cut for few parts and small reads (measured, bench/lineage.ts):
-- - partitions by week, like the exporter's trace-id table (also ordered by TraceId): a 30-day
--   retention gives 5 partitions instead of 30 (ttl_only_drop_parts keeps a week's part until its
--   last row expires, so rows stay up to 7 days past the traces TTL);
-- - 1024-row granules and small compressed blocks, so reading one trace decompresses kilobytes.
CREATE TABLE IF NOT EXISTS lineage_spans {{on_cluster}} (
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1)),
    Step LowCardinality(String) CODEC(ZSTD(1)),
    Source LowCardinality(String) CODEC(ZSTD(1)),
    Target LowCardinality(String) CODEC(ZSTD(1)),
    Outcome LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = {{engine:lineage_spans}}
PARTITION BY toMonday(Timestamp)
ORDER BY (TraceId, SpanId)
TTL toDateTime(Timestamp) + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 1024, min_compress_block_size = 4096, max_compress_block_size = 65536,
    ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS lineage_spans_mv {{on_cluster}}
TO lineage_spans
AS SELECT
    TraceId, SpanId, ParentSpanId, Timestamp, ServiceName, SpanName, SpanKind, Duration, StatusCode, StatusMessage,
    SpanAttributes['integration.flow'] AS Flow,
    SpanAttributes['integration.step'] AS Step,
    SpanAttributes['integration.source'] AS Source,
    SpanAttributes['integration.target'] AS Target,
    SpanAttributes['integration.outcome'] AS Outcome
FROM otel_traces
WHERE TraceId != '';

-- lineage_spans replaces it: one view per span batch instead of two
DROP VIEW IF EXISTS lineage_span_attributes_mv {{on_cluster}};

-- spans stored before this migration (a span inserted between the view's creation and this read
-- may be stored twice: reads count each span once)
INSERT INTO lineage_spans
SELECT TraceId, SpanId, ParentSpanId, Timestamp, ServiceName, SpanName, SpanKind, Duration, StatusCode, StatusMessage,
       SpanAttributes['integration.flow'] AS Flow, SpanAttributes['integration.step'] AS Step,
       SpanAttributes['integration.source'] AS Source, SpanAttributes['integration.target'] AS Target,
       SpanAttributes['integration.outcome'] AS Outcome
FROM otel_traces
WHERE TraceId != '';

DROP TABLE IF EXISTS lineage_span_attributes {{on_cluster}};
