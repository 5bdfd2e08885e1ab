-- Durable state of each connector instance (a subscription, a partner's folder, a poller): tokens, the last
-- values sent, the files seen, a poll cursor. One generic key/value table instead of a table per feature;
-- the connector owns its keys and the meaning of its values (JSON text). Times are UTC ISO 8601 text.
CREATE TABLE connector_state (
  connector  TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector, key)
);
