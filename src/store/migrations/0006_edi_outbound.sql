-- Outbound X12 (docs/edi.md): the interchange rendered for one event of one EDI subscription,
-- kept so that a retry resends the very same document (same ISA13/GS06/ST02: the partner would otherwise
-- apply it twice), and the partner's 997/999 answer to it (accepted/rejected, when, with which codes).
-- Times are UTC ISO 8601 text, as in 0003.
CREATE TABLE edi_outbound (
  subscription TEXT NOT NULL,
  event_source TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  partner      TEXT NOT NULL,
  set_id       TEXT NOT NULL,
  isa13        BIGINT NOT NULL,
  gs_control   BIGINT NOT NULL,
  st_control   BIGINT NOT NULL,
  body         TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  ack_status   TEXT,
  ack_at       TEXT,
  ack_codes    TEXT,
  PRIMARY KEY (subscription, event_source, event_id)
);
CREATE INDEX edi_outbound_group ON edi_outbound (partner, gs_control, st_control);
CREATE INDEX edi_outbound_unacknowledged ON edi_outbound (ack_status, created_at);
