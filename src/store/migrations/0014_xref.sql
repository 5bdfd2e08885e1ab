-- Cross-reference tables (docs/connectors.md#cross-reference-tables): per configured table, keys (our SKU,
-- our location, our customer) and the value a system uses for them (its inventory item id, its location id,
-- an ERP account), a JSON scalar or object. `rev` is the text looked up in reverse: the value itself when it
-- is a scalar, or the table's chosen `reverse` field of an object (NULL otherwise). Times are UTC ISO 8601.
CREATE TABLE xref_entries (
  tbl        TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  rev        TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tbl, key)
);
CREATE INDEX xref_entries_by_rev ON xref_entries (tbl, rev);
