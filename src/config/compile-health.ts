/**
 * `subscriptions[].health` (docs/console.md#subscription-health): the thresholds of a subscription's
 * health on the overview, each key optional and defaulted.
 *
 * ```yaml
 * health:
 *   lag: { degraded: 30s, failing: 5m }               # age of the oldest undelivered event
 *   backlog: { degraded: 100, failing: 1000, growth: 20 }  # events waiting; growth over the window
 *   errorRate: { degraded: 1%, failing: 50% }         # failed attempts ÷ attempts (or 0.01, 0.5)
 * ```
 */
import { DEFAULT_HEALTH, type HealthThresholds } from '../domain/delivery/subscription-health.js';
import { type ConfigValue, readDuration } from './config-reader.js';

export function readHealth(value: ConfigValue | undefined): HealthThresholds | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['lag', 'backlog', 'errorRate']);
  const health: HealthThresholds = {
    lagSeconds: { ...DEFAULT_HEALTH.lagSeconds },
    backlog: { ...DEFAULT_HEALTH.backlog },
    errorRate: { ...DEFAULT_HEALTH.errorRate },
  };

  const lag = map.get('lag')?.map();
  if (lag !== undefined) {
    lag.allowOnly(['degraded', 'failing']);
    for (const key of ['degraded', 'failing'] as const) {
      const ms = readDuration(lag.get(key));
      if (ms !== undefined) health.lagSeconds[key] = ms / 1000;
    }
    ordered(lag.get('failing'), 'lag', health.lagSeconds, (s) => `${s}s`);
  }

  const backlog = map.get('backlog')?.map();
  if (backlog !== undefined) {
    backlog.allowOnly(['degraded', 'failing', 'growth']);
    for (const key of ['degraded', 'failing', 'growth'] as const) {
      const n = backlog.get(key)?.int(1);
      if (n !== undefined) health.backlog[key] = n;
    }
    ordered(backlog.get('failing'), 'backlog', health.backlog, String);
  }

  const errorRate = map.get('errorRate')?.map();
  if (errorRate !== undefined) {
    errorRate.allowOnly(['degraded', 'failing']);
    for (const key of ['degraded', 'failing'] as const) {
      const ratio = readRatio(errorRate.get(key));
      if (ratio !== undefined) health.errorRate[key] = ratio;
    }
    ordered(errorRate.get('failing'), 'errorRate', health.errorRate, (r) => `${r * 100}%`);
  }
  return health;
}

/** `failing` below `degraded` would never be reached in the order the overview reads them. */
function ordered(
  at: ConfigValue | undefined,
  what: string,
  pair: { degraded: number; failing: number },
  text: (n: number) => string,
): void {
  if (pair.failing >= pair.degraded) return;
  if (at === undefined) {
    // Only `degraded` given, above the default `failing`: failing starts where degraded does.
    pair.failing = pair.degraded;
    return;
  }
  const message = `${what}.failing (${text(pair.failing)}) is below ${what}.degraded (${text(pair.degraded)})`;
  at.report(message);
}

/** A ratio: a number from 0 to 1 (`0.05`) or a percentage (`5%`). */
function readRatio(value: ConfigValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  const raw = value.scalar;
  const ratio =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\d+(\.\d+)?\s*%$/.test(raw.trim())
        ? Number.parseFloat(raw) / 100
        : Number.NaN;
  if (!Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
    value.report(
      `expected a ratio above 0 up to 1 (e.g. 0.05) or a percentage (e.g. 5%), got '${String(raw)}'`,
      raw,
    );
    return undefined;
  }
  return ratio;
}
