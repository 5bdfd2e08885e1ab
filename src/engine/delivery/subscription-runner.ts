/**
 * Delivers one subscription's outbox: claims due heads of keys (per-key FIFO is the store's job), sends
 * them through the connector within the subscription's concurrency and rate limit and the target's
 * (its rate limit, adaptive concurrency, `Retry-After` pause and circuit breaker), and records each attempt
 * with its consequence (delivered, retry later, or parked with an exception). The backlog stays on disk: at most MAX_CLAIMED_ROUNDS × concurrency rows (× the batch
 * size with `batch: true`) are held in memory at a time.
 */
import type { CompiledSubscription } from '../../config/compiled-config.js';
import type { OutboundResult as DeliveryResponse } from '../../connectors/connector-port.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { type ConcurrencyPermit, DEFAULT_CONCURRENCY } from '../../domain/delivery/adaptive-concurrency.js';
import { isExhausted, isPastMaxAge, nextAttemptDelayMs } from '../../domain/delivery/retry-policy.js';
import type { TargetSignal } from '../../domain/delivery/target-signal.js';
import type { TokenBucket } from '../../domain/delivery/token-bucket.js';
import type { AttemptNext, DeliveryClaim, DeliveryStore } from '../../store/delivery-port.js';
import type { DeliveryTarget } from './delivery-target.js';

/** What a runner needs from the hub around it. */
export interface RunnerContext {
  store: DeliveryStore;
  /** One attempt to send `events`; `attempt` counts from 1 (the first event's, for a batch). */
  send: (
    subscription: CompiledSubscription,
    events: CloudEvent[],
    attempt: number,
  ) => Promise<DeliveryResponse>;
  /** The target system: its breaker and adaptive concurrency, shared with the other runners to it. */
  target: DeliveryTarget;
  /** Rate limits that apply: the subscription's, then the target system's. */
  buckets: TokenBucket[];
  now: () => Date;
  random: () => number;
  owner: string;
  /** Idle poll for retries that come due and rows appended by other processes. */
  pollMs: number;
  /** Told about every attempt (metrics, logs). */
  onAttempt?: (
    subscription: CompiledSubscription,
    claims: DeliveryClaim[],
    response: DeliveryResponse,
  ) => void;
  onError?: (subscription: CompiledSubscription, error: unknown) => void;
}

const MAX_BATCH_EVENTS = 100;
/** Most rows a runner holds claimed (buffered, on the wire, or being recorded), in rounds of `concurrency`. */
export const MAX_CLAIMED_ROUNDS = 4;
/** Shortest time between two claim queries of a busy runner. */
const CLAIM_GAP_MS = 2;

/** The default `onFailure` (docs/delivery.md §5): hold a key's later events behind a parked order event, skip otherwise. */
export function holdsKey(subscription: CompiledSubscription, event: CloudEvent): boolean {
  if (subscription.onFailure) return subscription.onFailure === 'hold';
  return event.type.startsWith('com.manifold.order.');
}

export class SubscriptionRunner {
  /** Claimed rows: waiting in `buffer` or being sent. */
  private readonly inFlight = new Set<number>();
  /** Requests on the wire (bounded by the subscription's concurrency). */
  private sending = 0;
  /** Claimed rows not sent yet, in claim (log) order. */
  private readonly buffer: DeliveryClaim[] = [];
  /** When each buffered claim was made (performance.now()), parallel to `buffer`. */
  private readonly claimedAt: number[] = [];
  /** How long a claim is leased (PostgreSQL): three request timeouts, at least a minute. */
  private readonly leaseMs: number;
  private readonly requests = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private lastClaimAt = 0;
  private claimTimer: NodeJS.Timeout | undefined;
  /** A wake that came while no sleep was pending: the next sleep returns at once. */
  private woken = false;
  private readonly concurrency: number;
  private unwatchTarget: (() => void) | undefined;

  constructor(
    readonly subscription: CompiledSubscription,
    private readonly context: RunnerContext,
  ) {
    this.concurrency = subscription.rateLimit?.concurrency ?? DEFAULT_CONCURRENCY;
    this.leaseMs = Math.max(60_000, (subscription.connector?.attemptTimeoutMs ?? 10_000) * 3);
  }

  /** Rows this runner has in flight now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A request to the same target by another runner ended: room may have come free for this one.
    this.unwatchTarget = this.context.target.onRoom(() => {
      if (this.buffer.length > 0) this.wake();
    });
    this.loop = this.run();
  }

  /** New work may be there: claim now instead of at the next poll. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  /** Stops claiming; waits for requests in flight (their results are recorded), at most `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    this.unwatchTarget?.();
    if (this.claimTimer) clearTimeout(this.claimTimer);
    this.wake();
    await this.loop;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.requests]).then(() => undefined), timeout]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const waitMs = await this.tick();
        if (waitMs > 0) await this.sleep(waitMs);
      } catch (error) {
        this.context.onError?.(this.subscription, error);
        await this.sleep(this.context.pollMs * 5);
      }
    }
  }

  /** One round of claiming and dispatching; returns how long to wait before the next. */
  private async tick(): Promise<number> {
    const { context } = this;
    const nowMs = context.now().getTime();
    const breaker = context.target.breaker.snapshot(nowMs);
    if (breaker.state === 'open') {
      // Claimed rows must not wait out the open period: their leases (PostgreSQL) would expire and another
      // hub could send them, and the rows after them, before this one does.
      this.releaseBuffer(this.buffer.length);
      return Math.max(1, Math.min((breaker.retryAt ?? nowMs) - nowMs, context.pollMs * 10));
    }
    // The target asked for a pause (Retry-After): nothing goes to it until then. A long pause gives the
    // claimed rows up, for the same reason as an open breaker.
    const pauseMs = context.target.pauseMs(nowMs);
    if (pauseMs > 0) {
      if (pauseMs > this.leaseMs / 4) this.releaseBuffer(this.buffer.length);
      return Math.min(pauseMs, context.pollMs * 10);
    }
    // Likewise drop rows buffered for half their lease (e.g. waiting for rate-limit tokens).
    let stale = 0;
    while (stale < this.buffer.length && (this.claimedAt[stale] ?? 0) < performance.now() - this.leaseMs / 2)
      stale += 1;
    this.releaseBuffer(stale);
    const batch = this.subscription.connector?.batch ? MAX_BATCH_EVENTS : 1;
    await this.refill(batch, breaker.state === 'half_open');
    while (this.sending < this.concurrency && this.buffer.length > 0) {
      const sendAt = context.now().getTime();
      const tokenWait = Math.max(0, ...context.buckets.map((bucket) => bucket.waitMs(sendAt)));
      if (tokenWait > 0) return tokenWait;
      // The target's concurrency is full, it is paused, or it is half-open with its probes out: wait until
      // a request to it ends (the target wakes this runner then).
      const permit = context.target.tryAcquire(sendAt);
      if (permit === undefined) return context.target.pauseMs(sendAt) || context.pollMs;
      for (const bucket of context.buckets) bucket.tryTake(sendAt);
      const group = this.buffer.splice(0, batch);
      this.claimedAt.splice(0, group.length);
      this.sending += 1;
      const request = this.deliver(group, permit).finally(() => {
        for (const claim of group) this.inFlight.delete(claim.outboxId);
        this.requests.delete(request);
        this.wake();
      });
      this.requests.add(request);
    }
    return this.buffer.length > 0 && this.sending < this.concurrency ? 0 : context.pollMs;
  }

  /**
   * Keeps up to two rounds of work claimed ahead, claimed in chunks: one claim query per several
   * deliveries. Claimed rows count as in flight (excluded from the next claim, and holding their keys).
   */
  private async refill(batch: number, probing: boolean): Promise<void> {
    if (this.buffer.length >= this.concurrency * batch) return;
    // While requests are in flight, claim at most every CLAIM_GAP_MS: under a stream of appends (each
    // waking the runner) one query then picks up everything that arrived meanwhile, instead of one each.
    const sinceClaim = performance.now() - this.lastClaimAt;
    if (this.inFlight.size > 0 && sinceClaim < CLAIM_GAP_MS) {
      this.claimTimer ??= setTimeout(() => {
        this.claimTimer = undefined;
        this.wake();
      }, CLAIM_GAP_MS - sinceClaim);
      return;
    }
    // Rows whose attempt is being recorded count only against a wider bound: a slow commit must not stop
    // claiming at once, but neither may unrecorded rows pile up (memory; what a crash would resend).
    const room = probing
      ? this.context.target.breaker.policy.halfOpenProbes - this.inFlight.size
      : Math.min(
          2 * this.concurrency * batch - this.buffer.length - this.sending * batch,
          MAX_CLAIMED_ROUNDS * this.concurrency * batch - this.inFlight.size,
        );
    const chunk = probing ? 1 : Math.max(1, this.concurrency >> 1) * batch;
    if (room < chunk && this.inFlight.size > 0) return;
    if (room <= 0) return;
    this.lastClaimAt = performance.now();
    const claims = await this.context.store.claimDeliveries({
      subscription: this.subscription.name,
      limit: room,
      now: this.context.now().toISOString(),
      leaseMs: this.leaseMs,
      owner: this.context.owner,
      inFlight: this.inFlight,
    });
    const claimedAt = performance.now();
    for (const claim of claims) {
      this.inFlight.add(claim.outboxId);
      this.buffer.push(claim);
      this.claimedAt.push(claimedAt);
    }
  }

  /** Gives up the first `count` buffered claims unsent; they are claimed again (here or elsewhere) later. */
  private releaseBuffer(count: number): void {
    for (const claim of this.buffer.splice(0, count)) this.inFlight.delete(claim.outboxId);
    this.claimedAt.splice(0, count);
  }

  private async deliver(claims: DeliveryClaim[], permit: ConcurrencyPermit): Promise<void> {
    const { context, subscription } = this;
    const started = context.now();
    let response: DeliveryResponse;
    try {
      response = await context.send(
        subscription,
        claims.map((c) => c.event),
        (claims[0]?.attempts ?? 0) + 1,
      );
    } catch (error) {
      response = { outcome: 'retryable', latencyMs: 0, error: (error as Error).message, notSent: true };
    }
    // The connection is free once the target has answered: the next request may go while this one's
    // record commits. The rows stay claimed (and their keys held) until the record is durable.
    this.sending -= 1;
    this.wake();
    const finished = context.now();
    const signal = context.target.release(permit, response, finished.getTime());
    const throttled = signal === 'throttled';
    for (const claim of claims) {
      try {
        await context.store.completeAttempt({
          claim,
          owner: context.owner,
          startedAt: started.toISOString(),
          finishedAt: finished.toISOString(),
          outcome: response.outcome,
          throttled,
          ...(response.status !== undefined ? { status: response.status } : {}),
          ...(response.error !== undefined ? { error: response.error } : {}),
          ...(response.bodyExcerpt !== undefined ? { bodyExcerpt: response.bodyExcerpt } : {}),
          latencyMs: finished.getTime() - Date.parse(claim.ingestedAt),
          next: this.nextStep(claim, response, signal, started, finished),
        });
      } catch (error) {
        // Not recorded: the row stays pending and is sent again (at least once; same Idempotency-Key).
        context.onError?.(subscription, error);
      }
    }
    // Counted once recorded, so that a reader of the metrics never sees an attempt its backlog does not.
    context.onAttempt?.(subscription, claims, response);
  }

  private nextStep(
    claim: DeliveryClaim,
    response: DeliveryResponse,
    signal: TargetSignal,
    started: Date,
    finished: Date,
  ): AttemptNext {
    if (response.outcome === 'delivered') return { kind: 'delivered' };
    const policy = this.subscription.retry;
    const attempts = claim.attempts + 1;
    const firstAttemptAt = claim.firstAttemptAt ? new Date(claim.firstAttemptAt) : started;
    // A throttled attempt uses up no attempt of `maxAttempts`: the target is up and asked to wait, and a
    // long throttle must not turn into exceptions. Only `maxAgeMs` bounds it.
    const exhausted =
      signal === 'throttled'
        ? isPastMaxAge(policy, firstAttemptAt, finished)
        : isExhausted(policy, attempts - claim.throttledAttempts, firstAttemptAt, finished);
    if (response.outcome === 'retryable' && !exhausted) {
      const elapsed = finished.getTime() - firstAttemptAt.getTime();
      const delay = nextAttemptDelayMs(policy, attempts, this.context.random, response.retryAfterMs, elapsed);
      return { kind: 'retry', at: new Date(finished.getTime() + delay).toISOString() };
    }
    const code = response.outcome === 'permanent' ? 'delivery_rejected' : 'delivery_failed';
    const why =
      response.outcome === 'permanent'
        ? `${this.subscription.target} refused the event (${response.status ?? response.error}); not retried`
        : `gave up after ${attempts} attempt(s)${signal === 'throttled' ? ', throttled until maxAgeMs passed' : ''}: ${response.status ? `HTTP ${response.status}` : (response.error ?? 'no answer')}`;
    return {
      kind: 'park',
      blocksKey: holdsKey(this.subscription, claim.event),
      exception: {
        code,
        detail: why,
        subscription: this.subscription.name,
        system: this.subscription.target,
        outboxId: claim.outboxId,
        eventSeq: claim.eventSeq,
        eventId: claim.event.id,
        subject: claim.partitionKey,
        ...(response.status !== undefined ? { lastStatus: response.status } : {}),
        ...(response.bodyExcerpt !== undefined ? { lastBody: response.bodyExcerpt } : {}),
        ...(response.error !== undefined ? { lastError: response.error } : {}),
        attempts,
        firstAttemptAt: firstAttemptAt.toISOString(),
        lastAttemptAt: finished.toISOString(),
        at: finished.toISOString(),
      },
    };
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
