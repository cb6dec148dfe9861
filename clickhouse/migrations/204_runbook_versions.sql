-- Runbooks edited in the console: each save is a new version (the newest wins over the file in runbooks/).
CREATE TABLE IF NOT EXISTS runbook_versions {{on_cluster}} (
    RunbookId String,
    Version UInt32,
    Yaml String,
    Author String,
    At DateTime64(3)
) ENGINE = {{engine:runbook_versions:ReplacingMergeTree}}
ORDER BY (RunbookId, Version);
