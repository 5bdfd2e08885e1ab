/**
 * Circuit breaker per delivery target (DESIGN §2.5, issue 3 §5): after a run of failures the hub stops
 * calling a target that is down, instead of spending every message's retries on it, and probes it with
 * one request at a time until it answers again. Pure: the caller passes the time, in milliseconds.
 */

/** `closed`: send freely. `open`: send nothing. `half_open`: one probe may go. */
export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** When the breaker opens and for how long. */
export interface CircuitBreakerPolicy {
  /** Consecutive failures that open a closed breaker. */
  failureThreshold: number;
  /** How long the first opening lasts before a probe is allowed. */
  openMs: number;
  /** Longest an opening can last: a failed probe doubles the period up to this. */
  maxOpenMs: number;
}

/**
 * Defaults: 5 failures, 30 s open, doubling to at most 5 min (the retry policy's default `maxDelayMs`, so
 * a long outage is probed about as often as a message would retry).
 */
export const DEFAULT_CIRCUIT_BREAKER: Readonly<CircuitBreakerPolicy> = {
  failureThreshold: 5,
  openMs: 30_000,
  maxOpenMs: 300_000,
};

/** The breaker as seen at one instant, for `/readyz` detail and metrics. */
export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  /** When the breaker last opened (epoch ms); absent while closed. */
  openedAt?: number;
  /** When a probe is (or was) allowed (epoch ms); absent while closed. */
  retryAt?: number;
  /** Length of the current (or next) open period. */
  openPeriodMs: number;
}

/**
 * One target's breaker.
 *
 * What counts: the engine reports `retryable` outcomes (5xx, 408/425/429, network errors, timeouts) as
 * failures. A `delivered` or `permanent` answer (a 4xx) shows the target is up, and counts as a success.
 *
 * Backoff: while failed probes continue, each open period is twice the last (30 s, 60 s, 120 s, …) up to
 * `maxOpenMs`; any success closes the breaker and the next opening starts again at `openMs`.
 *
 * A success that arrives while open (a request sent before the breaker opened) closes it too: the target
 * answered, which is what a probe would have found out.
 */
export class CircuitBreaker {
  readonly policy: Readonly<CircuitBreakerPolicy>;
  private state: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openPeriodMs: number;
  private openedAt: number | undefined;
  private retryAt: number | undefined;
  private probeSentAt: number | undefined;

  constructor(policy: Partial<CircuitBreakerPolicy> = {}) {
    this.policy = { ...DEFAULT_CIRCUIT_BREAKER, ...policy };
    if (!(this.policy.failureThreshold >= 1)) throw new RangeError('failureThreshold must be ≥ 1');
    if (!(this.policy.openMs > 0)) throw new RangeError('openMs must be > 0');
    if (!(this.policy.maxOpenMs >= this.policy.openMs)) throw new RangeError('maxOpenMs must be ≥ openMs');
    this.openPeriodMs = this.policy.openMs;
  }

  /**
   * Whether a request may be sent at `nowMs`. When the open period is over this lets exactly one probe
   * through (and so changes state: call it only when about to send). A probe whose result is never
   * reported is given up after one open period, and another probe is allowed, so a lost result cannot
   * wedge the target forever.
   */
  canSend(nowMs: number): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (nowMs < (this.retryAt ?? 0)) return false;
      this.state = 'half_open';
      this.probeSentAt = nowMs;
      return true;
    }
    if (this.probeSentAt !== undefined && nowMs - this.probeSentAt < this.openPeriodMs) return false;
    this.probeSentAt = nowMs;
    return true;
  }

  /** Records an answer that shows the target is up: closes the breaker. */
  onSuccess(_nowMs: number): void {
    this.state = 'closed';
    this.consecutiveFailures = 0;
    this.openPeriodMs = this.policy.openMs;
    this.openedAt = undefined;
    this.retryAt = undefined;
    this.probeSentAt = undefined;
  }

  /** Records a failed attempt: may open the breaker, or reopen it for twice as long after a failed probe. */
  onFailure(nowMs: number): void {
    this.consecutiveFailures += 1;
    if (this.state === 'closed') {
      if (this.consecutiveFailures >= this.policy.failureThreshold) this.open(nowMs);
    } else if (this.state === 'half_open') {
      this.openPeriodMs = Math.min(this.policy.maxOpenMs, this.openPeriodMs * 2);
      this.open(nowMs);
    }
    // Already open: a straggler sent before the opening failed; the opening stands as it is.
  }

  /** The breaker as of `nowMs`: an open breaker whose period is over reports `half_open`. Changes nothing. */
  snapshot(nowMs: number): CircuitSnapshot {
    const snapshot: CircuitSnapshot = {
      state: this.state === 'open' && nowMs >= (this.retryAt ?? 0) ? 'half_open' : this.state,
      consecutiveFailures: this.consecutiveFailures,
      openPeriodMs: this.openPeriodMs,
    };
    if (this.openedAt !== undefined) snapshot.openedAt = this.openedAt;
    if (this.retryAt !== undefined) snapshot.retryAt = this.retryAt;
    return snapshot;
  }

  private open(nowMs: number): void {
    this.state = 'open';
    this.openedAt = nowMs;
    this.retryAt = nowMs + this.openPeriodMs;
    this.probeSentAt = undefined;
  }
}
