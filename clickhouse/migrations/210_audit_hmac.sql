-- Each audit row's HMAC (src/lib/server/audit/hmac.ts): HMAC-SHA256 over the row's Hash, keyed with
-- a key derived from SYNCSCOPE_SECRET_KEY (or <dataDir>/secret.key), which ClickHouse never holds.
-- Rows written before this migration keep '' and are verified by their hash chain only.
ALTER TABLE audit_log {{on_cluster}} ADD COLUMN IF NOT EXISTS Mac String DEFAULT '' AFTER Hash;
