/**
 * Idempotency-Keys of every route that takes one (orders, reservations, inbound X12 interchanges): the
 * stored answer replayed to a retry with the same body, 422 for another body, and the key's claim while
 * its first request runs — 409 while the process incarnation running it is alive, taken over at once by
 * the next retry when it is dead (killed mid-request). The rules are in docs/durability.md
 * ("Idempotency keys after a crash").
 */
import { ConflictError, type ManifoldError, UnprocessableError } from '../errors.js';
import type { IdempotentResponse } from '../store/log-port.js';
import type { Store } from '../store/store-port.js';
import type { ProcessRegistry } from './process-registry.js';

/** A stored answer, replayed. */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

/** What a claim found: the key's stored answer, or the key is now this process's to run. */
export type Claim =
  | { kind: 'stored'; answer: StoredAnswer }
  /** `takenOver`: the dead incarnation whose attempt this one replaces (`unknown` for a key without owner). */
  | { kind: 'claimed'; takenOver?: string };

/** 409 for a retry while the first request with its key is still running in a live process. */
export function keyInFlight(): ConflictError {
  return new ConflictError(
    'idempotency-key-in-flight',
    'Request with this key in progress',
    'the first request with this Idempotency-Key is still being processed; retry later',
  );
}

/** Rounds of read-then-write before a claim that keeps losing races is answered as in flight. */
const MAX_ROUNDS = 4;

export class IdempotencyKeys {
  constructor(
    private readonly store: Store,
    private readonly processes: Pick<ProcessRegistry, 'incarnation' | 'isAlive'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** This process's incarnation: the owner of the keys it claims. */
  get owner(): string {
    return this.processes.incarnation;
  }

  /**
   * The stored answer of a finished key; undefined when the key is unknown or in flight by a dead
   * incarnation (its request never got an answer: run it again). Throws 422 when the key was used with
   * another body, and `inFlight()` while a live incarnation runs it.
   */
  async lookup(
    scope: string,
    key: string,
    requestHash: string,
    inFlight: () => ManifoldError,
  ): Promise<StoredAnswer | undefined> {
    const stored = await this.store.log.getIdempotent(scope, key);
    if (!stored) return undefined;
    const answer = this.answerOf(stored, requestHash);
    if (answer) return answer;
    if (await this.ownerAlive(stored.owner)) throw inFlight();
    return undefined;
  }

  /**
   * Claims the key for a request about to run here: the stored answer when it has one; a claim when the
   * key is new or its first request died with its process; `inFlight()` while a live incarnation runs it.
   * A claim ends with `finish()` or `abandon()`.
   */
  async claim(
    scope: string,
    key: string,
    requestHash: string,
    inFlight: () => ManifoldError,
  ): Promise<Claim> {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const stored = await this.store.log.getIdempotent(scope, key);
      if (!stored) {
        const at = this.now().toISOString();
        if (await this.store.log.beginIdempotent(scope, key, requestHash, at, this.owner)) {
          return { kind: 'claimed' };
        }
        continue; // another request claimed it in between: read what it stored
      }
      const answer = this.answerOf(stored, requestHash);
      if (answer) return { kind: 'stored', answer };
      if (await this.ownerAlive(stored.owner)) throw inFlight();
      if (await this.store.log.takeOverIdempotent(scope, key, stored.owner, this.owner)) {
        return { kind: 'claimed', takenOver: stored.owner ?? 'unknown' };
      }
    }
    throw inFlight();
  }

  /** Stores the answer of a claimed key. */
  finish(scope: string, key: string, status: number, body: unknown): Promise<void> {
    return this.store.log.finishIdempotent(scope, key, status, body);
  }

  /** Gives a claimed key up without an answer (a retry runs the request again). */
  abandon(scope: string, key: string): Promise<void> {
    return this.store.log.abandonIdempotent(scope, key, this.owner);
  }

  /** The answer to replay (same body, finished), undefined while in flight; 422 for another body. */
  private answerOf(stored: IdempotentResponse, requestHash: string): StoredAnswer | undefined {
    if (stored.requestHash !== requestHash) {
      throw new UnprocessableError(
        'idempotency-key-reused',
        'Idempotency-Key reused',
        'this Idempotency-Key was used with a different request body',
      );
    }
    return stored.status === 0 ? undefined : { status: stored.status, body: stored.body };
  }

  /**
   * Whether the incarnation running an in-flight key is alive. This one is; on SQLite nothing else can be
   * (one hub process per database file), so any other owner died; on PostgreSQL the process registry
   * says. A key without owner was stored by a version that did not record one: abandoned.
   */
  private async ownerAlive(owner: string | undefined): Promise<boolean> {
    if (owner === undefined) return false;
    if (owner === this.owner) return true;
    if (this.store.kind === 'sqlite') return false;
    return this.processes.isAlive(owner);
  }
}
