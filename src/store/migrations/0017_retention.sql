-- Retention (docs/operations.md#retention-and-backups): an event whose payload was archived and dropped keeps
-- its row (seq, source, id, type, subject) so that a resend of it is still a duplicate; `pruned_at` says when
-- its envelope was replaced by '{}'. Readers of the log skip such rows.
ALTER TABLE events ADD COLUMN pruned_at TEXT;
CREATE INDEX outbox_done ON outbox (created_at, id) WHERE status IN ('delivered', 'skipped');
CREATE INDEX delivery_attempts_finished ON delivery_attempts (finished_at, id);
CREATE INDEX inventory_ledger_at ON inventory_ledger (at, id);
-- What the pruning loop looks up per candidate event: the payloads not yet dropped, in log order, and
-- whether an order's timeline or an exception names the event.
CREATE INDEX events_unpruned ON events (seq) WHERE pruned_at IS NULL;
CREATE INDEX order_timeline_event ON order_timeline (event_seq);
CREATE INDEX exceptions_event ON exceptions (event_seq) WHERE event_seq IS NOT NULL;
