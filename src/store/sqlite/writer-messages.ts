/**
 * The messages between the SQLite store (`sqlite-store.ts`, main thread) and its writer thread
 * (`writer-worker.js`), written once for both. The worker is plain JavaScript checked by `tsc` (a worker
 * thread loads its file directly, from `src/` in tests and from `dist/` in the built hub; see
 * docs/adr/0001-sqlite-writer-thread.md), so it imports these types in JSDoc; this module has no code.
 *
 * Requests travel as JSON text (cheaper than a structured clone of the rows), an array of them per message:
 * what the main thread wrote since its previous message. Replies travel as structured clones, one array per
 * commit. Fewer, larger messages: each message wakes the receiving thread, which costs more than its
 * content.
 */
import type { EventRow } from '../event-row.js';
import type { SqlStep } from '../sql-step.js';
import type { AppendOutcome } from '../store-port.js';

/** One event as the writer inserts it: its `events` row and its outbox rows (`[subscription, target]`). */
export interface RowInput extends EventRow {
  outbox: [string, string][];
}

/** Appends a group of units; each unit commits or fails alone. `at`: the ingest time of all of them. */
export interface AppendRequest {
  kind: 'append';
  requestId: number;
  at: string;
  units: RowInput[][];
}

/**
 * Runs the steps of one unit of the shared SQL (`../sql-step.ts`) in the writer's transaction: all or
 * nothing; a `run` step that changes other than `expect` rows stops it (`unmet`). Parameters of a step
 * may also be one object of named parameters (`[{ now: … }]` for `@now`).
 */
export interface ExecRequest {
  kind: 'exec';
  requestId: number;
  steps: SqlStep[];
}

/** Commits what is queued, closes the connection and ends the thread. */
export interface CloseRequest {
  kind: 'close';
  requestId: number;
}

/** A request that writes (queued and committed with others: group commit). */
export type WriteRequest = AppendRequest | ExecRequest;

/** Any request to the writer. */
export type WriterRequest = WriteRequest | CloseRequest;

/** The answer for one unit of an append: its outcomes, or the error that rolled it back alone. */
export type UnitResult = AppendOutcome[] | { error: string };

/** The result of one step of an exec: rows (`all`), a row (`get`), or what a `run` changed. */
export type StepResult = unknown[] | unknown | { changes: number; lastInsertRowid: number };

/** The writer's answer to one request. */
export interface WriterReply {
  requestId: number;
  /** Per unit of an append, or per step of an exec (empty for a close). */
  results?: UnitResult[] | StepResult[];
  /** The whole request failed (the group's commit, or an exec's statement): nothing of it was written. */
  failure?: string;
  /** An exec whose conditional step (index) changed no row; it wrote nothing. */
  unmet?: number;
}
