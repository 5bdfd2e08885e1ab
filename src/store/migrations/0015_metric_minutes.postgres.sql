-- One-minute rollups of the hub's figures (docs/console.md#charts-over-time): each hub process adds its own
-- counts of a minute under its own name (upserts that add), reads sum over the processes. `subscription` is
-- '' for the hub's own figures (ingest). `backlog` is a process's last sample of the pending outbox rows
-- (NULL when it took none). l00..l13 count delivered events per latency bucket (bounds in
-- src/domain/metrics/latency-histogram.ts). `minute` is the minute's start, UTC ISO 8601. The writers delete
-- minutes older than the retention.
CREATE TABLE metric_minutes (
  minute       TEXT NOT NULL,
  subscription TEXT NOT NULL,
  process      TEXT NOT NULL,
  ingested     BIGINT NOT NULL DEFAULT 0,
  duplicates   BIGINT NOT NULL DEFAULT 0,
  rejected     BIGINT NOT NULL DEFAULT 0,
  delivered    BIGINT NOT NULL DEFAULT 0,
  attempts     BIGINT NOT NULL DEFAULT 0,
  failed       BIGINT NOT NULL DEFAULT 0,
  backlog      BIGINT,
  l00 BIGINT NOT NULL DEFAULT 0, l01 BIGINT NOT NULL DEFAULT 0, l02 BIGINT NOT NULL DEFAULT 0,
  l03 BIGINT NOT NULL DEFAULT 0, l04 BIGINT NOT NULL DEFAULT 0, l05 BIGINT NOT NULL DEFAULT 0,
  l06 BIGINT NOT NULL DEFAULT 0, l07 BIGINT NOT NULL DEFAULT 0, l08 BIGINT NOT NULL DEFAULT 0,
  l09 BIGINT NOT NULL DEFAULT 0, l10 BIGINT NOT NULL DEFAULT 0, l11 BIGINT NOT NULL DEFAULT 0,
  l12 BIGINT NOT NULL DEFAULT 0, l13 BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (minute, subscription, process)
);
