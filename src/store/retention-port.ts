/**
 * The retention half of the store port (docs/operations.md#retention-and-backups): what the pruning loop
 * may remove, and the bounded removals themselves. Every method touches at most `limit` rows in one
 * transaction, so ingest is never blocked for long. One implementation (`sql-retention.ts`) runs on both
 * adapters; the retention conformance suite holds both to it.
 */
import type { LeaseFence } from './lease-fence.js';

/** An event as written to an archive: its log row and its envelope. */
export interface ArchivedEvent {
  seq: number;
  system: string;
  ingestedAt: string;
  envelope: Record<string, unknown>;
}

/** Closed orders: an order whose milestone is one of these has no more events to expect. */
export const CLOSED_MILESTONES = ['delivered', 'invoiced', 'credited', 'cancelled'] as const;

export interface RetentionStore {
  /**
   * Events whose payload may be dropped, oldest first: ingested before `before`, at or below `maxSeq`
   * (the lowest cursor of the log's consumers), payload not yet dropped, no pending or parked delivery,
   * no open exception, and not an event of an order that is open or closed at or after `before`.
   */
  prunableEvents(before: string, maxSeq: number, limit: number): Promise<ArchivedEvent[]>;
  /**
   * Drops the payloads of these events (the envelope becomes `{}`, `pruned_at` is set); the row stays,
   * so a resend of the event is still a duplicate. Returns how many were dropped.
   */
  dropPayloads(seqs: readonly number[], at: string): Promise<number>;
  /** Removes up to `limit` delivery attempts finished before `before`; returns how many. */
  pruneAttempts(before: string, limit: number): Promise<number>;
  /**
   * Removes up to `limit` delivered or skipped outbox rows created before `before` whose attempts are
   * already removed (pending and parked rows are never removed); returns how many.
   */
  pruneDeliveries(before: string, limit: number): Promise<number>;
  /**
   * Folds ledger rows written before `before` with an id at or below `maxId` (the availability publisher's
   * cursor) into one checkpoint row per position (the oldest row, holding the sum, reason `checkpoint`),
   * for up to `limit` rows; sums per position are unchanged. Returns how many rows were removed. `fence`:
   * the retention lease, checked in each fold's transaction (`LeaseLost`, that fold not written).
   */
  checkpointLedger(before: string, maxId: number, limit: number, fence?: LeaseFence): Promise<number>;
}
