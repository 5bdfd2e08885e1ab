-- Throttling and shared breakers (docs/delivery.md §6). Attempts the target throttled (429, 503,
-- Retry-After) are counted apart, since they use up only a row's age budget (maxAgeMs), not its attempts
-- (maxAttempts). And one row per delivery target with its circuit breaker's last transition, written by
-- the process that opened or closed it and read by the others every few seconds, so that several hub
-- processes on one store stop and resume sending to a target together. Times are epoch milliseconds.
ALTER TABLE outbox ADD COLUMN throttled_attempts INTEGER NOT NULL DEFAULT 0;

CREATE TABLE delivery_circuits (
  system         TEXT PRIMARY KEY,
  state          TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  opened_at_ms   BIGINT,
  retry_at_ms    BIGINT,
  open_period_ms BIGINT NOT NULL,
  version        BIGINT NOT NULL,  -- raised by every write: readers apply only versions they have not seen
  updated_by     TEXT NOT NULL,    -- the writing delivery engine
  updated_at     TEXT NOT NULL
);
