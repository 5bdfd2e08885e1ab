-- Delivery bookkeeping (docs/delivery.md): per-row schedule and lease, attempts, the exception queue, the audit
-- log of admin actions, and replays. The same tables and columns as SQLite's 0002.
ALTER TABLE outbox
  ADD COLUMN next_attempt_at  TIMESTAMPTZ,
  ADD COLUMN first_attempt_at TIMESTAMPTZ,
  ADD COLUMN last_attempt_at  TIMESTAMPTZ,
  ADD COLUMN delivered_at     TIMESTAMPTZ,
  -- Several hub processes share the outbox: a claimed row is leased until then, by that process.
  ADD COLUMN lease_until      TIMESTAMPTZ,
  ADD COLUMN lease_owner      TEXT,
  -- A parked row with blocks_key holds later rows of its key (onFailure: hold).
  ADD COLUMN blocks_key       BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN replay_id        BIGINT;

-- Per-key order: the head of a key is its lowest open row.
CREATE INDEX outbox_key_open ON outbox (subscription, partition_key, id) WHERE status IN ('pending', 'parked');
CREATE INDEX outbox_pending ON outbox (subscription, id) WHERE status = 'pending';
CREATE INDEX outbox_replay ON outbox (replay_id) WHERE replay_id IS NOT NULL;

CREATE TABLE delivery_attempts (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  outbox_id    BIGINT NOT NULL REFERENCES outbox (id),
  event_seq    BIGINT NOT NULL,
  subscription TEXT NOT NULL,
  attempt      INTEGER NOT NULL,
  started_at   TIMESTAMPTZ NOT NULL,
  finished_at  TIMESTAMPTZ NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('delivered', 'retryable', 'permanent')),
  status       INTEGER,
  error        TEXT,
  latency_ms   INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_event ON delivery_attempts (event_seq, id);

CREATE TABLE exceptions (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code             TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  detail           TEXT NOT NULL,
  subscription     TEXT,
  system           TEXT,
  outbox_id        BIGINT,
  event_seq        BIGINT,
  event_id         TEXT,
  subject          TEXT,
  last_status      INTEGER,
  last_body        TEXT,
  last_error       TEXT,
  attempts         INTEGER,
  first_attempt_at TIMESTAMPTZ,
  last_attempt_at  TIMESTAMPTZ,
  payload          TEXT,
  created_at       TIMESTAMPTZ NOT NULL,
  resolved_at      TIMESTAMPTZ,
  resolved_by      TEXT,
  resolution       TEXT CHECK (resolution IN ('retried', 'resolved')),
  note             TEXT
);
CREATE INDEX exceptions_status ON exceptions (status, id);
CREATE INDEX exceptions_subscription ON exceptions (subscription, id);

CREATE TABLE audit_log (
  id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at     TIMESTAMPTZ NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  note   TEXT,
  detail JSONB
);

CREATE TABLE replays (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription TEXT NOT NULL,
  selection    JSONB NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL,
  created_by   TEXT NOT NULL,
  total        INTEGER NOT NULL DEFAULT 0
);
