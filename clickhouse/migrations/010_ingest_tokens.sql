-- Per-source ingest tokens for the collector (SYNCSCOPE_INGEST_AUTH). Only the SHA-256 of a token
-- is stored; `syncscope ingest-token add <source>` prints the token once. Revoking inserts the row
-- again with Revoked = 1 (ReplacingMergeTree keeps the last inserted version; read with FINAL).
CREATE TABLE IF NOT EXISTS ingest_tokens {{on_cluster}} (
    TokenHash String,
    Source String,
    Revoked UInt8 DEFAULT 0,
    CreatedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = {{engine:ingest_tokens:ReplacingMergeTree}}
ORDER BY TokenHash;
