-- The process incarnation (see 0008 processes) running the first request of an Idempotency-Key while it
-- is in flight (status 0). A key whose owner is dead is taken over by the next retry at once; NULL for
-- keys stored before this migration (their owner is unknown: an in-flight one counts as abandoned).
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
