-- Work the hub does on orders by itself (docs/orders.md): backorders filled when stock arrives, and open
-- quantities cancelled once an order's cancelAfter has passed. Both tables are indexes kept by every
-- write of an order, in the same transaction (the order's state stays the source of truth).
--
-- order_backorders: one row per order × SKU with backordered units, found by SKU oldest first (the
-- order's acceptance time). order_deadlines: one row per order with a cancelAfter and units still
-- cancellable (not yet picked), found by the instant (UTC ISO 8601) from which cancelAfter has passed.
-- Orders backordered before this migration are indexed the next time they are written.
CREATE TABLE order_backorders (
  order_id    TEXT NOT NULL,
  sku         TEXT NOT NULL,
  accepted_at TEXT NOT NULL,
  PRIMARY KEY (order_id, sku)
);
CREATE INDEX order_backorders_sku ON order_backorders (sku, accepted_at, order_id);

CREATE TABLE order_deadlines (
  order_id     TEXT PRIMARY KEY,
  cancel_after TEXT NOT NULL,
  passes_at    TEXT NOT NULL
);
CREATE INDEX order_deadlines_passes ON order_deadlines (passes_at, order_id);

-- The backorder filler follows inventory facts from the log from here on.
INSERT INTO hub_cursors (name, position) SELECT 'backorder-fill', COALESCE(MAX(seq), 0) FROM events;
