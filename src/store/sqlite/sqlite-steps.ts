/**
 * The SQLite `StepRunner` of the shared SQL (see `../sql-step.ts`): a unit of steps is one `exec` request
 * to the writer thread, which commits it with whatever else arrived meanwhile (group commit) in a savepoint
 * of its own; reads run on the main thread's connection with statements prepared once. SQLite has a single
 * writer, so `appendsToLog` needs no lock of its own.
 */
import type { SqlStep, StepRunner } from '../sql-step.js';

/** A step runner over the writer thread (`exec`) and the main thread's prepared statements (`all`). */
export function sqliteRunner(
  exec: (steps: SqlStep[]) => Promise<unknown[]>,
  all: (sql: string, params: unknown[]) => unknown[],
): StepRunner {
  return {
    write: (steps) => exec(steps),
    read: async <T>(sql: string, params: unknown[]) => all(sql, params) as T[],
    timestamp: (placeholder) => placeholder,
  };
}
