-- The business-key index for lineage: (key value, key name) → trace, span, time, service.
-- Filled by materialized views over otel_traces and otel_logs, which the migration runner
-- (re)creates from the configured attribute aliases (src/lib/server/db/key-index.ts).
-- Ordered by KeyValue so a lookup by order number reads a few granules per day partition.
CREATE TABLE IF NOT EXISTS business_keys {{on_cluster}} (
    KeyValue String CODEC(ZSTD(1)),
    KeyName LowCardinality(String) CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Signal LowCardinality(String) CODEC(ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = {{engine:business_keys}}
PARTITION BY toDate(Timestamp)
ORDER BY (KeyValue, KeyName, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay({{ttl_keys_days}})
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
