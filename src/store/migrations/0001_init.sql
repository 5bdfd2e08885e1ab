-- Event log: append-only, one row per CloudEvent, (source, id) unique (docs/architecture.md).
CREATE TABLE events (
  seq           {{SERIAL}},
  source        TEXT NOT NULL,
  id            TEXT NOT NULL,
  type          TEXT NOT NULL,
  subject       TEXT NOT NULL,
  correlationid TEXT,
  system        TEXT NOT NULL,
  ingested_at   {{TIMESTAMPTZ}} NOT NULL,
  envelope      {{JSONB}} NOT NULL,
  UNIQUE (source, id)
);
CREATE INDEX events_type ON events (type, seq);
CREATE INDEX events_subject ON events (subject, seq);
CREATE INDEX events_correlationid ON events (correlationid, seq) WHERE correlationid IS NOT NULL;
CREATE INDEX events_ingested_at ON events (ingested_at);

-- Outbox: one row per (event, matching subscription), written in the event's transaction.
CREATE TABLE outbox (
  id            {{SERIAL}},
  subscription  TEXT NOT NULL,
  target        TEXT NOT NULL,
  event_seq     {{BIGINT}} NOT NULL REFERENCES events (seq),
  partition_key TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'delivered', 'parked', 'skipped')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  created_at    {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX outbox_work ON outbox (subscription, status, id);
CREATE INDEX outbox_event ON outbox (event_seq);
