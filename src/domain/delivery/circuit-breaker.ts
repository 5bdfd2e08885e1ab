/**
 * Circuit breaker per delivery target: after a run of failures the hub stops calling a target that is
 * down, instead of spending every message's retries on it, and probes it with a few requests until it
 * answers again. Pure: the caller passes the time, in milliseconds. Why it is our own and not a library's:
 * docs/adr/0004-target-protection-in-the-domain.md.
 */

/** `closed`: send freely. `open`: send nothing. `half_open`: a few probes may go. */
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
  /** Probes allowed out at once while half-open; this many successes in a row close the breaker. */
  halfOpenProbes: number;
}

/**
 * Defaults: 5 failures, 30 s open, doubling to at most 5 min (the retry policy's default `maxDelayMs`, so
 * a long outage is probed about as often as a message would retry), 3 probes.
 */
export const DEFAULT_CIRCUIT_BREAKER: Readonly<CircuitBreakerPolicy> = {
  failureThreshold: 5,
  openMs: 30_000,
  maxOpenMs: 300_000,
  halfOpenProbes: 3,
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
 * What counts: the engine reports only `unreachable` attempts (refused or reset connections, timeouts,
 * 502/504; see target-signal.ts) as failures. Any answer from the target itself (2xx, 4xx, 500, and a
 * throttle: 429/503 mean up but busy) shows it is up, and counts as a success.
 *
 * Half-open: up to `halfOpenProbes` requests may be out at once; that many successes in a row close the
 * breaker, and any failure opens it again.
 *
 * Backoff: while failed probes continue, each open period is twice the last (30 s, 60 s, 120 s, …) up to
 * `maxOpenMs`; closing resets it, and the next opening starts again at `openMs`.
 *
 * A success that arrives while open (a request sent before the breaker opened) closes it: the target
 * answered, which is what a probe would have found out.
 */
export class CircuitBreaker {
  readonly policy: Readonly<CircuitBreakerPolicy>;
  private state: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openPeriodMs: number;
  private openedAt: number | undefined;
  private retryAt: number | undefined;
  /** Probes sent and not yet answered, and when the last one went. */
  private probesOut = 0;
  private probeSentAt: number | undefined;
  /** Probes answered with success since the breaker went half-open. */
  private probeSuccesses = 0;

  constructor(policy: Partial<CircuitBreakerPolicy> = {}) {
    this.policy = { ...DEFAULT_CIRCUIT_BREAKER, ...policy };
    if (!(this.policy.failureThreshold >= 1)) throw new RangeError('failureThreshold must be ≥ 1');
    if (!(this.policy.openMs > 0)) throw new RangeError('openMs must be > 0');
    if (!(this.policy.maxOpenMs >= this.policy.openMs)) throw new RangeError('maxOpenMs must be ≥ openMs');
    if (!(this.policy.halfOpenProbes >= 1)) throw new RangeError('halfOpenProbes must be ≥ 1');
    this.openPeriodMs = this.policy.openMs;
  }

  /**
   * Whether a request may be sent at `nowMs`. When the open period is over this lets up to
   * `halfOpenProbes` probes through (and so changes state: call it only when about to send). Probes whose
   * results are never reported are given up one open period after the last was sent, and new probes are
   * allowed, so a lost result cannot wedge the target forever.
   */
  canSend(nowMs: number): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (nowMs < (this.retryAt ?? 0)) return false;
      this.state = 'half_open';
      this.probesOut = 0;
      this.probeSuccesses = 0;
    }
    if (this.probeSentAt !== undefined && nowMs - this.probeSentAt >= this.openPeriodMs) this.probesOut = 0;
    if (this.probesOut >= this.policy.halfOpenProbes) return false;
    this.probesOut += 1;
    this.probeSentAt = nowMs;
    return true;
  }

  /** Records an answer that shows the target is up: closes the breaker (half-open: after enough probes). */
  onSuccess(_nowMs: number): void {
    if (this.state === 'half_open') {
      this.probesOut = Math.max(0, this.probesOut - 1);
      this.probeSuccesses += 1;
      if (this.probeSuccesses < this.policy.halfOpenProbes) return;
    }
    this.state = 'closed';
    this.consecutiveFailures = 0;
    this.openPeriodMs = this.policy.openMs;
    this.openedAt = undefined;
    this.retryAt = undefined;
    this.probeSentAt = undefined;
    this.probesOut = 0;
    this.probeSuccesses = 0;
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

  /**
   * Takes over an opening another process recorded (several hubs on one store share a target's breaker):
   * open from `openedAt` until `retryAt`, with that period. An opening already over is ignored.
   */
  adoptOpening(opening: { openedAt: number; retryAt: number; openPeriodMs: number }, nowMs: number): void {
    if (opening.retryAt <= nowMs) return;
    this.state = 'open';
    this.openedAt = opening.openedAt;
    this.retryAt = opening.retryAt;
    this.openPeriodMs = Math.min(this.policy.maxOpenMs, Math.max(this.policy.openMs, opening.openPeriodMs));
    this.consecutiveFailures = Math.max(this.consecutiveFailures, this.policy.failureThreshold);
    this.probeSentAt = undefined;
    this.probesOut = 0;
    this.probeSuccesses = 0;
  }

  /** Takes over a closing another process recorded (its probes succeeded): closes, as a success would. */
  adoptClosing(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.onSuccess(0);
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
    this.probesOut = 0;
    this.probeSuccesses = 0;
  }
}
