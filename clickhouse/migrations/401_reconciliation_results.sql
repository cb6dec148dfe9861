-- Reconciliation results of settled windows, kept instead of recomputed on every page view
-- (src/lib/server/reconciliation/kept.ts, docs/reconciliation.md "Kept results").
--
-- A window is settled for a rule once its largest grace period has passed after the window's end:
-- nothing in it depends on "now" any more, so its figures change only when its points do. One row
-- per computation: the page query's rows (per target, state and trend bucket: keys, late keys) as
-- arrays, so a result is written in one block (all or nothing) and an empty result is a row too.
-- DefinitionHash is a hash of the rule's query as the code renders it (an edited rule or a changed
-- formula reads no old row); Points is the fingerprint of the points read when it was computed
-- (count and newest block number per day of the read range): a reader compares it with the points'
-- fingerprint now and recomputes when they differ. The newest computation of a key wins.
CREATE TABLE IF NOT EXISTS recon_results {{on_cluster}} (
    Flow LowCardinality(String),
    RuleId String,
    DefinitionHash String,
    WindowFrom DateTime64(3),
    WindowTo DateTime64(3),
    BucketSeconds UInt32,
    Points String,
    -- the rows, column by column: target index, state, trend bucket, keys, late keys
    Targets Array(UInt8),
    States Array(LowCardinality(String)),
    Buckets Array(Int32),
    N Array(UInt32),
    Late Array(UInt32),
    ComputedAt DateTime64(3)
) ENGINE = {{engine:recon_results:ReplacingMergeTree(ComputedAt)}}
PARTITION BY toYYYYMM(WindowFrom)
ORDER BY (Flow, RuleId, WindowFrom, WindowTo, BucketSeconds, DefinitionHash)
TTL toDateTime(WindowFrom) + toIntervalDay({{ttl_traces_days}})
SETTINGS index_granularity = 1024;

-- The fingerprint reads each point's block number: with the column stored, a row keeps the number of
-- the insert that wrote it through merges (as the SLA fold reads its rollups, migration 330), so an
-- insert raises a day's newest number and a delete (lightweight, or a re-interpreted day's dropped
-- partition) lowers its count.
ALTER TABLE recon_points {{on_cluster}} MODIFY SETTING enable_block_number_column = 1;
