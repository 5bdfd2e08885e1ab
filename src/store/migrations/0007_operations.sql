-- Operations (docs/operations.md): the alert rules' state, and leases naming the one hub process that runs a
-- singleton loop (the alert evaluator) when several share this store. Times are UTC ISO 8601 text, as in
-- 0003 (they compare as text).
CREATE TABLE alert_state (
  key        TEXT PRIMARY KEY,  -- rule, or rule[scope]
  state      TEXT NOT NULL,     -- the rule instance as JSON (status, value, since, firedAt, …)
  updated_at TEXT NOT NULL
);

CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
