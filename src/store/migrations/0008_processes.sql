-- The process registry: one row per running hub process (incarnation: a random id made at process start),
-- refreshed by its heartbeat. Several hub processes sharing this store see which of them are alive (a row
-- whose heartbeat is recent) and which are gone (no row, or a stale heartbeat): work a dead incarnation
-- left half done is taken over at once, and per-process shares of a limit follow the live count.
-- Times are UTC ISO 8601 text, as in 0003 (they compare as text).
CREATE TABLE processes (
  incarnation  TEXT PRIMARY KEY,
  host         TEXT NOT NULL,    -- os.hostname() of the process
  pid          INTEGER NOT NULL,
  address      TEXT,             -- the address it listens on (host:port as configured), once listening
  version      TEXT NOT NULL,    -- Manifold's version
  started_at   TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
);
CREATE INDEX processes_heartbeat ON processes (heartbeat_at);
