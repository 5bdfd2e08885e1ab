/**
 * The retention store on SQL, shared by both adapters through their `StepRunner` (see `sql-step.ts`).
 * Each call is one bounded transaction (the pruning loop calls it again until nothing is left).
 */
import { BUCKETS } from '../domain/inventory/position.js';
import { fencedWrite, type LeaseFence } from './lease-fence.js';
import { type ArchivedEvent, CLOSED_MILESTONES, type RetentionStore } from './retention-port.js';
import type { StepRunner } from './sql-step.js';

const CLOSED = CLOSED_MILESTONES.map((m) => `'${m}'`).join(', ');

/** Orders still open, or closed too recently, whose events must stay (`?` is the cut-off). */
const ORDER_KEEPS = `(o.milestone NOT IN (${CLOSED}) OR o.updated_at >= ?)`;

export class SqlRetention implements RetentionStore {
  constructor(private readonly runner: StepRunner) {}

  async prunableEvents(before: string, maxSeq: number, limit: number): Promise<ArchivedEvent[]> {
    const rows = await this.runner.read<{
      seq: number | string;
      system: string;
      ingested_at: string | Date;
      envelope: unknown;
    }>(
      `SELECT e.seq, e.system, e.ingested_at, e.envelope FROM events e
       WHERE e.ingested_at < ${this.runner.timestamp('?')} AND e.seq <= ? AND e.pruned_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.event_seq = e.seq AND x.status IN ('pending', 'parked'))
         AND NOT EXISTS (SELECT 1 FROM exceptions x WHERE x.event_seq = e.seq AND x.status = 'open')
         AND NOT EXISTS (SELECT 1 FROM order_timeline t JOIN orders o ON o.order_id = t.order_id
                         WHERE t.event_seq = e.seq AND ${ORDER_KEEPS})
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = e.subject AND ${ORDER_KEEPS})
       ORDER BY e.seq LIMIT ?`,
      [before, maxSeq, before, before, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      system: r.system,
      ingestedAt: r.ingested_at instanceof Date ? r.ingested_at.toISOString() : r.ingested_at,
      envelope: (typeof r.envelope === 'string' ? JSON.parse(r.envelope) : r.envelope) as Record<
        string,
        unknown
      >,
    }));
  }

  async dropPayloads(seqs: readonly number[], at: string): Promise<number> {
    if (seqs.length === 0) return 0;
    const [result] = (await this.runner.write([
      {
        sql: `UPDATE events SET envelope = '{}', pruned_at = ?
              WHERE pruned_at IS NULL AND seq IN (${seqs.map(() => '?').join(', ')})`,
        params: [at, ...seqs],
        mode: 'run',
      },
    ])) as [{ changes: number }];
    return result.changes;
  }

  async pruneAttempts(before: string, limit: number): Promise<number> {
    const [result] = (await this.runner.write([
      {
        sql: `DELETE FROM delivery_attempts WHERE id IN
                (SELECT id FROM delivery_attempts WHERE finished_at < ? ORDER BY finished_at, id LIMIT ?)`,
        params: [before, limit],
        mode: 'run',
      },
    ])) as [{ changes: number }];
    return result.changes;
  }

  async pruneDeliveries(before: string, limit: number): Promise<number> {
    const [result] = (await this.runner.write([
      {
        sql: `DELETE FROM outbox WHERE id IN
                (SELECT o.id FROM outbox o
                 WHERE o.status IN ('delivered', 'skipped') AND o.created_at < ${this.runner.timestamp('?')}
                   AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.outbox_id = o.id)
                 ORDER BY o.created_at, o.id LIMIT ?)`,
        params: [before, limit],
        mode: 'run',
      },
    ])) as [{ changes: number }];
    return result.changes;
  }

  async checkpointLedger(before: string, maxId: number, limit: number, fence?: LeaseFence): Promise<number> {
    const positions = await this.runner.read<{ sku: string; location: string }>(
      `SELECT sku, location FROM inventory_ledger WHERE at < ? AND id <= ?
       GROUP BY sku, location HAVING count(*) > 1 ORDER BY min(id) LIMIT ?`,
      [before, maxId, limit],
    );
    let removed = 0;
    for (const { sku, location } of positions) {
      if (removed >= limit) break;
      removed += await this.foldPosition(
        sku,
        location,
        before,
        maxId,
        Math.max(2, limit - removed + 1),
        fence,
      );
    }
    return removed;
  }

  /** Folds up to `limit` old rows of one position into its oldest: one transaction. */
  private async foldPosition(
    sku: string,
    location: string,
    before: string,
    maxId: number,
    limit: number,
    fence: LeaseFence | undefined,
  ): Promise<number> {
    const rows = await this.runner.read<Record<string, number | string>>(
      `SELECT id, version, at, ${BUCKETS.map((b) => `d_${b}`).join(', ')} FROM inventory_ledger
       WHERE sku = ? AND location = ? AND at < ? AND id <= ? ORDER BY id LIMIT ?`,
      [sku, location, before, maxId, limit],
    );
    const [first, ...rest] = rows;
    if (first === undefined || rest.length === 0) return 0;
    const sums = BUCKETS.map((b) => rows.reduce((total, r) => total + Number(r[`d_${b}`]), 0));
    const last = rows[rows.length - 1] as Record<string, number | string>;
    const ids = rest.map((r) => Number(r.id));
    // Ledger rows are never changed once written, and only the lease holder folds (the fence, checked in
    // this transaction, stops a holder that lost it): the rows read are the rows changed. The first row
    // keeps its id, so the cursors over the ledger do not move.
    const [, deleted] = (await fencedWrite(this.runner, fence, [
      {
        sql: `UPDATE inventory_ledger SET ${BUCKETS.map((b) => `d_${b} = ?`).join(', ')},
                reason = 'checkpoint', system = 'manifold', event_id = NULL, correlation_id = NULL,
                document_ref = NULL, version = ?, at = ?
              WHERE id = ?`,
        params: [...sums, Number(last.version), String(last.at), Number(first.id)],
        mode: 'run',
        expect: 1,
      },
      {
        sql: `DELETE FROM inventory_ledger WHERE id IN (${ids.map(() => '?').join(', ')})`,
        params: ids,
        mode: 'run',
      },
    ])) as [unknown, { changes: number }];
    return deleted.changes;
  }
}
