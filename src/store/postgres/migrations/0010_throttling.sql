-- Throttling (docs/delivery.md §6): attempts the target throttled (429, 503, Retry-After) are counted apart,
-- since they use up only a row's age budget (maxAgeMs), not its attempts (maxAttempts).
ALTER TABLE outbox ADD COLUMN throttled_attempts INTEGER NOT NULL DEFAULT 0;
