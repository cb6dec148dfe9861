-- When a failure or a success reached Syncscope. Telemetry dates itself (a span's start time is the
-- client's word), so a failure dated in the year 2200 would be "newer" than every action people take
-- and every later success. Exception state orders such rows by when they arrived instead: a row dated
-- more than 5 minutes after it was received counts as received (exceptions/queries.ts `orderedAt`).
-- The views that fill these tables leave the column out, so each insert gets now64(3); rows stored
-- before this migration are given the migration's time (MATERIALIZE), the latest they can have arrived.
ALTER TABLE exception_events {{on_cluster}} ADD COLUMN IF NOT EXISTS ReceivedAt DateTime64(3) DEFAULT now64(3);
ALTER TABLE exception_events {{on_cluster}} MATERIALIZE COLUMN ReceivedAt SETTINGS mutations_sync = 1;
ALTER TABLE message_successes {{on_cluster}} ADD COLUMN IF NOT EXISTS ReceivedAt DateTime64(3) DEFAULT now64(3);
ALTER TABLE message_successes {{on_cluster}} MATERIALIZE COLUMN ReceivedAt SETTINGS mutations_sync = 1;
