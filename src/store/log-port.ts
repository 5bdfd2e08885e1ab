/**
 * The log half of the store port: where the hub's consumers of the event log stand (named cursors moved
 * by compare-and-set), reading the log by type after a position, durable counters (X12 control numbers),
 * and the idempotency keys of POST requests. One implementation (`sql-log.ts`) runs on both adapters
 * through a `StepRunner`; the store conformance suites hold both to it.
 */

/** A stored response of an idempotent POST; status 0 while the first request is still running. */
export interface IdempotentResponse {
  requestHash: string;
  status: number;
  body: unknown;
  createdAt: string;
  /** While in flight: the process incarnation running the first request (absent for keys stored without one). */
  owner?: string;
}

/** The idempotency key to record with a write, and the response to replay for it. */
export interface IdempotencyRecord {
  scope: string;
  key: string;
  requestHash: string;
  status: number;
  body: unknown;
}

/** A logged event the fact applier reads. */
export interface InboundEventRow {
  seq: number;
  system: string;
  type: string;
  envelope: Record<string, unknown>;
}

/** Events one system logged of one type over a window. */
export interface LoggedCount {
  system: string;
  type: string;
  count: number;
}

export interface LogStore {
  getIdempotent(scope: string, key: string): Promise<IdempotentResponse | undefined>;
  /**
   * Claims a key for a request about to run in the process incarnation `owner` (stored as in flight,
   * status 0): false when the key exists.
   */
  beginIdempotent(
    scope: string,
    key: string,
    requestHash: string,
    at: string,
    owner: string,
  ): Promise<boolean>;
  /**
   * Takes over a key left in flight by the dead incarnation `from` (undefined: a key without owner) for
   * `owner`; false when the key is no longer in flight by `from` (answered, abandoned, or taken over by
   * another process first).
   */
  takeOverIdempotent(scope: string, key: string, from: string | undefined, owner: string): Promise<boolean>;
  /** Stores the answer of a claimed key. */
  finishIdempotent(scope: string, key: string, status: number, body: unknown): Promise<void>;
  /** Forgets a claim of `owner` whose request ended without an answer worth replaying. */
  abandonIdempotent(scope: string, key: string, owner: string): Promise<void>;
  /** Forgets idempotency keys created before `before`; returns how many. */
  pruneIdempotency(before: string): Promise<number>;

  /** The next value of a named counter (1, 2, …), durably: X12 control numbers per partner. */
  nextCounter(name: string): Promise<number>;
  /** Where a hub cursor stands. */
  cursor(name: string): Promise<number>;
  /** Moves a cursor from `from` to `to`; false when another process moved it first. */
  moveCursor(name: string, from: number, to: number): Promise<boolean>;
  /**
   * How many events each sending system logged per type since `since` (ISO 8601), by system then type:
   * the inbound flows of the console's flow map. The hub's own events count under its system name.
   */
  loggedSince(since: string): Promise<LoggedCount[]>;
  /** Logged events of some types after a seq, in log order (the fact applier's feed). */
  eventsAfter(afterSeq: number, types: readonly string[], limit: number): Promise<InboundEventRow[]>;
}
