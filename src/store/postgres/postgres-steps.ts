/**
 * The PostgreSQL `StepRunner` of the shared SQL (see `../sql-step.ts`): a unit of steps is one
 * transaction on a pooled connection; `?` placeholders become `$1…`; a `run` step whose changed-row count
 * differs from its `expect` rolls the transaction back and raises `ConditionNotMet`.
 */
import type pg from 'pg';
import { ConditionNotMet } from '../condition-not-met.js';
import type { SqlStep, StepRunner } from '../sql-step.js';
import { toError } from './postgres-append.js';

/** `?` → `$1, $2, …` (the shared statements hold no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A step runner on a pool. */
export function postgresRunner(pool: pg.Pool, options: { beginAppendSql: string }): StepRunner {
  return {
    async write(steps: SqlStep[], write: { appendsToLog?: boolean } = {}): Promise<unknown[]> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query(write.appendsToLog ? options.beginAppendSql : 'BEGIN');
        const results: unknown[] = [];
        try {
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
          await client.query('COMMIT');
        } catch (error) {
          // A connection whose rollback failed is broken: it is destroyed, not returned to the pool.
          const rolledBack = await client.query('ROLLBACK').then(
            () => true,
            () => false,
          );
          if (!rolledBack) broken = toError(error);
          throw error;
        }
        return results;
      } finally {
        client.release(broken);
      }
    },
    async read<T>(sql: string, params: unknown[]): Promise<T[]> {
      const result = await pool.query(numbered(sql), params);
      return result.rows as T[];
    },
    timestamp: (placeholder) => `CAST(${placeholder} AS TIMESTAMPTZ)`,
  };
}
