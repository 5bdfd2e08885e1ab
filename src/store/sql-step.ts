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
   * `appendsToLog`: the steps insert events, so the transaction takes its positions inside the log's write
   * lock (PostgreSQL: see `settledRows`; SQLite has one writer anyway).
   */
  write(steps: SqlStep[], options?: { appendsToLog?: boolean }): Promise<unknown[]>;
  /** A read outside any write transaction. */
  read<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** `?` as a timestamp parameter to store in a TIMESTAMPTZ column (PostgreSQL) or text (SQLite). */
  timestamp(placeholder: string): string;
  /**
   * A condition on `events` (or `outbox`) rows that a reader following them by position adds, when the
   * engine lets appends commit out of position order (PostgreSQL: rows no running transaction can still
   * precede); absent where commit order is position order (SQLite's single writer).
   */
  settledRows?: string;
}
