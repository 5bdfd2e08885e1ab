-- Coalescing in delivery (docs/delivery.md §3): a pending row of a last-value type (availability)
-- that has a newer pending row of the same subscription and key is skipped, and records that newer row.
-- NULL on every row skipped otherwise (an exception resolved without sending). The same column as
-- SQLite's 0004.
ALTER TABLE outbox ADD COLUMN superseded_by BIGINT;
