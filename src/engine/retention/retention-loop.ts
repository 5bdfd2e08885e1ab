/**
 * The pruning loop (docs/operations.md#retention-and-backups): under the `retention` lease, one hub process
 * at a time removes what is older than its retention period, in bounded transactions of `batch` rows so
 * that ingest is never held up for long:
 *
 * - event payloads: never above the lowest cursor of the log's consumers (nothing unconsumed is dropped),
 *   never of an event with a pending or parked delivery or an open exception, never of an order still
 *   open or closed less than the period ago; archived first when `retention.archive` is set; the row
 *   stays, so a resend is still a duplicate;
 * - delivery attempts, then delivered or skipped outbox rows (never pending or parked ones);
 * - inventory ledger rows, folded into one checkpoint row per position below the publisher's cursor, so
 *   positions rebuilt from the ledger are unchanged.
 *
 * Idempotency-Keys are forgotten by the inventory engine's sweep (`retention.idempotencyKeys`).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RetentionConfig } from '../../config/compiled-config.js';
import type { Store } from '../../store/store-port.js';
import { writeArchive } from './event-archive.js';

export const RETENTION_LEASE = 'retention';

/** Cursors of the log's consumers: events above the lowest are never pruned. */
export const LOG_CURSORS = ['orders', 'inventory-facts', 'backorder-fill'] as const;
/** The availability publisher's cursor over the ledger: ledger rows above it are never folded. */
export const LEDGER_CURSOR = 'inventory-publisher';

export type PrunedKind = 'events' | 'attempts' | 'deliveries' | 'ledger';

export interface RetentionLoopOptions {
  now?: () => Date;
  onError?: (loop: string, error: unknown) => void;
  /** After each pass that pruned something: how many rows of each kind, and the archives written. */
  onPruned?: (pruned: Record<PrunedKind, number>, archives: string[]) => void;
}

export class RetentionLoop {
  readonly name = 'retention';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Record<PrunedKind, number>> | undefined;
  private leading = false;
  private stopping = false;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly config: RetentionConfig,
    private readonly options: RetentionLoopOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Whether any kind has a retention period (without one, the loop has nothing to do). */
  get enabled(): boolean {
    const c = this.config;
    return [c.eventsMs, c.attemptsMs, c.deliveriesMs, c.ledgerMs].some((ms) => ms !== undefined);
  }

  start(): void {
    if (this.timer || !this.enabled) return;
    this.stopping = false;
    this.timer = setInterval(() => void this.run(), this.config.intervalMs);
    this.timer.unref();
    void this.run();
  }

  /** One pass, when this process holds (or takes) the lease; one at a time. Resolves with what it pruned. */
  run(): Promise<Record<PrunedKind, number>> {
    this.running ??= this.once()
      .catch((error: unknown) => {
        this.options.onError?.(this.name, error);
        return { events: 0, attempts: 0, deliveries: 0, ledger: 0 };
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.leading) await this.store.ops.releaseLease(RETENTION_LEASE, this.owner).catch(() => undefined);
    this.leading = false;
  }

  private async once(): Promise<Record<PrunedKind, number>> {
    const pruned: Record<PrunedKind, number> = { events: 0, attempts: 0, deliveries: 0, ledger: 0 };
    const archives: string[] = [];
    const leaseMs = Math.max(60_000, this.config.intervalMs * 3);
    const epoch = await this.store.ops.takeLease(
      RETENTION_LEASE,
      this.owner,
      this.now().toISOString(),
      leaseMs,
    );
    this.leading = epoch !== undefined;
    if (epoch === undefined) return pruned;
    const fence = { name: RETENTION_LEASE, holder: this.owner, epoch };
    const nowMs = this.now().getTime();
    const cutoff = (ms: number | undefined) =>
      ms === undefined ? undefined : new Date(nowMs - ms).toISOString();
    const { batch } = this.config;
    const events = cutoff(this.config.eventsMs);
    if (events !== undefined) {
      const floors = await Promise.all(LOG_CURSORS.map((name) => this.store.log.cursor(name)));
      const maxSeq = Math.min(...floors);
      for (;;) {
        if (this.stopping) break;
        const rows = await this.store.retention.prunableEvents(events, maxSeq, batch);
        if (rows.length === 0) break;
        if (this.config.archive) archives.push(await writeArchive(this.config.archive.dir, rows));
        pruned.events += await this.store.retention.dropPayloads(
          rows.map((r) => r.seq),
          this.now().toISOString(),
        );
        if (rows.length < batch) break;
      }
    }
    const repeat = async (kind: PrunedKind, step: () => Promise<number>) => {
      for (;;) {
        if (this.stopping) return;
        const n = await step();
        pruned[kind] += n;
        if (n < batch) return;
      }
    };
    const attempts = cutoff(this.config.attemptsMs);
    if (attempts !== undefined)
      await repeat('attempts', () => this.store.retention.pruneAttempts(attempts, batch));
    const deliveries = cutoff(this.config.deliveriesMs);
    if (deliveries !== undefined)
      await repeat('deliveries', () => this.store.retention.pruneDeliveries(deliveries, batch));
    const ledger = cutoff(this.config.ledgerMs);
    if (ledger !== undefined) {
      const maxId = await this.store.log.cursor(LEDGER_CURSOR);
      await repeat('ledger', () => this.store.retention.checkpointLedger(ledger, maxId, batch, fence));
    }
    if (Object.values(pruned).some((n) => n > 0)) this.options.onPruned?.(pruned, archives);
    return pruned;
  }
}
