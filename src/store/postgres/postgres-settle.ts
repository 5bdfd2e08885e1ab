/**
 * Waiting until an append is settled: readable by the log's readers by position (`xid` below the oldest
 * running transaction, see `postgres-store.ts`). An append answers only then, so that what a writer has
 * acknowledged is what a reader following the log, or a claim of the outbox, sees next — as when commit
 * order was position order. One poll loop per store serves every waiter: it asks the database for the
 * oldest running transaction every POLL_MS while anyone waits.
 */
import type pg from 'pg';

const POLL_MS = 2;
/**
 * Longest wait: another client's long write transaction on the same server holds every reader back; the
 * append is durable and will be read once that transaction ends, so the writer stops waiting after this.
 */
const MAX_WAIT_MS = 2000;

const XMIN_SQL = 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin';

interface Waiter {
  xid: bigint;
  until: number;
  resolve: () => void;
}

/** Resolves `settled(xid)` once the transaction `xid` is older than every running transaction. */
export class SettleWaiter {
  private waiters: Waiter[] = [];
  private polling = false;

  constructor(private readonly pool: pg.Pool) {}

  settled(xid: string): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ xid: BigInt(xid), until: Date.now() + MAX_WAIT_MS, resolve });
      if (!this.polling) void this.poll();
    });
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (this.waiters.length > 0) {
        let xmin: bigint | undefined;
        try {
          const { rows } = await this.pool.query<{ xmin: string }>(XMIN_SQL);
          xmin = BigInt(rows[0]?.xmin ?? '0');
        } catch {
          xmin = undefined; // the database is away: waiters end by their deadline
        }
        const now = Date.now();
        this.waiters = this.waiters.filter((w) => {
          if ((xmin !== undefined && w.xid < xmin) || now >= w.until) {
            w.resolve();
            return false;
          }
          return true;
        });
        if (this.waiters.length > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      this.polling = false;
    }
  }
}

/** The transaction id returned by the last statement of BEGIN_WRITE_SQL (`SELECT pg_current_xact_id()`). */
export function xidOf(result: pg.QueryResult | pg.QueryResult[]): string {
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  const value = last?.rows[0]?.xid;
  if (typeof value !== 'string') throw new Error('the append transaction has no id');
  return value;
}
