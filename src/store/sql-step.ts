/**
 * How the shared SQL of the store (`sql-*.ts`) runs on an adapter. The statements are written once with `?`
 * placeholders; each adapter supplies a `StepRunner`: SQLite sends a write unit to its writer thread (group
 * commit, see `sqlite/sqlite-steps.ts`), PostgreSQL runs it as one transaction on a pooled connection with
 * the placeholders numbered (`postgres/postgres-steps.ts`). What must differ between the engines — numbered
 * placeholders, casts to timestamptz — is in the runner.
 */

/** One statement of a write unit; `expect` is the number of rows a `run` must change. */
export interface SqlStep {
  sql: string;
  params: unknown[];
  mode: 'run' | 'all' | 'get';
  expect?: number;
}

/** How an adapter runs the shared statements. */
export interface StepRunner {
  /**
   * Runs the steps in one durable transaction; `ConditionNotMet(step)` when an expectation fails.
   * `appendsToLog`: the steps insert events, so the transaction takes the log's write lock first (the log's
   * order must be its commit order on PostgreSQL; SQLite has one writer anyway).
   */
  write(steps: SqlStep[], options?: { appendsToLog?: boolean }): Promise<unknown[]>;
  /** A read outside any write transaction. */
  read<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** `?` as a timestamp parameter to store in a TIMESTAMPTZ column (PostgreSQL) or text (SQLite). */
  timestamp(placeholder: string): string;
}
