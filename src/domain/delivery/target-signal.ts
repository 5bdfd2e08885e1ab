/**
 * What one delivery attempt says about its target, as opposed to about the message: a target that asks to
 * slow down (throttled) is up and must be sent to more slowly; a target that cannot be reached is down and
 * is left alone for a while (the circuit breaker). The rules are explained in docs/delivery.md#6-protecting-targets.
 */
import type { DeliveryOutcome } from './retry-policy.js';

/**
 * - `accepted`: a 2xx. The target is up and took the request: the adaptive limit grows.
 * - `answered`: any other answer that shows the target is up and not overloaded (a 4xx, a 500).
 * - `throttled`: 429, 503, or a retryable answer with `Retry-After`. Up, but overloaded: the adaptive limit
 *   is cut, the target pauses for `Retry-After`, and the attempt uses up neither `maxAttempts` nor the breaker.
 * - `unreachable`: refused or reset connection, any other network error, a timeout, and 502/504 (a gateway
 *   in front of the target reporting the same). The only signal the circuit breaker counts.
 * - `unsent`: nothing went out (the hub was shutting down, the request could not be built, or the hub
 *   failed before sending): says nothing.
 */
export const TARGET_SIGNALS = ['accepted', 'answered', 'throttled', 'unreachable', 'unsent'] as const;
export type TargetSignal = (typeof TARGET_SIGNALS)[number];

/** Statuses that ask the client to slow down. */
export const THROTTLE_STATUSES = [429, 503] as const;

/**
 * Statuses a gateway answers for a target it could not reach (502 Bad Gateway) or that did not answer in
 * time (504 Gateway Timeout): a refused connection or a timeout one hop further.
 */
export const GATEWAY_DOWN_STATUSES = [502, 504] as const;

/** What is known of an attempt, as the connector reported it. */
export interface AttemptReport {
  outcome: DeliveryOutcome;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  /** True when no request left the hub (see `unsent`). */
  notSent?: boolean | undefined;
}

/** Reads an attempt as a signal about its target (see `TARGET_SIGNALS`). */
export function targetSignal(report: AttemptReport): TargetSignal {
  if (report.notSent) return 'unsent';
  const { status } = report;
  if (report.outcome === 'delivered') return 'accepted';
  // Permanent without a status: the request could not even be built, so nothing reached the target.
  if (status === undefined) return report.outcome === 'retryable' ? 'unreachable' : 'unsent';
  if (report.outcome === 'permanent') return 'answered';
  if ((THROTTLE_STATUSES as readonly number[]).includes(status)) return 'throttled';
  if (report.retryAfterMs !== undefined) return 'throttled';
  if ((GATEWAY_DOWN_STATUSES as readonly number[]).includes(status)) return 'unreachable';
  return 'answered';
}
