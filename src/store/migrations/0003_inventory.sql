-- Canonical inventory (docs/inventory.md): materialized positions with a version for
-- compare-and-set, the ledger they are derived from, reservations, idempotency keys, the hub's own
-- cursors, and reconciliation reports. Times are UTC ISO 8601 text (toISOString), so text order is
-- time order; the same SQL runs on both adapters.
CREATE TABLE inventory_positions (
  sku         TEXT NOT NULL,
  location    TEXT NOT NULL,
  on_hand     INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
  reserved    INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  committed   INTEGER NOT NULL DEFAULT 0 CHECK (committed >= 0),
  allocated   INTEGER NOT NULL DEFAULT 0 CHECK (allocated >= 0),
  quarantined INTEGER NOT NULL DEFAULT 0 CHECK (quarantined >= 0),
  damaged     INTEGER NOT NULL DEFAULT 0 CHECK (damaged >= 0),
  returned    INTEGER NOT NULL DEFAULT 0 CHECK (returned >= 0),
  incoming    INTEGER NOT NULL DEFAULT 0 CHECK (incoming >= 0),
  in_transit  INTEGER NOT NULL DEFAULT 0 CHECK (in_transit >= 0),
  version     INTEGER NOT NULL DEFAULT 0,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (sku, location),
  CHECK (allocated <= committed)
);

-- One row per change of a position: signed deltas per bucket, why, and who said so.
CREATE TABLE inventory_ledger (
  id             {{SERIAL}},
  sku            TEXT NOT NULL,
  location       TEXT NOT NULL,
  d_on_hand      INTEGER NOT NULL DEFAULT 0,
  d_reserved     INTEGER NOT NULL DEFAULT 0,
  d_committed    INTEGER NOT NULL DEFAULT 0,
  d_allocated    INTEGER NOT NULL DEFAULT 0,
  d_quarantined  INTEGER NOT NULL DEFAULT 0,
  d_damaged      INTEGER NOT NULL DEFAULT 0,
  d_returned     INTEGER NOT NULL DEFAULT 0,
  d_incoming     INTEGER NOT NULL DEFAULT 0,
  d_in_transit   INTEGER NOT NULL DEFAULT 0,
  reason         TEXT NOT NULL,
  system         TEXT NOT NULL,
  event_id       TEXT,
  correlation_id TEXT,
  document_ref   TEXT,
  version        INTEGER NOT NULL,
  at             TEXT NOT NULL
);
CREATE INDEX inventory_ledger_sku ON inventory_ledger (sku, id);

CREATE TABLE reservations (
  id         TEXT PRIMARY KEY,
  channel    TEXT NOT NULL,
  system     TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('open', 'released', 'expired', 'committed')),
  reference  TEXT,
  order_id   TEXT,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  closed_at  TEXT,
  closed_by  TEXT
);
CREATE INDEX reservations_open ON reservations (expires_at) WHERE status = 'open';

CREATE TABLE reservation_lines (
  reservation_id TEXT NOT NULL REFERENCES reservations (id),
  line           INTEGER NOT NULL,
  sku            TEXT NOT NULL,
  location       TEXT NOT NULL,
  quantity       INTEGER NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (reservation_id, line)
);

-- Idempotency-Key of POST requests: the first response, replayed to a retry with the same body.
CREATE TABLE idempotency_keys (
  scope        TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status       INTEGER NOT NULL,
  response     TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- How far the hub's own consumers of the log and the ledger have got.
CREATE TABLE hub_cursors (
  name     TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);
INSERT INTO hub_cursors (name, position) VALUES ('inventory-facts', 0), ('inventory-publisher', 0);

-- The last availability figure sent per SKU and channel: a figure is emitted only when it changes.
CREATE TABLE availability_published (
  sku       TEXT NOT NULL,
  channel   TEXT NOT NULL,
  available INTEGER NOT NULL,
  ledger_id BIGINT NOT NULL,
  PRIMARY KEY (sku, channel)
);

-- Reconciliation: an owner's snapshot compared with the positions.
CREATE TABLE drift_reports (
  id         {{SERIAL}},
  system     TEXT NOT NULL,
  mode       TEXT NOT NULL CHECK (mode IN ('report', 'adopt')),
  full_count INTEGER NOT NULL,
  counted    INTEGER NOT NULL,
  drifting   INTEGER NOT NULL,
  units      INTEGER NOT NULL,
  at         TEXT NOT NULL
);

CREATE TABLE drift_lines (
  report_id  BIGINT NOT NULL REFERENCES drift_reports (id),
  sku        TEXT NOT NULL,
  location   TEXT NOT NULL,
  theirs     INTEGER NOT NULL,
  ours       INTEGER NOT NULL,
  difference INTEGER NOT NULL,
  PRIMARY KEY (report_id, sku, location)
);
CREATE INDEX drift_lines_sku ON drift_lines (sku, report_id);
