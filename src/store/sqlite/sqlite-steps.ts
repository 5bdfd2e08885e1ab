/**
 * The SQLite `StepRunner` of the shared SQL (see `../sql-step.ts`): a unit of steps is one `exec` request
 * to the writer thread, which commits it with whatever else arrived meanwhile (group commit) in a savepoint
 * of its own. Reads are `read` requests to the same thread, run between two commits on its connection:
 * that connection is the only writer, so its page cache stays warm, while a connection of the main thread
 * finds its cache invalidated by every commit of the writer and reads its pages again (profiled under the
 * delivery benchmark: the inventory and order reads took a quarter of the main thread there, and moving
 * them here more than doubled the drain rate). Both see what is committed. SQLite has a single writer, so
 * `appendsToLog` needs no lock of its own.
 */
import type { SqlStep, StepRunner } from '../sql-step.js';

/** A step runner over the writer thread: `exec` for a write unit, `read` for read-only steps. */
export function sqliteRunner(
  exec: (steps: SqlStep[]) => Promise<unknown[]>,
  read: (steps: SqlStep[]) => Promise<unknown[]>,
): StepRunner {
  return {
    write: (steps) => exec(steps),
    read: async <T>(sql: string, params: unknown[]) => {
      const [rows] = await read([{ sql, params, mode: 'all' }]);
      return rows as T[];
    },
    timestamp: (placeholder) => placeholder,
  };
}
