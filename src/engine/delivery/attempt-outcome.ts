/**
 * What one delivery attempt comes to, for the record: per claimed row, delivered, retried at a time the
 * subscription's retry policy picks (a throttled attempt uses up none of `maxAttempts`), or parked with
 * the exception an operator sees (`delivery_rejected`, `delivery_failed`), holding its key or not
 * (`onFailure`). Pure: the runner (`subscription-runner.ts`) sends and records; this decides.
 */
import type { CompiledSubscription } from '../../config/compiled-config.js';
import type { OutboundResult } from '../../connectors/connector-port.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { isExhausted, isPastMaxAge, nextAttemptDelayMs } from '../../domain/delivery/retry-policy.js';
import type { TargetSignal } from '../../domain/delivery/target-signal.js';
import type { AttemptNext, AttemptResult, DeliveryClaim } from '../../store/delivery-port.js';

/** The default `onFailure` (docs/delivery.md §5): hold a key's later events behind a parked order event, skip otherwise. */
export function holdsKey(subscription: CompiledSubscription, event: CloudEvent): boolean {
  if (subscription.onFailure) return subscription.onFailure === 'hold';
  return event.type.startsWith('com.manifold.order.');
}

/** One attempt as the target answered it. */
export interface AttemptFacts {
  /** The runner's owner id (its claims' lease holder). */
  owner: string;
  /** How the target's answer reads for its limits (`throttled`: it asked to slow down). */
  signal: TargetSignal;
  started: Date;
  finished: Date;
  /** For the retry delay's jitter. */
  random: () => number;
}

/** The results to record for the rows one request carried (`response` is the target's answer to all). */
export function attemptResults(
  subscription: CompiledSubscription,
  claims: readonly DeliveryClaim[],
  response: OutboundResult,
  facts: AttemptFacts,
): AttemptResult[] {
  const { owner, signal, started, finished } = facts;
  const throttled = signal === 'throttled';
  return claims.map((claim) => ({
    claim,
    owner,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    outcome: response.outcome,
    throttled,
    ...(response.status !== undefined ? { status: response.status } : {}),
    ...(response.error !== undefined ? { error: response.error } : {}),
    ...(response.bodyExcerpt !== undefined ? { bodyExcerpt: response.bodyExcerpt } : {}),
    latencyMs: finished.getTime() - Date.parse(claim.ingestedAt),
    next: nextStep(subscription, claim, response, facts),
  }));
}

/** What follows for one row: delivered, a retry at a time, or parked with its exception. */
export function nextStep(
  subscription: CompiledSubscription,
  claim: DeliveryClaim,
  response: OutboundResult,
  { signal, started, finished, random }: AttemptFacts,
): AttemptNext {
  if (response.outcome === 'delivered') return { kind: 'delivered' };
  const policy = subscription.retry;
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
    const delay = nextAttemptDelayMs(policy, attempts, random, response.retryAfterMs, elapsed);
    return { kind: 'retry', at: new Date(finished.getTime() + delay).toISOString() };
  }
  const code = response.outcome === 'permanent' ? (response.code ?? 'delivery_rejected') : 'delivery_failed';
  const why =
    response.outcome === 'permanent' && response.code === 'xref_missing'
      ? `${response.error}; sent again once the table has the key`
      : response.outcome === 'permanent'
        ? `${subscription.target} refused the event (${response.status ?? response.error}); not retried`
        : `gave up after ${attempts} attempt(s)${signal === 'throttled' ? ', throttled until maxAgeMs passed' : ''}: ${response.status ? `HTTP ${response.status}` : (response.error ?? 'no answer')}`;
  return {
    kind: 'park',
    blocksKey: holdsKey(subscription, claim.event),
    exception: {
      code,
      detail: why,
      subscription: subscription.name,
      system: subscription.target,
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
