-- Versions of the interpretation rules (config/interpretation.yaml is version 0). Every admin save in
-- the rule workbench appends the whole validated document, who saved it and why; the newest is the
-- rule set collectors apply to new telemetry (src/lib/server/interpret/versions.ts). Append-only.
CREATE TABLE IF NOT EXISTS interpretation_versions {{on_cluster}} (
    Version UInt32,
    Document String CODEC(ZSTD(3)),
    Sha256 String,
    Author String,
    Comment String,
    CreatedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = {{engine:interpretation_versions:ReplacingMergeTree}}
ORDER BY Version;
