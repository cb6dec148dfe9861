-- The business-key index in a layout cut for lookups (replaces business_keys of migration 004):
-- a lookup by KeyValue cannot prune partitions by time (the key's time is what it looks for), so it
-- reads one granule in every part. Day partitions over a 90-day key retention meant 90+ parts and
-- 8192-row granules; weekly partitions and 1024-row granules with small compressed blocks read a
-- few kilobytes in ~14 parts (the same layout as lineage_spans, migration 151; bench/lineage.ts).
-- The views that fill it are generated (src/lib/server/db/key-index.ts); after they switch to this
-- table, migrate() copies the rows of business_keys here and drops it (moveLegacyKeyIndex).
CREATE TABLE IF NOT EXISTS business_key_index {{on_cluster}} (
    KeyValue String CODEC(ZSTD(1)),
    KeyName LowCardinality(String) CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Signal LowCardinality(String) CODEC(ZSTD(1)),
    Flow LowCardinality(String) CODEC(ZSTD(1))
) ENGINE = {{engine:business_key_index}}
PARTITION BY toMonday(Timestamp)
ORDER BY (KeyValue, KeyName, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay({{ttl_keys_days}})
SETTINGS index_granularity = 1024, min_compress_block_size = 4096, max_compress_block_size = 65536,
    ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000;
