-- Delivery bookkeeping (docs/delivery.md): per-row schedule and lease, attempts, the exception queue, the audit
-- log of admin actions, and replays.
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN first_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN last_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN delivered_at TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
-- A parked row with blocks_key = 1 holds later rows of its key (onFailure: hold).
ALTER TABLE outbox ADD COLUMN blocks_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN replay_id INTEGER;

-- Per-key order: the head of a key is its lowest open row.
CREATE INDEX outbox_key_open ON outbox (subscription, partition_key, id) WHERE status IN ('pending', 'parked');
CREATE INDEX outbox_pending ON outbox (subscription, id) WHERE status = 'pending';
CREATE INDEX outbox_replay ON outbox (replay_id) WHERE replay_id IS NOT NULL;

CREATE TABLE delivery_attempts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  outbox_id    INTEGER NOT NULL REFERENCES outbox (id),
  event_seq    INTEGER NOT NULL,
  subscription TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('delivered', 'retryable', 'permanent')),
  status       INTEGER,
  error        TEXT,
  latency_ms   INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_event ON delivery_attempts (event_seq, id);

CREATE TABLE exceptions (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  code             TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  detail           TEXT NOT NULL,
  subscription     TEXT,
  system           TEXT,
  outbox_id        INTEGER,
  event_seq        INTEGER,
  event_id         TEXT,
  subject          TEXT,
  last_status      INTEGER,
  last_body        TEXT,
  last_error       TEXT,
  attempts         INTEGER,
  first_attempt_at TEXT,
  last_attempt_at  TEXT,
  payload          TEXT,
  created_at       TEXT NOT NULL,
  resolved_at      TEXT,
  resolved_by      TEXT,
  resolution       TEXT CHECK (resolution IN ('retried', 'resolved')),
  note             TEXT
);
CREATE INDEX exceptions_status ON exceptions (status, id);
CREATE INDEX exceptions_subscription ON exceptions (subscription, id);

CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  at     TEXT NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  note   TEXT,
  detail TEXT
);

CREATE TABLE replays (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  subscription TEXT NOT NULL,
  selection    TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  total        INTEGER NOT NULL DEFAULT 0
);
