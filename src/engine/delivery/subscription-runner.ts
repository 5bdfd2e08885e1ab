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
import { coalescingTypesFor } from '../../domain/event-catalogue.js';
import type { AttemptNext, AttemptResult, DeliveryClaim, DeliveryStore } from '../../store/delivery-port.js';
import { AttemptRecorder } from './attempt-recorder.js';
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
/** Rows of one busy key claimed ahead however low the concurrency: one request at a time goes per key. */
export const KEY_RUN_ROWS = 128;

/**
 * How many rows a runner claims ahead (`ahead`: buffered and on the wire) and holds at most (`held`: also
 * those whose record is not durable yet, i.e. what a crash could send again).
 */
export function claimWindow(concurrency: number, batch: number): { ahead: number; held: number } {
  return {
    ahead: Math.max(2 * concurrency * batch, KEY_RUN_ROWS),
    held: Math.max(MAX_CLAIMED_ROUNDS * concurrency * batch, 2 * KEY_RUN_ROWS),
  };
}
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
  /** The claim query running, if any: dispatch never waits for it. */
  private claiming: Promise<void> | undefined;
  /**
   * The last claim found nothing while rows were held: another is pointless until new rows come
   * (`wake`), a record frees a key, or a poll interval passes (retries come due).
   */
  private claimFoundNothing = false;
  /** After a failed claim query, none before this (performance.now()). */
  private claimPausedUntil = 0;
  /** A wake that came while no sleep was pending: the next sleep returns at once. */
  private woken = false;
  private readonly concurrency: number;
  private unwatchTarget: (() => void) | undefined;
  /** Rows held per key (buffered, on the wire or being recorded): a key held here gets no new claims. */
  private readonly heldPerKey = new Map<string, number>();
  /** Keys with a request on the wire: their next rows wait for its answer (per-key FIFO). */
  private readonly busyKeys = new Set<string>();
  /** Records the attempts in the order their answers came (a key's in its order). */
  private readonly recorder: AttemptRecorder;
  /** The types whose pending rows a newer one of the same key and type supersedes (docs/delivery.md §3). */
  private readonly coalesce: readonly string[];

  constructor(
    readonly subscription: CompiledSubscription,
    private readonly context: RunnerContext,
  ) {
    this.concurrency = subscription.rateLimit?.concurrency ?? DEFAULT_CONCURRENCY;
    this.leaseMs = Math.max(60_000, (subscription.connector?.attemptTimeoutMs ?? 10_000) * 3);
    this.coalesce = coalescingTypesFor(subscription.matchesType, subscription.coalesce);
    this.recorder = new AttemptRecorder(context.store);
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
      if (this.buffer.length > 0) this.poke();
    });
    this.loop = this.run();
  }

  /** New work may be there: claim now instead of at the next poll. */
  wake(): void {
    this.claimFoundNothing = false;
    this.poke();
  }

  /** Runs the loop now (an answer came, a claim ended) instead of at the next poll. */
  private poke(): void {
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
    await this.claiming;
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
    this.startRefill(batch, breaker.state === 'half_open');
    while (this.sending < this.concurrency) {
      // The first rows whose keys have nothing on the wire; with `batch`, a key's consecutive rows go
      // in one request, in order.
      const picks = this.pick(batch);
      if (picks.length === 0) break;
      const sendAt = context.now().getTime();
      const tokenWait = Math.max(0, ...context.buckets.map((bucket) => bucket.waitMs(sendAt)));
      if (tokenWait > 0) return tokenWait;
      // The target's concurrency is full, it is paused, or it is half-open with its probes out: wait until
      // a request to it ends (the target wakes this runner then).
      const permit = context.target.tryAcquire(sendAt);
      if (permit === undefined) return context.target.pauseMs(sendAt) || context.pollMs;
      for (const bucket of context.buckets) bucket.tryTake(sendAt);
      const group = this.take(picks);
      for (const claim of group) this.busyKeys.add(claim.partitionKey);
      this.sending += 1;
      const request = this.deliver(group, permit).finally(() => {
        let freed = false;
        for (const claim of group) {
          this.inFlight.delete(claim.outboxId);
          if (!this.hold(claim.partitionKey, -1)) freed = true;
        }
        this.requests.delete(request);
        // A key this runner no longer holds any row of: its next rows may be claimed now.
        if (freed) this.claimFoundNothing = false;
        this.poke();
      });
      this.requests.add(request);
    }
    return this.sending < this.concurrency && this.pick(1).length > 0 ? 0 : context.pollMs;
  }

  /** Counts a claimed row in, or (`-1`) out once recorded or given up; tells whether the key is still held. */
  private hold(key: string, change: 1 | -1): boolean {
    const held = (this.heldPerKey.get(key) ?? 0) + change;
    if (held > 0) this.heldPerKey.set(key, held);
    else this.heldPerKey.delete(key);
    return held > 0;
  }

  /** Positions in `buffer` of the next rows to send together (at most `batch`), skipping busy keys. */
  private pick(batch: number): number[] {
    const picks: number[] = [];
    for (let i = 0; i < this.buffer.length && picks.length < batch; i += 1) {
      const claim = this.buffer[i];
      if (claim && !this.busyKeys.has(claim.partitionKey)) picks.push(i);
    }
    return picks;
  }

  /** Takes the rows at `picks` (ascending) out of the buffer, in order. */
  private take(picks: number[]): DeliveryClaim[] {
    const group = picks.map((i) => this.buffer[i] as DeliveryClaim);
    for (let j = picks.length - 1; j >= 0; j -= 1) {
      const i = picks[j] as number;
      this.buffer.splice(i, 1);
      this.claimedAt.splice(i, 1);
    }
    return group;
  }

  /**
   * Keeps up to two rounds of work claimed ahead, claimed in chunks: one claim query per several
   * deliveries. Claimed rows count as in flight (excluded from the next claim, and holding their keys).
   */
  private startRefill(batch: number, probing: boolean): void {
    if (this.claiming || performance.now() < this.claimPausedUntil) return;
    this.claiming = this.refill(batch, probing)
      .then((claimed) => {
        this.claiming = undefined;
        // Only new rows are news: a refill that had nothing to do must not spin the loop.
        if (claimed > 0) this.poke();
      })
      .catch((error: unknown) => {
        this.claiming = undefined;
        this.context.onError?.(this.subscription, error);
        this.claimPausedUntil = performance.now() + this.context.pollMs * 5;
      });
  }

  /** Claims more rows when the buffer runs low; resolves with how many it claimed. */
  private async refill(batch: number, probing: boolean): Promise<number> {
    const window = claimWindow(this.concurrency, batch);
    if (this.buffer.length >= window.ahead / 2) return 0;
    // While requests are in flight, claim at most every CLAIM_GAP_MS: under a stream of appends (each
    // waking the runner) one query then picks up everything that arrived meanwhile, instead of one each.
    const sinceClaim = performance.now() - this.lastClaimAt;
    if (this.inFlight.size > 0 && sinceClaim < CLAIM_GAP_MS) {
      this.claimTimer ??= setTimeout(() => {
        this.claimTimer = undefined;
        this.poke();
      }, CLAIM_GAP_MS - sinceClaim);
      return 0;
    }
    if (this.claimFoundNothing && this.inFlight.size > 0 && sinceClaim < this.context.pollMs) return 0;
    // Rows whose attempt is being recorded count only against a wider bound: a slow commit must not stop
    // claiming at once, but neither may unrecorded rows pile up (memory; what a crash would resend).
    const room = probing
      ? this.context.target.breaker.policy.halfOpenProbes - this.inFlight.size
      : Math.min(window.ahead - this.buffer.length - this.sending * batch, window.held - this.inFlight.size);
    // Heads of keys: two rounds of the concurrency, as many keys as can be sent to soon (more would only
    // hold work other processes could send). The rest of the room is for busy keys' next rows.
    const maxKeys = probing
      ? room
      : Math.min(room, 2 * this.concurrency * batch - this.buffer.length - this.sending * batch);
    const chunk = probing ? 1 : Math.max(1, this.concurrency >> 1) * batch;
    if (room < chunk && this.inFlight.size > 0) return 0;
    if (room <= 0) return 0;
    this.lastClaimAt = performance.now();
    const claims = await this.context.store.claimDeliveries({
      subscription: this.subscription.name,
      limit: room,
      now: this.context.now().toISOString(),
      leaseMs: this.leaseMs,
      owner: this.context.owner,
      inFlight: this.inFlight,
      // A busy key's next rows come with its head, so each goes out as soon as the one before it is
      // answered, with no claim in between.
      perKey: probing ? 1 : room,
      maxKeys: Math.max(1, maxKeys),
      coalesce: this.coalesce,
    });
    const claimedAt = performance.now();
    this.claimFoundNothing = claims.length === 0;
    for (const claim of claims) {
      this.hold(claim.partitionKey, 1);
      this.inFlight.add(claim.outboxId);
      this.buffer.push(claim);
      this.claimedAt.push(claimedAt);
    }
    return claims.length;
  }

  /**
   * Gives up the first `count` buffered claims unsent, and every later buffered row of their keys (which
   * must not go before them); they are claimed again (here or elsewhere) later.
   */
  private releaseBuffer(count: number): void {
    if (count <= 0) return;
    const keys = new Set(this.buffer.slice(0, count).map((claim) => claim.partitionKey));
    this.releaseKeys(keys);
  }

  /** Gives up every buffered row of `keys` unsent, and tells the store (a lease is given back). */
  private releaseKeys(keys: ReadonlySet<string>): void {
    const released: number[] = [];
    for (let i = this.buffer.length - 1; i >= 0; i -= 1) {
      const claim = this.buffer[i] as DeliveryClaim;
      if (!keys.has(claim.partitionKey)) continue;
      this.buffer.splice(i, 1);
      this.claimedAt.splice(i, 1);
      this.inFlight.delete(claim.outboxId);
      if (!this.hold(claim.partitionKey, -1)) this.claimFoundNothing = false;
      released.push(claim.outboxId);
    }
    if (released.length === 0) return;
    this.context.store
      .releaseClaims(released, this.context.owner)
      .catch((error: unknown) => this.context.onError?.(this.subscription, error));
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
    // record commits. The rows stay claimed until the record is durable. A key's next row may go now if
    // this one was delivered; otherwise the key's buffered rows are given up (they wait for this retry).
    this.sending -= 1;
    const keys = new Set(claims.map((claim) => claim.partitionKey));
    for (const key of keys) this.busyKeys.delete(key);
    if (response.outcome !== 'delivered') this.releaseKeys(keys);
    this.poke();
    const finished = context.now();
    const signal = context.target.release(permit, response, finished.getTime());
    const throttled = signal === 'throttled';
    const results: AttemptResult[] = claims.map((claim) => ({
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
    }));
    try {
      await this.recorder.record(results);
    } catch (error) {
      // Not recorded: the rows stay pending and are sent again (at least once; same Idempotency-Key).
      context.onError?.(subscription, error);
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
    const code =
      response.outcome === 'permanent' ? (response.code ?? 'delivery_rejected') : 'delivery_failed';
    const why =
      response.outcome === 'permanent' && response.code === 'xref_missing'
        ? `${response.error}; sent again once the table has the key`
        : response.outcome === 'permanent'
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
