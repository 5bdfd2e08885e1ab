/**
 * Adaptive concurrency of one delivery target: how many requests may be in flight to it, found out from its
 * answers (AIMD, as TCP congestion control does). A throttle answer (429, 503, `Retry-After`) halves the
 * limit; each accepted request adds `1 / limit`, so a whole round of successes adds one. The limit moves
 * between 1 and the configured maximum. `Retry-After` also pauses the whole target until then.
 * Pure: the caller passes the time, in milliseconds. Rules: docs/delivery.md#6-protecting-targets.
 */
import type { TargetSignal } from './target-signal.js';

export interface AdaptiveConcurrencyPolicy {
  /** The most requests in flight (the configured concurrency); where the limit starts. */
  maxLimit: number;
  /** The least (default 1): an overloaded target still gets one request at a time. */
  minLimit: number;
  /** What a throttle multiplies the limit by (default 0.5). */
  decreaseRatio: number;
  /** Longest pause a `Retry-After` can impose on the whole target (default 1 h). */
  maxPauseMs: number;
}

/** Requests in flight to one target when its `rateLimit.concurrency` is not set. */
export const DEFAULT_CONCURRENCY = 4;

export const DEFAULT_ADAPTIVE_CONCURRENCY: Readonly<Omit<AdaptiveConcurrencyPolicy, 'maxLimit'>> = {
  minLimit: 1,
  decreaseRatio: 0.5,
  maxPauseMs: 3_600_000,
};

/** The limiter as seen at one instant, for `/readyz` detail and metrics. */
export interface AdaptiveConcurrencySnapshot {
  /** Requests allowed in flight now (whole). */
  limit: number;
  maxLimit: number;
  inFlight: number;
  /** Until when the target is paused by a `Retry-After` (epoch ms); absent when not paused. */
  pausedUntil?: number;
}

/** A permit to send one request; hand it back with the answer. */
export interface ConcurrencyPermit {
  /** Order in which permits were given: a throttle cuts the limit only for requests sent after the last cut. */
  readonly sequence: number;
}

/**
 * One target's limiter, shared by every runner that sends to it.
 *
 * A cut applies once per round: answers to requests that were already in flight when the limit was cut
 * were sent under the old limit, and cutting again for each of them would drop a limit of 64 to 1 at the
 * first burst of 429s. So a throttle cuts only when its request was sent after the last cut.
 */
export class AdaptiveConcurrency {
  policy: Readonly<AdaptiveConcurrencyPolicy>;
  private currentLimit: number;
  private inFlight = 0;
  private nextSequence = 0;
  /** Permits with a sequence below this were given before the last cut. */
  private cutBefore = 0;
  private pausedUntil = 0;

  constructor(policy: Partial<AdaptiveConcurrencyPolicy> & { maxLimit: number }) {
    this.policy = { ...DEFAULT_ADAPTIVE_CONCURRENCY, ...policy };
    const { maxLimit, minLimit, decreaseRatio, maxPauseMs } = this.policy;
    if (!(minLimit >= 1)) throw new RangeError('minLimit must be ≥ 1');
    if (!(maxLimit >= minLimit)) throw new RangeError('maxLimit must be ≥ minLimit');
    if (!(decreaseRatio > 0 && decreaseRatio < 1)) throw new RangeError('decreaseRatio must be in (0, 1)');
    if (!(maxPauseMs >= 0)) throw new RangeError('maxPauseMs must be ≥ 0');
    this.currentLimit = maxLimit;
  }

  /** Requests allowed in flight now. */
  get limit(): number {
    return Math.floor(this.currentLimit);
  }

  /**
   * Changes the maximum (this process's share of a target's concurrency when the live process count
   * changes). A lower maximum lowers the limit at once; a higher one is grown into by successes.
   */
  setMaxLimit(maxLimit: number): void {
    if (!(maxLimit >= this.policy.minLimit)) throw new RangeError('maxLimit must be ≥ minLimit');
    this.policy = { ...this.policy, maxLimit };
    this.currentLimit = Math.min(this.currentLimit, maxLimit);
  }

  /** Milliseconds from `nowMs` until the target's pause ends (0: not paused). */
  pauseMs(nowMs: number): number {
    return Math.max(0, this.pausedUntil - nowMs);
  }

  /** Whether a request may go at `nowMs`: not paused, and fewer than `limit` in flight. Takes nothing. */
  hasRoom(nowMs: number): boolean {
    return nowMs >= this.pausedUntil && this.inFlight < this.limit;
  }

  /** A permit for one request when `hasRoom`, else undefined. */
  tryAcquire(nowMs: number): ConcurrencyPermit | undefined {
    if (!this.hasRoom(nowMs)) return undefined;
    this.inFlight += 1;
    const permit = { sequence: this.nextSequence };
    this.nextSequence += 1;
    return permit;
  }

  /**
   * Hands a permit back with what the answer said about the target. `retryAfterMs` (from a throttle answer)
   * pauses the target until `nowMs + retryAfterMs`, at most `maxPauseMs`; a later pause never shortens an
   * earlier one.
   */
  release(permit: ConcurrencyPermit, signal: TargetSignal, nowMs: number, retryAfterMs?: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (signal === 'accepted') {
      this.currentLimit = Math.min(this.policy.maxLimit, this.currentLimit + 1 / this.limit);
    } else if (signal === 'throttled') {
      if (permit.sequence >= this.cutBefore) {
        this.currentLimit = Math.max(this.policy.minLimit, this.currentLimit * this.policy.decreaseRatio);
        this.cutBefore = this.nextSequence;
      }
      if (retryAfterMs !== undefined && retryAfterMs > 0) {
        const until = nowMs + Math.min(retryAfterMs, this.policy.maxPauseMs);
        this.pausedUntil = Math.max(this.pausedUntil, until);
      }
    }
  }

  snapshot(nowMs: number): AdaptiveConcurrencySnapshot {
    const snapshot: AdaptiveConcurrencySnapshot = {
      limit: this.limit,
      maxLimit: this.policy.maxLimit,
      inFlight: this.inFlight,
    };
    if (this.pausedUntil > nowMs) snapshot.pausedUntil = this.pausedUntil;
    return snapshot;
  }
}
