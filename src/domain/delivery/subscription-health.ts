/**
 * A subscription's health on the overview (docs/console.md#subscription-health), pure: from its lag (the
 * age of its oldest undelivered event), its backlog (how many wait, and how much that grew over the
 * window), its error rate over the window, its parked rows and its target's circuit, against thresholds
 * each subscription may set (`subscriptions[].health`). The reasons are worded with the figures as the
 * console's table writes them, so a reason never says 0 % beside a row that says 0.3 %.
 */
import type { CircuitState } from './circuit-breaker.js';

export type HealthVerdict = 'ok' | 'degraded' | 'failing';

/** Thresholds of one subscription's health; each `failing` is at or above its `degraded`. */
export interface HealthThresholds {
  /** Oldest undelivered event older than this many seconds. */
  lagSeconds: { degraded: number; failing: number };
  /** Events waiting at or above this count; `growth`: the backlog grew by at least this over the window. */
  backlog: { degraded: number; failing: number; growth: number };
  /** Failed attempts ÷ attempts over the window at or above this ratio (0..1). */
  errorRate: { degraded: number; failing: number };
}

export const DEFAULT_HEALTH: Readonly<HealthThresholds> = {
  lagSeconds: { degraded: 30, failing: 300 },
  backlog: { degraded: 100, failing: 1000, growth: 20 },
  errorRate: { degraded: 0.01, failing: 0.5 },
};

/** What decides a subscription's health. */
export interface HealthInputs {
  circuit: CircuitState;
  /** Failed attempts ÷ attempts over the window. */
  errorRate: number;
  parked: number;
  /** Events waiting now. */
  backlog: number;
  /** How much the backlog grew over the window (negative when it shrank; 0 when unknown). */
  backlogGrowth: number;
  windowSeconds: number;
  oldestPendingSeconds: number;
}

/** A ratio as the console writes it: `0 %`, `0.3 %`, `12 %`. */
export function percentText(ratio: number): string {
  return ratio === 0 ? '0 %' : `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)} %`;
}

/** A duration as the console writes it: `—`, `4.2 s`, `48 s`, `2 min 5 s`, `1 h 3 min`. */
export function secondsText(seconds: number): string {
  if (seconds <= 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/**
 * failing: circuit open, or a figure at its `failing` threshold (lag, backlog, error rate); degraded:
 * circuit half-open, parked rows, a figure at its `degraded` threshold, or a backlog that grew by at
 * least `backlog.growth` over the window. Returns the verdict and its reasons, failing ones first.
 */
export function subscriptionHealth(
  input: HealthInputs,
  thresholds: HealthThresholds = DEFAULT_HEALTH,
): { health: HealthVerdict; reasons: string[] } {
  const failing: string[] = [];
  const degraded: string[] = [];
  const { lagSeconds, backlog, errorRate } = thresholds;
  if (input.circuit === 'open') failing.push('circuit open');
  if (input.circuit === 'half_open') degraded.push('circuit half-open');

  const lag = input.oldestPendingSeconds;
  const lagReason = `oldest pending ${secondsText(lag)}`;
  if (lag > 0 && lag >= lagSeconds.failing)
    failing.push(`${lagReason} (failing at ${secondsText(lagSeconds.failing)})`);
  else if (lag > 0 && lag >= lagSeconds.degraded)
    degraded.push(`${lagReason} (degraded at ${secondsText(lagSeconds.degraded)})`);

  const waiting = `backlog ${input.backlog}`;
  if (input.backlog > 0 && input.backlog >= backlog.failing)
    failing.push(`${waiting} (failing at ${backlog.failing})`);
  else if (input.backlog > 0 && input.backlog >= backlog.degraded)
    degraded.push(`${waiting} (degraded at ${backlog.degraded})`);
  if (input.backlog > 0 && input.backlogGrowth > 0 && input.backlogGrowth >= backlog.growth)
    degraded.push(`backlog grew by ${input.backlogGrowth} in the last ${input.windowSeconds} s`);

  const rate = input.errorRate;
  const rateReason = `error rate ${percentText(rate)}`;
  if (rate > 0 && rate >= errorRate.failing)
    failing.push(`${rateReason} (failing at ${percentText(errorRate.failing)})`);
  else if (rate > 0 && rate >= errorRate.degraded)
    degraded.push(`${rateReason} (degraded at ${percentText(errorRate.degraded)})`);

  if (input.parked > 0) degraded.push(`${input.parked} parked`);
  if (failing.length > 0) return { health: 'failing', reasons: [...failing, ...degraded] };
  if (degraded.length > 0) return { health: 'degraded', reasons: degraded };
  return { health: 'ok', reasons: [] };
}
