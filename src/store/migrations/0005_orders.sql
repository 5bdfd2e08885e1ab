-- Orders (docs/orders.md): the canonical order with its lifecycle state (per-line quantities,
-- milestone) and a version for compare-and-set, and the annotations the order processor adds to each
-- inbound event of an order (milestone before/after, inferred, late) for the timeline. Times are UTC
-- ISO 8601 text, as in 0003.
CREATE TABLE orders (
  order_id   TEXT PRIMARY KEY,
  channel    TEXT NOT NULL,
  system     TEXT NOT NULL,
  milestone  TEXT NOT NULL,
  status     TEXT NOT NULL,
  holds      TEXT NOT NULL,
  state      TEXT NOT NULL,
  document   TEXT NOT NULL,
  version    INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX orders_channel ON orders (channel, created_at);
CREATE INDEX orders_milestone ON orders (milestone, created_at);
CREATE INDEX orders_created ON orders (created_at, order_id);

CREATE TABLE order_timeline (
  id               {{SERIAL}},
  order_id         TEXT NOT NULL,
  event_seq        BIGINT NOT NULL,
  milestone_before TEXT,
  milestone_after  TEXT,
  status           TEXT,
  inferred         TEXT NOT NULL,
  late             INTEGER NOT NULL,
  note             TEXT,
  at               TEXT NOT NULL
);
CREATE INDEX order_timeline_order ON order_timeline (order_id, event_seq);

INSERT INTO hub_cursors (name, position) VALUES ('orders', 0);
