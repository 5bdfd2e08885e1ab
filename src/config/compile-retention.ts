/**
 * `retention:` — how long each kind of stored data is kept (docs/operations.md#retention-and-backups):
 *
 * ```yaml
 * retention:
 *   events: 90d            # payloads of the event log (an order's events: from the order's closing)
 *   attempts: 30d          # delivery attempts
 *   deliveries: 30d        # delivered or skipped outbox rows (never pending or parked ones)
 *   ledger: 180d           # inventory ledger rows, folded into one checkpoint row per position
 *   idempotencyKeys: 7d    # stored answers of Idempotency-Keys (default: orders.idempotencyHours)
 *   interval: 1m           # how often the pruning loop runs (default 1m)
 *   batch: 500             # rows per transaction (default 500)
 *   archive: { dir: ./archive }   # pruned events are first written there as gzip JSON Lines
 * ```
 *
 * A kind left unset is kept forever, except idempotency keys (`orders.idempotencyHours`, 24 h by default).
 */
import type { RetentionConfig } from './compiled-config.js';
import { type ConfigValue, readDuration } from './config-reader.js';

const KINDS = ['events', 'attempts', 'deliveries', 'ledger', 'idempotencyKeys'] as const;

export const DEFAULT_RETENTION: RetentionConfig = {
  intervalMs: 60_000,
  batch: 500,
};

export function compileRetention(value: ConfigValue | undefined): RetentionConfig {
  const map = value?.map();
  const retention: RetentionConfig = { ...DEFAULT_RETENTION };
  if (map === undefined) return retention;
  map.allowOnly([...KINDS, 'interval', 'batch', 'archive']);
  const period = (key: (typeof KINDS)[number]) => {
    const v = map.get(key);
    const ms = readDuration(v);
    if (v !== undefined && ms !== undefined && ms < 60_000) {
      v.report(`${key} must be kept at least 1m, got ${String(v.scalar)}`, v.scalar);
      return undefined;
    }
    return ms;
  };
  const events = period('events');
  const attempts = period('attempts');
  const deliveries = period('deliveries');
  const ledger = period('ledger');
  const keys = period('idempotencyKeys');
  if (events !== undefined) retention.eventsMs = events;
  if (attempts !== undefined) retention.attemptsMs = attempts;
  if (deliveries !== undefined) retention.deliveriesMs = deliveries;
  if (ledger !== undefined) retention.ledgerMs = ledger;
  if (keys !== undefined) retention.idempotencyKeysMs = keys;
  const interval = readDuration(map.get('interval'));
  if (interval !== undefined) retention.intervalMs = Math.max(1000, interval);
  const batch = map.get('batch')?.int(1, 10_000);
  if (batch !== undefined) retention.batch = batch;
  const archive = map.get('archive');
  if (archive !== undefined) {
    const archiveMap = archive.map();
    archiveMap?.allowOnly(['dir']);
    const dir = archiveMap?.require('dir')?.string();
    if (dir !== undefined) retention.archive = { dir };
  }
  return retention;
}
