-- The append-only, hash-chained action log: every exception action (and runbook / endpoint change)
-- with who, when, role, reason, payload hash and result. It is also the event log exception state is
-- derived from. Seq is dense; each row is inserted with insert_deduplication_token 'audit:<Seq>', so
-- two writers racing for the same Seq (two console processes) store one row: the loser re-reads and
-- retries on top of the winner. Hash = SHA-256(PrevHash + canonical JSON of the row).
CREATE TABLE IF NOT EXISTS audit_log {{on_cluster}} (
    Seq UInt64,
    ActionId String,
    At DateTime64(3),
    Actor String,
    Role LowCardinality(String),
    Action LowCardinality(String),
    SubjectType LowCardinality(String),
    SubjectId String,
    BusinessKey String,
    FromState LowCardinality(String),
    ToState LowCardinality(String),
    Comment String,
    PayloadSha256 String,
    Result LowCardinality(String),
    Data String,
    PrevHash String,
    Hash String
) ENGINE = {{engine:audit_log}}
ORDER BY Seq
SETTINGS non_replicated_deduplication_window = 10000;
