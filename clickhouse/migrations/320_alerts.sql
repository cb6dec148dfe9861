-- Alert history: one row per state change or notification of an alert, an alert being one
-- (rule, flow) pair, so repeated evaluations of a breach group into one alert instead of a storm.
-- The current state of an alert is its latest row (argMax by At).
CREATE TABLE IF NOT EXISTS alert_events {{on_cluster}} (
    AlertKey String,
    Rule LowCardinality(String),
    Flow LowCardinality(String),
    Kind LowCardinality(String),
    Status LowCardinality(String),
    Event LowCardinality(String),
    Value Float64,
    Threshold Float64,
    Summary String,
    StartedAt DateTime64(3),
    At DateTime64(3) DEFAULT now64(3),
    Delivered Array(String)
) ENGINE = {{engine:alert_events}}
PARTITION BY toYYYYMM(At)
ORDER BY (AlertKey, At)
TTL toDateTime(At) + toIntervalDay(365);
