-- Concurrent appends (docs/scaling.md#appends-that-commit-concurrently): each event and outbox row carries the
-- id of the transaction that wrote it. Writers take their transaction id and their seq/id values in one
-- short critical section and commit outside it, so commits of several processes overlap; readers that
-- follow the log or an outbox key by position read only rows whose transaction is older than the oldest
-- transaction still running (`xid < pg_snapshot_xmin(pg_current_snapshot())`): every row below such a row
-- is then committed or rolled back, and none can appear behind a reader's position later. Existing rows
-- get this migration's transaction id, which is committed.
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE outbox ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
