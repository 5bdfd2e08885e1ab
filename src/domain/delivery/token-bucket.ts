/**
 * Token-bucket rate limit for a delivery target (docs/delivery.md "protecting targets"): cloud ERP APIs allow
 * so many calls per second with some burst. Pure: the caller passes the time, in milliseconds.
 * Concurrency is not limited here; the engine counts requests in flight.
 */

/** The bucket's shape: `perSecond` tokens refill each second, at most `burst` are held. */
export interface TokenBucketPolicy {
  perSecond: number;
  burst: number;
}

/** Tokens are counted in thousandths, so refills of whole milliseconds at whole rates stay exact. */
const UNITS_PER_TOKEN = 1000;

/**
 * A token bucket that starts full. One request takes one token.
 *
 * The clock may be anything monotone-ish in milliseconds: a time that goes backwards neither refills nor
 * drains the bucket, so a wall-clock step back cannot grant extra requests.
 */
export class TokenBucket {
  perSecond: number;
  burst: number;
  /** Tokens held, in thousandths of a token. */
  private units: number;
  private refilledAt: number;

  constructor(policy: TokenBucketPolicy, nowMs: number) {
    if (!(policy.perSecond > 0)) throw new RangeError(`perSecond must be > 0, got ${policy.perSecond}`);
    if (!(policy.burst >= 1)) throw new RangeError(`burst must be ≥ 1, got ${policy.burst}`);
    this.perSecond = policy.perSecond;
    this.burst = policy.burst;
    this.units = policy.burst * UNITS_PER_TOKEN;
    this.refilledAt = nowMs;
  }

  /** Takes one token if there is one at `nowMs`. True means the request may go now. */
  tryTake(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.units < UNITS_PER_TOKEN) return false;
    this.units -= UNITS_PER_TOKEN;
    return true;
  }

  /** Milliseconds from `nowMs` until a token is available (0: one is available now). Takes nothing. */
  waitMs(nowMs: number): number {
    this.refill(nowMs);
    const missing = UNITS_PER_TOKEN - this.units;
    // perSecond tokens per 1000 ms = perSecond units per ms.
    return missing <= 0 ? 0 : Math.ceil(missing / this.perSecond);
  }

  /**
   * Changes the rate from `nowMs` on (this process's share of a limit when the live process count
   * changes): tokens earned so far are kept at the old rate, and never more than the new burst.
   */
  setRate(policy: TokenBucketPolicy, nowMs: number): void {
    if (!(policy.perSecond > 0)) throw new RangeError(`perSecond must be > 0, got ${policy.perSecond}`);
    if (!(policy.burst >= 1)) throw new RangeError(`burst must be ≥ 1, got ${policy.burst}`);
    this.refill(nowMs);
    this.perSecond = policy.perSecond;
    this.burst = policy.burst;
    this.units = Math.min(this.units, policy.burst * UNITS_PER_TOKEN);
  }

  /** Whole tokens available at `nowMs`, for metrics and `/readyz` detail. */
  available(nowMs: number): number {
    this.refill(nowMs);
    return Math.floor(this.units / UNITS_PER_TOKEN);
  }

  private refill(nowMs: number): void {
    const elapsed = nowMs - this.refilledAt;
    if (!(elapsed > 0)) return;
    this.units = Math.min(this.burst * UNITS_PER_TOKEN, this.units + elapsed * this.perSecond);
    this.refilledAt = nowMs;
  }
}
