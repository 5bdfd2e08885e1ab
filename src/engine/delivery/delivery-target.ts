/**
 * One delivery target system as every runner that sends to it sees it: its circuit breaker and its adaptive
 * concurrency (capped by `systems.<name>.rateLimit.concurrency`), shared by all the subscriptions to it in
 * this process. Runners ask it before each request and report each answer to it;
 * when a request ends it wakes the runners waiting for room. Rules: docs/delivery.md#6-protecting-targets.
 */
import type { OutboundResult as DeliveryResponse } from '../../connectors/connector-port.js';
import {
  AdaptiveConcurrency,
  type AdaptiveConcurrencySnapshot,
  type ConcurrencyPermit,
} from '../../domain/delivery/adaptive-concurrency.js';
import type { CircuitBreaker, CircuitSnapshot } from '../../domain/delivery/circuit-breaker.js';
import { type TargetSignal, targetSignal } from '../../domain/delivery/target-signal.js';

export class DeliveryTarget {
  readonly concurrency: AdaptiveConcurrency;
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly system: string,
    readonly breaker: CircuitBreaker,
    maxConcurrency: number,
    /** Told when an answer opened or closed the breaker (to share it with other hub processes). */
    private readonly onTransition?: (target: DeliveryTarget, circuit: CircuitSnapshot) => void,
    /** Told when an answer moved the adaptive concurrency limit (a whole request more or fewer). */
    private readonly onLimit?: (
      target: DeliveryTarget,
      limit: number,
      previous: number,
      signal: TargetSignal,
    ) => void,
  ) {
    this.concurrency = new AdaptiveConcurrency({ maxLimit: maxConcurrency });
  }

  /** Calls `wake` whenever a request to this target ends (room may have come free). Returns the undo. */
  onRoom(wake: () => void): () => void {
    this.waiting.add(wake);
    return () => this.waiting.delete(wake);
  }

  /** Milliseconds until a `Retry-After` pause of the whole target ends (0: not paused). */
  pauseMs(nowMs: number): number {
    return this.concurrency.pauseMs(nowMs);
  }

  /**
   * A permit for one request at `nowMs`, or undefined: paused, at its concurrency limit, or its breaker
   * refuses. The breaker is asked last, since a half-open breaker counts every yes as a probe sent.
   */
  tryAcquire(nowMs: number): ConcurrencyPermit | undefined {
    if (!this.concurrency.hasRoom(nowMs)) return undefined;
    if (!this.breaker.canSend(nowMs)) return undefined;
    return this.concurrency.tryAcquire(nowMs);
  }

  /** Records what an answer said about the target; returns that signal. Wakes waiting runners. */
  release(permit: ConcurrencyPermit, response: DeliveryResponse, nowMs: number): TargetSignal {
    const signal = targetSignal(response);
    const limitBefore = this.concurrency.limit;
    this.concurrency.release(permit, signal, nowMs, response.retryAfterMs);
    if (this.concurrency.limit !== limitBefore)
      this.onLimit?.(this, this.concurrency.limit, limitBefore, signal);
    const before = this.breaker.snapshot(nowMs);
    if (signal === 'unreachable') this.breaker.onFailure(nowMs);
    else if (signal !== 'unsent') this.breaker.onSuccess(nowMs);
    const after = this.breaker.snapshot(nowMs);
    const opened = after.state === 'open' && after.openedAt !== before.openedAt;
    const closed = after.state === 'closed' && before.state !== 'closed';
    if (opened || closed) this.onTransition?.(this, after);
    for (const wake of this.waiting) wake();
    return signal;
  }

  snapshot(nowMs: number): AdaptiveConcurrencySnapshot {
    return this.concurrency.snapshot(nowMs);
  }
}
