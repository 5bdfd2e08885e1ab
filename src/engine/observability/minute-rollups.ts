/**
 * The one-minute rollups behind the console's charts (docs/console.md#charts-over-time). This process
 * counts, per minute and subscription, what it ingested, queued and delivered, its failed attempts and a
 * latency histogram, in memory; once a minute (and when it stops) it adds them to the store in one write
 * under its own name, with a sample of the backlog, and deletes the minutes past the retention. Other
 * processes sharing the store add theirs; the store sums them on read. A crash loses what was counted since
 * the last write: at most about a minute.
 */
import { bucketOf, emptyHistogram } from '../../domain/metrics/latency-histogram.js';
import type { MinuteRollup } from '../../store/metrics-port.js';
import type { Store } from '../../store/store-port.js';

/** How long the stored minutes are kept (the writers delete older ones). */
export const ROLLUP_RETENTION_MS = 48 * 3_600_000;
const MINUTE_MS = 60_000;
/** Written this long after each minute's end, so that the minute is complete. */
const FLUSH_DELAY_MS = 1000;

export interface MinuteRollupsOptions {
  /** This process's name in the rollups (its incarnation). */
  process: string;
  /** The pending outbox rows of every subscription, sampled at each write (store-wide). */
  backlog?: () => Promise<{ subscription: string; pending: number }[]>;
  nowMs?: () => number;
  retentionMs?: number;
  onError?: (error: unknown) => void;
}

/** The minute that holds `ms`, as ISO 8601. */
export function minuteOf(ms: number): string {
  return new Date(Math.floor(ms / MINUTE_MS) * MINUTE_MS).toISOString();
}

export class MinuteRollups {
  private pending = new Map<string, MinuteRollup>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly nowMs: () => number;

  constructor(
    private readonly store: Store,
    private readonly options: MinuteRollupsOptions,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** One event offered to ingest, by its outcome (the hub's row). */
  ingest(outcome: 'accepted' | 'duplicate' | 'rejected'): void {
    const row = this.row('');
    if (outcome === 'accepted') row.ingested++;
    else if (outcome === 'duplicate') row.duplicates++;
    else row.rejected++;
  }

  /** An outbox row made for `subscription` (an event queued for it). */
  queued(subscription: string, events = 1): void {
    this.row(subscription).ingested += events;
  }

  /** One delivery attempt of `events` events; the latencies of delivered events, ingest to answer. */
  attempt(subscription: string, delivered: boolean, events: number, latenciesMs: readonly number[]): void {
    const row = this.row(subscription);
    row.attempts++;
    if (!delivered) {
      row.failed++;
      return;
    }
    row.delivered += events;
    for (const ms of latenciesMs) {
      const i = bucketOf(ms);
      row.latency[i] = (row.latency[i] ?? 0) + 1;
    }
  }

  /** Writes every minute at its end; `stop()` writes what is left. */
  start(): void {
    if (this.timer) return;
    const schedule = () => {
      const now = this.nowMs();
      const next = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS + FLUSH_DELAY_MS;
      this.timer = setTimeout(() => {
        this.flush()
          .catch((error: unknown) => this.options.onError?.(error))
          .finally(() => {
            if (this.timer) schedule();
          });
      }, next - now);
      this.timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch((error: unknown) => this.options.onError?.(error));
  }

  /**
   * Adds what was counted since the last write to the store, with a backlog sample in the current
   * minute, and prunes past the retention: one write. Writes run one after another.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.write());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async write(): Promise<void> {
    const now = this.nowMs();
    const stats =
      (await this.options.backlog?.().catch((error: unknown) => {
        this.options.onError?.(error);
        return undefined;
      })) ?? [];
    for (const stat of stats) this.row(stat.subscription, now).backlog = stat.pending;
    const rows = [...this.pending.values()];
    this.pending = new Map();
    const pruneBefore = minuteOf(now - (this.options.retentionMs ?? ROLLUP_RETENTION_MS));
    try {
      await this.store.metrics.addMinutes(this.options.process, rows, pruneBefore);
    } catch (error) {
      // Kept for the next write: adding them later is as good as now.
      for (const row of rows) this.merge(row);
      throw error;
    }
  }

  private row(subscription: string, ms = this.nowMs()): MinuteRollup {
    const minute = minuteOf(ms);
    const key = `${minute}\u0000${subscription}`;
    let row = this.pending.get(key);
    if (!row) {
      row = {
        minute,
        subscription,
        ingested: 0,
        duplicates: 0,
        rejected: 0,
        delivered: 0,
        attempts: 0,
        failed: 0,
        latency: emptyHistogram(),
      };
      this.pending.set(key, row);
    }
    return row;
  }

  private merge(old: MinuteRollup): void {
    const key = `${old.minute}\u0000${old.subscription}`;
    const row = this.pending.get(key);
    if (!row) {
      this.pending.set(key, old);
      return;
    }
    for (const c of ['ingested', 'duplicates', 'rejected', 'delivered', 'attempts', 'failed'] as const) {
      row[c] += old[c];
    }
    row.latency = row.latency.map((n, i) => n + (old.latency[i] ?? 0));
    if (row.backlog === undefined && old.backlog !== undefined) row.backlog = old.backlog;
  }
}
