/**
 * The PostgreSQL `StepRunner` of the shared SQL (see `../sql-step.ts`): a unit of steps is one
 * transaction on a pooled connection; `?` placeholders become `$1…`; a `run` step whose changed-row count
 * differs from its `expect` rolls the transaction back and raises `ConditionNotMet`.
 */
import type pg from 'pg';
import { ConditionNotMet } from '../condition-not-met.js';
import type { SqlStep, StepRunner } from '../sql-step.js';
import { toError } from './postgres-append.js';
import { xidOf } from './postgres-settle.js';

/** `?` → `$1, $2, …` (the shared statements hold no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** How a unit that appends to the log opens, commits and abandons its transaction. */
export interface AppendTransactionSql {
  beginAppendSql: string;
  commitAppendSql: string;
  rollbackAppendSql: string;
  /** The condition on `events`/`outbox` rows that readers by position add (`StepRunner.settledRows`). */
  settledRows: string;
  /** Resolves once the committed transaction `xid` is settled (`postgres-settle.ts`). */
  settled: (xid: string) => Promise<void>;
}

/** A step runner on a pool. */
export function postgresRunner(pool: pg.Pool, options: AppendTransactionSql): StepRunner {
  return {
    async write(steps: SqlStep[], write: { appendsToLog?: boolean } = {}): Promise<unknown[]> {
      const client = await pool.connect();
      let broken: Error | undefined;
      const appends = write.appendsToLog === true;
      let xid: string | undefined;
      let released = false;
      try {
        const results: unknown[] = [];
        try {
          const begun = await client.query(appends ? options.beginAppendSql : 'BEGIN');
          if (appends) xid = xidOf(begun as unknown as pg.QueryResult[]);
          for (const [index, step] of steps.entries()) {
            const result = await client.query(numbered(step.sql), step.params);
            if (step.mode === 'all') results.push(result.rows);
            else if (step.mode === 'get') results.push(result.rows[0]);
            else {
              if (step.expect !== undefined && result.rowCount !== step.expect)
                throw new ConditionNotMet(index);
              results.push({ changes: result.rowCount ?? 0 });
            }
          }
          await client.query(appends ? options.commitAppendSql : 'COMMIT');
        } catch (error) {
          // A connection whose rollback failed is broken: it is destroyed, not returned to the pool (which
          // also releases an append's session lock).
          const rolledBack = await client.query(appends ? options.rollbackAppendSql : 'ROLLBACK').then(
            () => true,
            () => false,
          );
          if (!rolledBack) broken = toError(error);
          throw error;
        }
        client.release();
        released = true;
        if (xid !== undefined) await options.settled(xid);
        return results;
      } finally {
        if (!released) client.release(broken);
      }
    },
    async read<T>(sql: string, params: unknown[]): Promise<T[]> {
      const result = await pool.query(numbered(sql), params);
      return result.rows as T[];
    },
    timestamp: (placeholder) => `CAST(${placeholder} AS TIMESTAMPTZ)`,
    settledRows: options.settledRows,
  };
}
