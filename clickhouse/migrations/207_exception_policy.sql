-- The policy ledger: every error signature (flow, step, error class, error code) an exception has had,
-- as the console first recorded it, with the highest amount seen. Written by the console only (an
-- action, the auto-retry sweep), never by a view, so telemetry cannot remove a signature once it is
-- here. Governance reads it: the first recorded signature fixes the exception's runbook, and the
-- strictest policy over every signature ever recorded applies (exceptions/governance.ts).
CREATE TABLE IF NOT EXISTS exception_policy {{on_cluster}} (
    ExceptionId String,
    Flow LowCardinality(String),
    Step LowCardinality(String),
    ErrorClass LowCardinality(String),
    ErrorCode LowCardinality(String),
    -- the highest integration.amount seen when recorded (approval thresholds never go down)
    Amount Nullable(Float64),
    -- when the signature first applied (its first failure, ordered as exception state orders them)
    FirstAt DateTime64(9),
    RecordedAt DateTime64(3) DEFAULT now64(3)
) ENGINE = {{engine:exception_policy}}
ORDER BY (ExceptionId, RecordedAt);
