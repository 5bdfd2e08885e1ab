-- Native webhooks in (docs/connectors.md#native-webhooks-in): each authenticated request as received (its
-- raw body and its headers, secrets stripped), what became of it, and the events it produced, so that the
-- order timeline links an event to the request it came from and a mapping can be tried again on past
-- requests. Times are UTC ISO 8601 text, as in 0003.
CREATE TABLE inbound_requests (
  id           TEXT PRIMARY KEY,
  system       TEXT NOT NULL,
  route        TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  content_type TEXT,
  headers      TEXT NOT NULL,
  body         TEXT NOT NULL,
  -- 'utf8' or 'base64' (a body that is not UTF-8 text)
  body_encoding TEXT NOT NULL,
  -- accepted | duplicate | ignored | parked
  outcome      TEXT NOT NULL,
  exception_id BIGINT,
  updated_at   TEXT NOT NULL
);
CREATE INDEX inbound_requests_by_route ON inbound_requests (system, route, received_at);

-- The events a request produced, by their (source, id): the request is written beside the events' own
-- commit, before their log positions are known; a position is read from the log (an event the log does not
-- hold — its commit failed — is simply not linked). For the timeline's link back to the request.
CREATE TABLE inbound_request_events (
  request_id   TEXT NOT NULL,
  event_source TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  PRIMARY KEY (request_id, event_source, event_id)
);
CREATE INDEX inbound_request_events_by_event ON inbound_request_events (event_source, event_id);
