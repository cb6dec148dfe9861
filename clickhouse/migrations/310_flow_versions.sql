-- Versions of the flow catalogue (config/flows.yaml is version 0). Every admin edit appends a row:
-- the whole validated document, who saved it and why, so any version can be read back or restored.
-- Append-only: rows are never updated, which makes the table its own audit trail.
CREATE TABLE IF NOT EXISTS flow_catalogue_versions {{on_cluster}} (
    Version UInt32,
    Document String CODEC(ZSTD(3)),
    Sha256 String,
    Author String,
    Comment String,
    ChangedFlows Array(String),
    CreatedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = {{engine:flow_catalogue_versions:ReplacingMergeTree}}
ORDER BY Version;
